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
