/**
 * Replicas starting at once: several `idem up` processes on one fresh SQLite
 * file. One runs the migrations; the others wait for its lock, then find
 * nothing to do. Asserted on what the database holds and on which process
 * reports running what, never on timing.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { rollsBackDdl } from '../support/engine-sql.ts';
import { CLI, TestProject, type CliResult } from '../support/project.ts';

const SCHEMA = `
await m.createTable('settings', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  name: { type: 'string', length: 50, nullable: false, unique: true },
  value: { type: 'string', length: 50 },
});`;

// Sleeps so that the processes overlap, then inserts guarded by the data itself.
const SEED = `
await new Promise((r) => setTimeout(r, 300));
await m.executeIf({
  description: 'seed defaults',
  sql: \`INSERT INTO settings (name, value) SELECT 'theme', 'dark'
        WHERE NOT EXISTS (SELECT 1 FROM settings WHERE name = 'theme')\`,
  condition: "SELECT COUNT(*) = 0 FROM settings WHERE name = 'theme'",
});
await m.sql("INSERT INTO settings (name, value) VALUES ('runs', '1')");`;

async function raceUp(p: TestProject, n: number): Promise<CliResult[]> {
  return Promise.all(Array.from({ length: n }, () => p.cli(['--json', 'up'])));
}

/** Starts `idem --json up`, its migrations told to dawdle, and kills it (SIGKILL: no cleanup) once an output line matches. */
function killUpWhen(p: TestProject, line: RegExp): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--url', p.url, '--json', 'up'], {
      cwd: p.dir, env: { ...process.env, DATABASE_URL: '', IDEM_TEST_SLEEP_MS: '3000' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.split('\n').some((l) => line.test(l))) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ signal, stdout }));
  });
}

function ranBy(runs: CliResult[]): string[][] {
  return runs.map((r) => r.events.filter((e) => e.event === 'migration').map((e) => String(e.revision)));
}

for (const engine of engines) {
  describe(`${engine.name}: concurrent up`, () => {
    for (const n of [2, 8]) {
      describe(`${engine.name}: ${n} processes`, () => {
        let p: TestProject;
        before(async () => {
          p = await TestProject.create(engine);
          await p.write({ revision: 'k1', up: SCHEMA });
          await p.write({ revision: 'k2', revises: 'k1', up: SEED });
        });
        after(() => p.dispose());

        test(`${engine.name}: ${n} idem up at once on a fresh database: all exit 0, each revision runs once`, async () => {
          const runs = await raceUp(p, n);
          for (const r of runs) {
            assert.equal(r.code, EXIT.ok, show(r));
            assert.equal(r.stderr, '');
            assert.equal(r.events.at(-1)!.event, 'done', show(r));
          }
          // Each migration ran once. On a server the run lock is held for the whole run, so one process ran
          // both and every other one found nothing to do; SQLite gives its write lock back after each
          // migration's commit, and another process may take the next migration.
          const ran = ranBy(runs);
          assert.deepEqual(ran.flat().sort(), ['k1', 'k2'], JSON.stringify(ran));
          if (engine.name !== 'sqlite') {
            assert.deepEqual(ran.filter((list) => list.length > 0), [['k1', 'k2']], JSON.stringify(ran));
            assert.deepEqual(runs.map((r) => r.events.at(-1)!.migrations).sort(), [...Array(n - 1).fill(0), 2]);
          }

          const versions = await p.query<{ revision: string; n: number }>('SELECT revision, COUNT(*) AS n FROM idem_version GROUP BY revision ORDER BY revision');
          assert.deepEqual(versions.map((v) => [v.revision, Number(v.n)]), [['k1', 1], ['k2', 1]]);
          // The unguarded insert ran exactly once: the migration itself ran once.
          const rows = await p.query<{ name: string; value: string }>('SELECT name, value FROM settings ORDER BY name');
          assert.deepEqual(rows.map((r) => [r.name, r.value]), [['runs', '1'], ['theme', 'dark']]);
        });

        test(`${engine.name}: ${n} more at once afterwards: all nothing to do, nothing changes`, async () => {
          const before = await p.fingerprint({ includeVersionTable: true });
          const runs = await raceUp(p, n);
          for (const r of runs) {
            assert.equal(r.code, EXIT.ok, show(r));
            assert.deepEqual(r.events.map((e) => [e.event, e.migrations]), [['done', 0]]);
          }
          assert.equal(await p.fingerprint({ includeVersionTable: true }), before);
        });
      });
    }

    test(`${engine.name}: a runner killed mid-migration leaves that migration undone; the next up converges`, async () => {
      const p = await TestProject.create(engine);
      try {
        await p.write({ revision: 'k1', up: SCHEMA });
        await p.write({
          revision: 'k2', revises: 'k1',
          // Sleeps in the live run only, not while the run is checked before it starts (detail 'recorded').
          up: `const audit = await m.createTable('audit', { id: { type: 'integer', primaryKey: true } });
               if (audit.detail !== 'recorded') await new Promise((r) => setTimeout(r, Number(process.env.IDEM_TEST_SLEEP_MS ?? 0)));
               await m.sql("INSERT INTO settings (name, value) VALUES ('k2', 'done')");`,
        });
        // Killed once k2's first operation has run, seconds before k2 could finish.
        const killed = await killUpWhen(p, /"event":"op","revision":"k2"/);
        assert.equal(killed.signal, 'SIGKILL', killed.stdout);
        // k1 reported done before the kill and stays done: each migration commits on its own.
        assert.match(killed.stdout, /"event":"migration","revision":"k1"/);
        assert.deepEqual(await p.recorded(), ['k1']);
        // Rolled back with its transaction; on MariaDB the CREATE TABLE committed on its own and stays for the re-run.
        assert.equal('audit' in JSON.parse(await p.fingerprint()), !rollsBackDdl(engine),
          rollsBackDdl(engine) ? 'the interrupted migration left nothing behind' : 'the DDL that ran before the kill stays');

        const again = await p.cli(['--json', 'up']);
        assert.equal(again.code, EXIT.ok, show(again));
        assert.deepEqual(await p.recorded(), ['k1', 'k2']);
        const audit = again.events.find((e) => e.event === 'op' && e.op === 'createTable' && e.target === 'audit');
        assert.equal(audit?.outcome, rollsBackDdl(engine) ? 'applied' : 'skipped', show(again));
        const rows = await p.query<{ name: string }>("SELECT name FROM settings WHERE name = 'k2'");
        assert.equal(rows.length, 1);
      } finally {
        await p.dispose();
      }
    });
  });
}
