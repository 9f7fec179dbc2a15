/**
 * src/cli/stdout-batch.ts in a process of its own, writing to a pipe the
 * way a container's log collector or `idem up | tee` reads it: later than
 * idem writes. A pipe takes 64 KiB at a time; what it did not take must
 * still arrive, and a run that never yields must not hold its output back.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const MODULE = join(resolve(dirname(fileURLToPath(import.meta.url)), '../..'), 'src/cli/stdout-batch.ts');
const LINE = `${'x'.repeat(99)}\n`;

/** Runs `body` (with writeStdout in scope) in a child; its stdout is first read `readAfterMs` after the start. */
function runWriter(body: string, readAfterMs: number) {
  const script = `import { writeStdout } from ${JSON.stringify(MODULE)};\n${body}`;
  return new Promise<{ code: number | null; stdout: string; stderr: string; firstDataMs: number | undefined; exitMs: number }>((done, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let firstDataMs: number | undefined;
    let exitMs = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      firstDataMs ??= Date.now() - started;
      stdout += chunk;
    });
    if (readAfterMs > 0) {
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), readAfterMs);
    }
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('exit', () => { exitMs = Date.now() - started; });
    child.on('close', (code) => done({ code, stdout, stderr, firstDataMs, exitMs }));
  });
}

test('output written without yielding, more than a pipe holds, arrives whole at a reader that comes late', async () => {
  const lines = 4000; // 400 kB: six pipes' worth
  const run = await runWriter(`for (let i = 0; i < ${lines}; i++) writeStdout(${JSON.stringify(LINE)});`, 500);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.length, lines * LINE.length, 'every line arrived');
});

test('a run that never yields still sends its output once a batch is large, not only when it ends', async () => {
  const busyMs = 1500;
  // 70 kB written, then the process is busy (as a long synchronous SQLite statement keeps it): the timer cannot fire.
  const run = await runWriter(
    `for (let i = 0; i < 700; i++) writeStdout(${JSON.stringify(LINE)});\nconst until = Date.now() + ${busyMs}; while (Date.now() < until) {}`,
    0,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stdout.length, 700 * LINE.length);
  assert.ok(run.firstDataMs !== undefined && run.firstDataMs < run.exitMs - busyMs / 2,
    `the first output came ${run.firstDataMs} ms after the start, the process ended at ${run.exitMs} ms`);
});
