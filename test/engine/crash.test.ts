/**
 * Crash recovery: `idem up` killed (SIGKILL: no cleanup, no signal handler)
 * after each operation of a multi-operation migration, then a plain re-run.
 * Every time the result equals a clean run: the same schema fingerprint and
 * the same rows. On SQLite and PostgreSQL the killed migration rolled back;
 * on MariaDB its DDL stayed, and the re-run skips what holds.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { engines } from '../engines.ts';
import { CLI, TestProject } from '../support/project.ts';

/** After operation n, a pause when the test aims its kill there (IDEM_TEST_PAUSE_AT=n); the kill lands in it. */
const pause = (n: number) => `await new Promise((r) => setTimeout(r, live && process.env.IDEM_TEST_PAUSE_AT === '${n}' ? 10000 : 0));`;
const STEPS = [
  `await m.createTable('a', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50, nullable: false } });`,
  `await m.addColumn('a', 'note', { type: 'string', length: 100, nullable: true });`,
  `await m.createIndex('a', ['name'], { name: 'ix_a_name' });`,
  `await m.executeIf({
     description: 'seed a',
     sql: "INSERT INTO a (id, name, note) SELECT 1, 'one', 'x' WHERE NOT EXISTS (SELECT 1 FROM a WHERE id = 1)",
     condition: 'SELECT COUNT(*) = 0 FROM a WHERE id = 1',
   });`,
  `await m.createTable('b', { id: { type: 'integer', primaryKey: true }, a_id: { type: 'integer', nullable: false } },
     { foreignKeys: [{ columns: ['a_id'], references: { table: 'a', columns: ['id'] }, onDelete: 'cascade' }] });`,
  `await m.executeIf({
     description: 'seed b',
     sql: 'INSERT INTO b (id, a_id) SELECT 10, 1 WHERE NOT EXISTS (SELECT 1 FROM b WHERE id = 10)',
     condition: 'SELECT COUNT(*) = 0 FROM b WHERE id = 10',
   });`,
];

async function project(engine: (typeof engines)[number]): Promise<TestProject> {
  const p = await TestProject.create(engine);
  await p.write({ revision: 'c0', up: `await m.createTable('base', { id: { type: 'integer', primaryKey: true } });` });
  // Paused in the live run only: the check before the run records c1 while c0's table does not exist yet.
  const live = `const live = await m.tableExists('base');`;
  await p.write({ revision: 'c1', revises: 'c0', up: [live, ...STEPS.map((step, i) => `${step}\n${pause(i + 1)}`)].join('\n') });
  return p;
}

/** Runs `idem --json up` and SIGKILLs it once `count` operations of c1 have been reported. */
function killAfter(p: TestProject, count: number): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--url', p.url, '--json', 'up'], {
      cwd: p.dir, env: { ...process.env, DATABASE_URL: '', IDEM_TEST_PAUSE_AT: String(count) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      const done = stdout.split('\n').filter((l) => l.includes('"event":"op"') && l.includes('"revision":"c1"')).length;
      if (done >= count) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ signal, stdout }));
  });
}

for (const engine of engines) {
  describe(`${engine.name}: crash recovery`, () => {
    let clean: string;

    test(`${engine.name}: a clean run, for reference`, async () => {
      const p = await project(engine);
      try {
        const run = await p.cli(['up']);
        assert.equal(run.code, 0, run.stderr);
        clean = await p.fingerprint();
      } finally {
        await p.dispose();
      }
    });

    for (let point = 1; point < STEPS.length; point++) {
      test(`${engine.name}: killed after operation ${point} of ${STEPS.length}, a plain re-run converges to the clean run`, async () => {
        assert.ok(clean, 'the reference run passed');
        const p = await project(engine);
        try {
          const killed = await killAfter(p, point);
          assert.equal(killed.signal, 'SIGKILL', killed.stdout);
          assert.deepEqual(await p.recorded(), ['c0'], 'the killed migration is not recorded');
          const again = await p.cli(['--json', 'up']);
          assert.equal(again.code, 0, again.stdout + again.stderr);
          assert.deepEqual(await p.recorded(), ['c0', 'c1']);
          assert.equal(await p.fingerprint(), clean);
        } finally {
          await p.dispose();
        }
      });
    }
  });
}
