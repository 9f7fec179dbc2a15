/**
 * Stopping a run on request (SIGINT/SIGTERM in the CLI, an AbortSignal from
 * the API): checked before each migration and each operation, and raced
 * against the migration's own code, so a migration stuck in a sleep or a
 * long computation is not waited for. The caller's catch rolls the current
 * migration back and the lock is released as on any failure.
 */
import { IdemError } from '../errors.ts';

function reasonOf(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (typeof reason === 'string') return reason;
  if (reason instanceof Error && reason.name !== 'AbortError') return reason.message;
  return 'aborted';
}

export function interruptedError(signal: AbortSignal, where: string): IdemError {
  return new IdemError('INTERRUPTED', `interrupted by ${reasonOf(signal)} ${where}`, {
    hint: 're-run `idem up`: what was rolled back runs again, what already holds is skipped',
  });
}

export function throwIfInterrupted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw interruptedError(signal, where);
}

/** `work`'s result, or an INTERRUPTED rejection as soon as the signal aborts. */
export function untilInterrupted<T>(work: Promise<T>, signal: AbortSignal | undefined, where: string): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.reject(interruptedError(signal, where));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(interruptedError(signal, where));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => { signal.removeEventListener('abort', onAbort); resolve(value); },
      (error: unknown) => { signal.removeEventListener('abort', onAbort); reject(error); },
    );
  });
}
