/**
 * stdout, written in batches. A fresh run of a thousand migrations prints
 * some five thousand lines, and each write to a pipe or file is a system
 * call of its own: 78 ms of a 2.1 s run in a CPU profile. A line waits at
 * most FLUSH_AFTER_MS, so someone watching a slow migration still sees each
 * operation as it ends; what is pending is written before anything goes to
 * stderr (the two keep their order on a terminal) and when the process
 * exits, by whatever path.
 *
 * A pipe takes 64 KiB at a time; the rest of a write waits in the event
 * loop for the reader. So the run's end is `beforeExit`, while the loop is
 * still there to finish the write: at `exit` there is none, and what the
 * pipe did not take at once would be lost (`idem up | tee`, `docker logs`).
 * A run that never yields to the loop (SQLite answers synchronously, so a
 * whole run can) would hold all of its output until then: a batch that
 * reaches FLUSH_AT_CHARS goes out at once.
 */
const FLUSH_AFTER_MS = 20;
const FLUSH_AT_CHARS = 64 * 1024;

let pending = '';
let timer: NodeJS.Timeout | undefined;
let hooked = false;

export function writeStdout(text: string): void {
  pending += text;
  if (!hooked) {
    hooked = true;
    process.on('beforeExit', flushStdout);
    // After process.exit() (an interrupted run drains first: drainStdout) or an uncaught error.
    process.on('exit', flushStdout);
  }
  if (pending.length >= FLUSH_AT_CHARS) {
    flushStdout();
    return;
  }
  // Unreferenced: a run that has ended does not wait for the timer; the beforeExit hook writes instead.
  timer ??= setTimeout(flushStdout, FLUSH_AFTER_MS).unref();
}

/** Everything written so far, out of the process: before a process.exit() that would cut a pipe's write short. */
export function drainStdout(): Promise<void> {
  flushStdout();
  // A write's callback runs once it and every write before it are done.
  return new Promise((resolve) => process.stdout.write('', () => resolve()));
}

export function flushStdout(): void {
  if (timer !== undefined) clearTimeout(timer);
  timer = undefined;
  if (pending === '') return;
  const text = pending;
  pending = '';
  process.stdout.write(text);
}

/** stderr, after whatever stdout has pending. */
export function writeStderr(text: string): void {
  flushStdout();
  process.stderr.write(text);
}
