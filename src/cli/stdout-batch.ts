/**
 * stdout, written in batches. A fresh run of a thousand migrations prints
 * some five thousand lines, and each write to a pipe or file is a system
 * call of its own: 78 ms of a 2.1 s run in a CPU profile. A line waits at
 * most FLUSH_AFTER_MS, so someone watching a slow migration still sees each
 * operation as it ends; what is pending is written before anything goes to
 * stderr (the two keep their order on a terminal) and when the process
 * exits, by whatever path.
 */
const FLUSH_AFTER_MS = 20;

let pending = '';
let timer: NodeJS.Timeout | undefined;
let hooked = false;

export function writeStdout(text: string): void {
  pending += text;
  if (!hooked) {
    hooked = true;
    process.on('exit', flushStdout);
  }
  // Unreferenced: a run that has ended does not wait for the timer; the exit hook writes instead.
  timer ??= setTimeout(flushStdout, FLUSH_AFTER_MS).unref();
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
