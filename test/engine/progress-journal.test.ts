/**
 * The progress journal (src/runner/progress-journal.ts), seen from the CLI:
 * where a migration's DDL commits as it goes, a run that stops midway leaves
 * what it completed in idem_progress, and the next run passes over exactly
 * that and says so; a migration that only created things needs no journal
 * and is judged again. Where the migration's transaction rolls back (SQLite,
 * PostgreSQL), nothing is journaled and the next run starts from the first
 * operation. The interruption here is a migration that throws once (an
 * outage in its own code), so the point it stops at is exact; the SIGKILL
 * cases are in half-applied-rerun.test.ts and the property test.
 */
import assert from 'node:assert/strict';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { TestProject, type CliResult } from '../support/project.ts';

const FAIL = 'IDEM_TEST_FAIL_ONCE';

/** Drops a column and adds it back with another type, writes a row to it, then throws when asked to. */
const SHIFTING = `
await m.createTable('t1', { id: { type: 'integer', primaryKey: true }, c: { type: 'integer' } });
await m.dropColumn('t1', 'c');
await m.addColumn('t1', 'c', { type: 'string', length: 8 });
await m.executeIf({ description: 'row 1', condition: 'SELECT COUNT(*) = 0 FROM t1 WHERE id = 1', sql: "INSERT INTO t1 (id, c) VALUES (1, 'v1')" });
if (process.env.${FAIL}) throw new Error('an outage in the middle of the migration');
await m.createIndex('t1', ['c']);
`;

const ops = (run: CliResult) => run.events.filter((e) => e.event === 'op').map((e) => `${String(e.op)} ${String(e.outcome)}${e.detail === 'done by an interrupted run' ? ' (resumed)' : ''}`);
const warnings = (run: CliResult, code: string) => run.events.filter((e) => e.event === 'warning' && e.code === code);

async function progressRows(p: TestProject): Promise<unknown[]> {
  return p.query('SELECT revision, direction, done FROM idem_progress').catch(() => []);
}

/** The schema a run of `up` without interruption leaves, as a fingerprint. */
async function cleanRun(engine: (typeof engines)[number], up: string): Promise<string> {
  const p = await TestProject.create(engine);
  try {
    await p.write({ revision: 'r1', up });
    const run = await p.cli(['--json', 'up']);
    assert.equal(run.code, 0, show(run));
    return await p.fingerprint();
  } finally {
    await p.dispose();
  }
}

async function withProject(engine: (typeof engines)[number], work: (p: TestProject) => Promise<void>): Promise<void> {
  const p = await TestProject.create(engine);
  try {
    await work(p);
  } finally {
    await p.dispose();
  }
}

/** Only creates, then throws when asked to. */
const CREATING = `
await m.createTable('t1', { id: { type: 'integer', primaryKey: true } });
await m.addColumn('t1', 'c', { type: 'string', length: 8 });
await m.createIndex('t1', ['c']);
if (process.env.${FAIL}) throw new Error('an outage in the middle of the migration');
await m.addUnique('t1', ['c']);
`;

/**
 * Guarded writes where a later one makes an earlier one's condition true
 * again (found by the kill-and-rerun fuzz, seed 579685851): judged again
 * after the outage, the UPDATE would rewrite row 5.
 */
const REWRITING = `
await m.createTable('t1', { id: { type: 'integer', primaryKey: true }, a: { type: 'string', length: 8 } });
await m.executeIf({ description: 'row 9', condition: 'SELECT COUNT(*) = 0 FROM t1 WHERE id = 9', sql: 'INSERT INTO t1 (id, a) VALUES (9, NULL)' });
await m.executeIf({ description: 'a up to 9', condition: "SELECT COUNT(*) > 0 FROM t1 WHERE id <= 9 AND (a IS NULL OR a <> 'v')", sql: "UPDATE t1 SET a = 'v' WHERE id <= 9 AND (a IS NULL OR a <> 'v')" });
await m.executeIf({ description: 'row 5', condition: 'SELECT COUNT(*) = 0 FROM t1 WHERE id = 5', sql: 'INSERT INTO t1 (id, a) VALUES (5, NULL)' });
await m.addColumn('t1', 'b', { type: 'integer' });
if (process.env.${FAIL}) throw new Error('an outage in the middle of the migration');
await m.createIndex('t1', ['a']);
`;

/**
 * A rename, then a table under the rename's old name (found by the fuzz,
 * seed 700941338): stopped after the rename, then after the new table, the
 * second run found the rename done, and the third met both names.
 */
const RECREATING = `
await m.createTable('t4', { id: { type: 'integer', primaryKey: true }, a: { type: 'integer' } });
await m.renameTable('t4', 't1');
if (process.env.${FAIL} === '1') throw new Error('an outage after the rename');
await m.createTable('t4', { id: { type: 'integer', primaryKey: true }, e: { type: 'string', length: 8 } });
if (process.env.${FAIL} === '2') throw new Error('an outage after the new table');
await m.createIndex('t1', ['a']);
`;

for (const engine of engines) {
  const journals = engine.name === 'mariadb';

  test(`${engine.name}: a migration that failed midway is ${journals ? 'resumed after the operations it completed' : 'run again from its first operation (its transaction rolled back)'}`, () => withProject(engine, async (p) => {
    await p.write({ revision: 'r1', up: SHIFTING });
    const failed = await p.cli(['--json', 'up'], { env: { [FAIL]: '1' } });
    assert.notEqual(failed.code, 0, show(failed));
    assert.deepEqual(await p.recorded(), []);
    // MariaDB: each DDL statement commits what came before it, the journal entry of the DDL before it
    // included; the last DDL's entry, the executeIf's row and its entry were rolled back with the failure.
    if (journals) assert.deepEqual((await progressRows(p)).length, 1);

    // doctor says what the next run will do about it, and plan predicts exactly what up then does.
    const doctor = await p.cli(['--json', 'doctor']);
    const interrupted = (doctor.events as Array<Record<string, unknown>>).filter((e) => e.event === 'finding' && e.check === 'interrupted');
    assert.equal(interrupted.length, 1, show(doctor));
    if (journals) {
      assert.equal(interrupted[0]!.level, 'info', show(doctor));
      assert.match(String(interrupted[0]!.message), /^r1 \(up\) stopped after 2 operation\(s\), the last `dropColumn t1\.c`, at .*; the next run resumes after them$/);
    } else {
      assert.equal(interrupted[0]!.level, 'ok', show(doctor));
    }
    const plan = await p.cli(['--json', 'plan']);
    assert.equal(plan.code, 0, show(plan));

    const again = await p.cli(['--json', 'up']);
    assert.deepEqual(ops(plan), ops(again), `plan:\n${show(plan)}\nup:\n${show(again)}`);
    assert.equal(again.code, 0, show(again));
    if (journals) {
      assert.equal(warnings(again, 'RESUMED').length, 1, show(again));
      assert.match(String(warnings(again, 'RESUMED')[0]!.message), /r1 was interrupted after 2 operation\(s\)/);
      // addColumn is judged again, and holds: nothing after it that stayed could have changed what it meets.
      assert.deepEqual(ops(again), [
        'createTable skipped (resumed)', 'dropColumn skipped (resumed)', 'addColumn skipped', 'executeIf applied', 'createIndex applied',
      ]);
    } else {
      assert.equal(warnings(again, 'RESUMED').length, 0, show(again));
      assert.deepEqual(ops(again), ['createTable applied', 'dropColumn applied', 'addColumn applied', 'executeIf applied', 'createIndex applied']);
    }
    assert.deepEqual(await p.query('SELECT id, c FROM t1'), [{ id: 1, c: 'v1' }]);
    assert.deepEqual(await progressRows(p), [], 'the journal row goes with the version row');
    assert.deepEqual(await p.recorded(), ['r1']);
    const schema = JSON.parse(await p.fingerprint()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(schema), ['t1'], 'idem_progress is not part of the schema');
  }));

  if (journals) {
    test(`${engine.name}: a migration that only created things is not journaled: judged again, each operation finds what it made`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: CREATING });
      const failed = await p.cli(['--json', 'up'], { env: { [FAIL]: '1' } });
      assert.notEqual(failed.code, 0, show(failed));
      assert.deepEqual(await progressRows(p), [], 'nothing to resume: no journal row was written');
      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, show(again));
      assert.equal(warnings(again, 'RESUMED').length, 0, show(again));
      assert.deepEqual(ops(again), ['createTable skipped', 'addColumn skipped', 'createIndex skipped', 'addUnique applied']);
      assert.deepEqual(await p.recorded(), ['r1']);
    }));

    test(`${engine.name}: guarded writes are journaled: a later write that makes an earlier condition true again does not rerun it`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: REWRITING });
      const failed = await p.cli(['--json', 'up'], { env: { [FAIL]: '1' } });
      assert.notEqual(failed.code, 0, show(failed));
      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, show(again));
      assert.equal(warnings(again, 'RESUMED').length, 1, show(again));
      assert.deepEqual(ops(again), [
        'createTable skipped (resumed)', 'executeIf skipped (resumed)', 'executeIf skipped (resumed)', 'executeIf skipped (resumed)',
        'addColumn skipped', 'createIndex applied',
      ]);
      assert.deepEqual(await p.query('SELECT id, a FROM t1 ORDER BY id'), [{ id: 5, a: null }, { id: 9, a: 'v' }], 'as a clean run leaves them');
      assert.deepEqual(await p.recorded(), ['r1']);
    }));

    test(`${engine.name}: an operation a resumed run finds done is journaled before what follows can change what it meets`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: RECREATING });
      const first = await p.cli(['--json', 'up'], { env: { [FAIL]: '1' } });
      assert.notEqual(first.code, 0, show(first));
      const second = await p.cli(['--json', 'up'], { env: { [FAIL]: '2' } });
      assert.notEqual(second.code, 0, show(second));
      assert.deepEqual(ops(second), ['createTable skipped (resumed)', 'renameTable skipped', 'createTable applied']);
      const third = await p.cli(['--json', 'up']);
      assert.equal(third.code, 0, show(third));
      assert.deepEqual(ops(third), ['createTable skipped (resumed)', 'renameTable skipped (resumed)', 'createTable skipped', 'createIndex applied']);
      assert.deepEqual(JSON.parse(await p.fingerprint()) as unknown, JSON.parse(await cleanRun(engine, RECREATING)) as unknown, 'as a clean run leaves it');
      assert.deepEqual(await p.recorded(), ['r1']);
    }));

    test(`${engine.name}: a migration edited after it failed midway is judged again from its first operation, with a warning`, () => withProject(engine, async (p) => {
      const file = await p.write({ revision: 'r1', up: SHIFTING });
      const failed = await p.cli(['--json', 'up'], { env: { [FAIL]: '1' } });
      assert.notEqual(failed.code, 0, show(failed));
      await appendFile(join(p.migrations, file), '// edited after the failure\n');
      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, show(again));
      assert.equal(warnings(again, 'RESUMED').length, 0, show(again));
      assert.equal(warnings(again, 'PROGRESS_STALE').length, 1, show(again));
      assert.equal(ops(again).some((o) => o.endsWith('(resumed)')), false, show(again));
      assert.deepEqual(ops(again), ['createTable skipped', 'dropColumn skipped', 'addColumn skipped', 'executeIf applied', 'createIndex applied'],
        'judged again: the column is already as the re-add declares it (its last shape), so it is neither dropped nor added');
      assert.deepEqual(await progressRows(p), []);
      assert.deepEqual(await p.recorded(), ['r1']);
    }));
  }

  if (engine.name === 'postgres') {
    test(`${engine.name}: a migration outside its transaction (transaction = false) is journaled and resumed`, () => withProject(engine, async (p) => {
      const file = await p.write({ revision: 'r1', up: SHIFTING });
      await appendFile(join(p.migrations, file), 'export const transaction = false;\n');
      const failed = await p.cli(['--json', 'up'], { env: { [FAIL]: '1' } });
      assert.notEqual(failed.code, 0, show(failed));
      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, show(again));
      // Outside a transaction every statement commits: each journal entry is written before the next
      // operation, so the executeIf (the last to run) is judged again, and its condition says done.
      assert.match(String(warnings(again, 'RESUMED')[0]?.message), /r1 was interrupted after 3 operation\(s\)/, show(again));
      assert.deepEqual(ops(again), [
        'createTable skipped (resumed)', 'dropColumn skipped (resumed)', 'addColumn skipped (resumed)', 'executeIf skipped', 'createIndex applied',
      ]);
      assert.deepEqual(await p.query('SELECT id, c FROM t1'), [{ id: 1, c: 'v1' }]);
      assert.deepEqual(await progressRows(p), []);
    }));
  }
}
