/**
 * `--wait <seconds>`: containers start before their database does, so the
 * first connection may be refused, the host may not resolve yet, or the
 * server may still be starting. Those are retried with backoff until the
 * deadline; bad credentials or an unknown database are not (waiting cannot
 * fix them), and fail at once.
 */
import { IdemError, isIdemError } from '../errors.ts';
import type { EventSink } from '../runner/events.ts';

/** Driver codes (Node's, pg's SQLSTATE, mysql2's) and dialect reasons that may pass by themselves. */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED', 'ENOENT', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET',
  'PROTOCOL_CONNECTION_LOST', '57P03',
]);
const TRANSIENT_REASONS = new Set(['refused', 'host-not-found', 'timeout']);

export function isTransientConnectionError(error: unknown): boolean {
  if (!isIdemError(error) || error.code !== 'CONNECTION') return false;
  const reason = error.data?.reason;
  if (typeof reason === 'string') return TRANSIENT_REASONS.has(reason);
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

export interface WaitOptions {
  /** How long to keep trying, in milliseconds; 0 tries once. */
  waitMs: number;
  emit: EventSink;
  /** For tests. */
  sleep?: (ms: number) => Promise<void>;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

export async function connectWithWait<T>(connect: () => Promise<T>, options: WaitOptions): Promise<T> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const started = Date.now();
  let delay = FIRST_DELAY_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await connect();
    } catch (error) {
      const waited = Date.now() - started;
      if (!isTransientConnectionError(error)) throw error;
      if (waited + delay > options.waitMs) {
        if (options.waitMs === 0) throw error;
        const e = error as IdemError;
        throw new IdemError('CONNECTION', `${e.message}; still failing after waiting ${Math.round(waited / 1000)}s (${attempt} attempts)`, {
          cause: e.cause, hint: e.hint, data: { ...e.data, attempts: attempt, waitedMs: waited },
        });
      }
      options.emit({
        event: 'warning', code: 'WAITING',
        message: `database not reachable yet (${(error as IdemError).message}); retrying in ${(delay / 1000).toFixed(delay < 1000 ? 2 : 0)}s`,
      });
      await sleep(delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
  }
}
