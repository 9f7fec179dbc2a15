/**
 * SIGTERM (docker stop, a rollout) during a migration: the run stops before
 * its next operation without waiting for the migration's own code, the
 * migration rolls back where the engine can, the lock is released, the exit
 * code is 130, and a re-run converges.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { rollsBackDdl } from '../support/engine-sql.ts';
import { CLI, TestProject } from '../support/project.ts';

function termAfterFirstOp(p: TestProject, revision: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--url', p.url, '--json', 'up'], {
      cwd: p.dir, env: { ...process.env, DATABASE_URL: '', IDEM_TEST_SLEEP_MS: '60000' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!sent && stdout.includes(`"event":"op","revision":"${revision}"`)) {
        sent = true;
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

for (const engine of engines) {
  // The migration sleeps 60 s after its first operation: the timeout proves idem does not wait for it.
  test(`${engine.name}: SIGTERM mid-migration stops at once, rolls back where it can, releases the lock, exits 130; a re-run converges`, { timeout: 30_000 }, async () => {
    const p = await TestProject.create(engine);
    try {
      await p.write({ revision: 'i0', up: `await m.createTable('before', { id: { type: 'integer', primaryKey: true } });` });
      await p.write({
        revision: 'i1', revises: 'i0',
        // Sleeps in the live run only, not while the run is checked before it starts (detail 'recorded').
        up: `const first = await m.createTable('first', { id: { type: 'integer', primaryKey: true } });
             if (first.detail !== 'recorded') await new Promise((r) => setTimeout(r, Number(process.env.IDEM_TEST_SLEEP_MS ?? 0)));
             await m.createTable('second', { id: { type: 'integer', primaryKey: true } });`,
      });
      const run = await termAfterFirstOp(p, 'i1');
      assert.equal(run.code, EXIT.interrupted, run.stdout);
      const error = run.stdout.trim().split('\n').map((l) => JSON.parse(l)).find((e) => e.event === 'error');
      assert.equal(error?.code, 'INTERRUPTED', run.stdout);
      assert.match(error.message, /interrupted by SIGTERM during i1/);
      assert.match(error.message, rollsBackDdl(engine) ? /it was rolled back/ : /what ran before the interruption stays/);
      assert.deepEqual(await p.recorded(), ['i0'], 'the migration before it committed; the interrupted one is not recorded');
      const tables = Object.keys(JSON.parse(await p.fingerprint())).sort();
      assert.deepEqual(tables, rollsBackDdl(engine) ? ['before'] : ['before', 'first']);

      // The lock went with the interrupted run: a re-run with a short lock timeout proceeds.
      const again = await p.cli(['--lock-timeout', '2', '--json', 'up']);
      assert.equal(again.code, EXIT.ok, again.stdout + again.stderr);
      assert.deepEqual(await p.recorded(), ['i0', 'i1']);
      assert.deepEqual(Object.keys(JSON.parse(await p.fingerprint())).sort(), ['before', 'first', 'second']);
    } finally {
      await p.dispose();
    }
  });
}
