/**
 * Found by the kill-and-rerun property test (seed 1325864418, SQLite and
 * PostgreSQL), shrunk, and then seen to need no kill at all: an ordinary
 * `idem up` of two pending migrations over a database that has tables. The
 * first creates t2 (or adds t1.b); the second renames t1 away (t1 -> t5) and
 * t2 into the freed name (t2 -> t1). The look-ahead reads "t2 is absent, a
 * later rename calls it t1, and t1 exists" as "t2 exists already as t1" and
 * skips creating it, though the t1 there is the table about to move away; the
 * second migration then fails: "renameTable t2 -> t1: neither t2 nor t1
 * exists". A fresh database passed (no look-ahead there). The look-ahead now
 * ignores a later name whose present holder a later operation moves or drops
 * first (lookahead.ts, vacatedBefore).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { TestProject } from '../support/project.ts';

const cases = [
  {
    what: 'a table renamed into the name another rename of the same run freed',
    first: `await m.createTable('t1', { id: { type: 'integer', primaryKey: true } });`,
    second: `await m.createTable('t2', { id: { type: 'integer', primaryKey: true } });`,
    third: `await m.renameTable('t1', 't5');\nawait m.renameTable('t2', 't1');`,
    tables: ['t1', 't5'],
  },
  {
    what: 'a column renamed into the name another rename of the same run freed',
    first: `await m.createTable('t1', { id: { type: 'integer', primaryKey: true }, a: { type: 'integer' } });`,
    second: `await m.addColumn('t1', 'b', { type: 'integer' });`,
    third: `await m.renameColumn('t1', 'a', 'x');\nawait m.renameColumn('t1', 'b', 'a');`,
    tables: ['t1'],
  },
];

for (const engine of engines) {
  for (const c of cases) {
    test(`${engine.name}: ${c.what}, deployed over a database that has tables, applies`, async () => {
        const p = await TestProject.create(engine);
        try {
          await p.write({ revision: 'r1', up: c.first });
          const first = await p.cli(['up']);
          assert.equal(first.code, 0, show(first));
          await p.write({ revision: 'r2', revises: 'r1', up: c.second });
          await p.write({ revision: 'r3', revises: 'r2', up: c.third });
          const run = await p.cli(['up']);
          assert.equal(run.code, 0, show(run));
          assert.deepEqual(await p.recorded(), ['r1', 'r2', 'r3']);
          const schema = JSON.parse(await p.fingerprint()) as Record<string, { columns: Array<[string]> }>;
          assert.deepEqual(Object.keys(schema).sort(), c.tables);
          if (c.tables.length === 1) assert.deepEqual(schema.t1!.columns.map(([name]) => name).sort(), ['a', 'id', 'x']);
        } finally {
          await p.dispose();
        }
      });
  }
}
