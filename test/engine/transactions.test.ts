/**
 * Transactions per engine, as each `begin` event reports them: SQLite and
 * PostgreSQL run each migration in a transaction; a PostgreSQL migration may
 * opt out (`export const transaction = false`) for DDL that refuses one;
 * MySQL/MariaDB commit DDL implicitly, so nothing there is transactional.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines } from '../engines.ts';
import { migrationSource, TestProject } from '../support/project.ts';

const expected = { sqlite: [true, true], postgres: [true, false], mariadb: [false, false] } as const;

for (const engine of engines) {
  test(`${engine.name}: each migration's begin event says whether it runs in a transaction; opting out where the engine allows`, async () => {
    const p = await TestProject.create(engine);
    try {
      await p.write({ revision: 't1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true }, v: { type: 'integer' } });`, down: `await m.dropTable('t');` });
      // CREATE INDEX CONCURRENTLY refuses to run inside a transaction on PostgreSQL.
      const index = engine.name === 'postgres'
        ? `await m.sql('CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_v ON t (v)', [], { idempotent: true });`
        : `await m.createIndex('t', ['v'], { name: 'ix_t_v' });`;
      await p.writeRaw('0002_t2.ts', `${migrationSource({ revision: 't2', revises: 't1', up: index, down: `await m.dropIndex('t', 'ix_t_v');` })}\nexport const transaction = false;\n`);
      const run = await p.cli(['--json', 'up']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const begins = run.events.filter((e) => e.event === 'begin').map((e) => e.transaction);
      assert.deepEqual(begins, [...expected[engine.name]]);
      assert.deepEqual(await p.recorded(), ['t1', 't2']);
      const human = await p.cli(['down', 'base']);
      assert.equal(human.code, 0, human.stderr);
      const marked = human.stdout.split('\n').filter((l) => l.includes('[no transaction'));
      assert.equal(marked.length, expected[engine.name].filter((t) => !t).length, human.stdout);
    } finally {
      await p.dispose();
    }
  });
}

/**
 * Adopting: a migration whose every operation was skipped does not commit on
 * its own (TransactionControl.keep); the next commit makes its version row
 * durable. A later migration that fails must not take those rows with it.
 */
for (const engine of engines) {
  test(`${engine.name}: migrations that changed nothing before one that fails stay recorded, and one that applies commits them`, async () => {
    const p = await TestProject.create(engine);
    try {
      const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;
      for (const name of ['a', 'b', 'c']) await p.exec(`CREATE TABLE ${name} (id integer PRIMARY KEY)`);
      await p.write({ revision: 'r1', up: table('a') });
      await p.write({ revision: 'r2', revises: 'r1', up: table('b') });
      await p.write({ revision: 'r3', revises: 'r2', up: `${table('c')}\nif (process.env.IDEM_TEST_FAIL) throw new Error('r3 failed on purpose');` });
      await p.write({ revision: 'r4', revises: 'r3', up: table('d') });
      await p.write({ revision: 'r5', revises: 'r4', up: table('a') });
      const failed = await p.cli(['--json', 'up'], { env: { IDEM_TEST_FAIL: '1' } });
      assert.notEqual(failed.code, 0, failed.stdout + failed.stderr);
      assert.deepEqual(failed.events.filter((e) => e.event === 'migration').map((e) => e.revision), ['r1', 'r2']);
      assert.deepEqual(await p.recorded(), ['r1', 'r2'], 'the rows of the skipped migrations before the failure are recorded');

      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.deepEqual(again.events.filter((e) => e.event === 'migration').map((e) => [e.revision, e.applied]), [['r3', 0], ['r4', 1], ['r5', 0]]);
      assert.deepEqual(await p.recorded(), ['r1', 'r2', 'r3', 'r4', 'r5']);
    } finally {
      await p.dispose();
    }
  });
}

/**
 * PostgreSQL: each migration commits without waiting for the disk
 * (asynchronous commit), and the run ends with one commit that does wait,
 * which makes every earlier one durable: the WAL is flushed in order.
 */
for (const engine of engines.filter((e) => e.name === 'postgres')) {
  test(`${engine.name}: migrations commit lazily, and the session waits for all of them, once, before it closes`, async () => {
    const { default: pg } = await import('pg');
    const { up } = await import('../../src/api/up.ts');
    const p = await TestProject.create(engine);
    const sent: string[] = [];
    const query = pg.Client.prototype.query;
    try {
      const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;
      await p.write({ revision: 'a', up: table('ta') });
      await p.write({ revision: 'b', revises: 'a', up: table('tb') });
      await p.write({ revision: 'c', revises: 'b', up: table('tc') });
      pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
        if (typeof args[0] === 'string') sent.push(args[0]);
        return (query as (...a: unknown[]) => unknown).apply(this, args);
      } as typeof query;
      const result = await up({ url: p.url, dir: p.migrations });
      assert.equal(result.applied, 3);
      const lazy = sent.flatMap((sql, i) => (sql === 'SET LOCAL synchronous_commit = off; COMMIT' ? [i] : []));
      const flush = sent.flatMap((sql, i) => (sql === 'BEGIN; SELECT txid_current(); COMMIT' ? [i] : []));
      assert.equal(lazy.length, 3, sent.join('\n'));
      assert.equal(flush.length, 1, sent.join('\n'));
      assert.ok(flush[0]! > lazy[2]!, 'the durable commit comes after the last lazy one');
    } finally {
      pg.Client.prototype.query = query;
      await p.dispose();
    }
  });
}
