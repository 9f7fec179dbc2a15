/**
 * stdout is written in batches (src/cli/stdout-batch.ts), but a line never
 * waits for the run to end: someone watching a slow migration sees each
 * operation as it ends. And whatever is pending when the process exits, by
 * an interruption too, is written (test/unit/stdout-batch.test.ts: also to
 * a pipe read slower than idem writes).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { engines } from '../engines.ts';
import { CLI, TestProject } from '../support/project.ts';

const SLOW_MS = 3000;

/** Runs `idem up`; `onLine` sees each stdout line as it arrives, with whether the process is still running. */
function upWatched(p: TestProject, onLine: (line: string, running: boolean) => void, signal?: { after: RegExp; send: NodeJS.Signals }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--url', p.url, 'up'], { cwd: p.dir, env: { ...process.env, DATABASE_URL: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        onLine(line, child.exitCode === null && child.signalCode === null);
        if (signal && signal.after.test(line)) child.kill(signal.send);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

for (const engine of engines) {
  test(`${engine.name}: an operation's line is printed while the run goes on, not when it ends`, async () => {
    const p = await TestProject.create(engine);
    try {
      await p.write({
        revision: 's1',
        up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true } });\nawait new Promise((resolve) => setTimeout(resolve, ${SLOW_MS}));`,
      });
      const started = Date.now();
      let seen: { ms: number; running: boolean } | undefined;
      const run = await upWatched(p, (line, running) => {
        if (seen === undefined && /applied\s+createTable t$/.test(line)) seen = { ms: Date.now() - started, running };
      });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.ok(seen, `no createTable line in:\n${run.stdout}`);
      assert.equal(seen.running, true, 'the line came before the process ended');
      assert.ok(seen.ms < Date.now() - started - SLOW_MS / 2, `the line came ${seen.ms} ms after the start, with the migration still waiting`);
      assert.match(run.stdout, /^up: 1 migration\(s\), 1 applied/m);
    } finally {
      await p.dispose();
    }
  });

  test(`${engine.name}: interrupted, every line up to the interruption is printed, and the closing error after it`, async () => {
    const p = await TestProject.create(engine);
    try {
      await p.write({ revision: 'i1', up: `await m.createTable('a', { id: { type: 'integer', primaryKey: true } });` });
      await p.write({
        revision: 'i2', revises: 'i1',
        up: `await m.createTable('b', { id: { type: 'integer', primaryKey: true } });\nawait new Promise((resolve) => setTimeout(resolve, ${SLOW_MS}));\nawait m.createTable('c', { id: { type: 'integer', primaryKey: true } });`,
      });
      const run = await upWatched(p, () => {}, { after: /applied\s+createTable b$/, send: 'SIGTERM' });
      assert.equal(run.code, 130, run.stdout + run.stderr);
      const lines = run.stdout.split('\n');
      const a = lines.findIndex((l) => /applied\s+createTable a$/.test(l));
      const b = lines.findIndex((l) => /applied\s+createTable b$/.test(l));
      assert.ok(a >= 0 && b > a, run.stdout);
      assert.doesNotMatch(run.stdout, /createTable c\b/);
      assert.match(run.stderr, /SIGTERM received/);
    } finally {
      await p.dispose();
    }
  });
}
