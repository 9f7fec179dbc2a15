/**
 * Fixed reproductions of what the kill-and-rerun property found (or would
 * find) where DDL commits as it goes: a migration SIGKILLed after its last
 * operation, before its version row, is re-run with the rest of the chain,
 * and must end where a clean run ends. SQLite and PostgreSQL roll the killed
 * migration back. On MariaDB the killed migration's DDL stays, and judging
 * its operations again from the first would meet what its own later
 * operations did (each case names what that did before the progress journal);
 * the re-run resumes after the operations the killed run completed
 * (src/runner/progress-journal.ts).
 */
import { test } from 'node:test';
import { engines } from '../engines.ts';
import { killedRerunConverges } from '../support/kill-rerun-check.ts';
import type { Chain, Step } from '../support/random-chain.ts';

const table = (name: string, columns: Record<string, unknown> = {}): Step =>
  ({ method: 'createTable', args: [name, { id: { type: 'integer', primaryKey: true }, ...columns }] });

const insert = (t: string, id: number, values: Record<string, string> = {}): Step => {
  const names = ['id', ...Object.keys(values)];
  return {
    method: 'executeIf',
    args: [{
      description: `insert ${t} ${id}`,
      sql: `INSERT INTO ${t} (${names.join(', ')}) SELECT ${[String(id), ...Object.values(values)].join(', ')} WHERE NOT EXISTS (SELECT 1 FROM ${t} WHERE id = ${id})`,
      condition: `SELECT COUNT(*) = 0 FROM ${t} WHERE id = ?`,
      conditionParams: [id],
    }],
  };
};

/** `killedIn`: the migration killed after its last operation; by default the last one. */
const cases: Array<{ what: string; chain: Chain; killedIn?: string }> = [
  {
    what: 'an operation on a table that a later operation of the same migration drops',
    // Before the journal: the re-run fails with "addColumn t1.a: table t1 does not exist".
    chain: [
      { revision: 'r1', steps: [table('t1')] },
      { revision: 'r2', steps: [{ method: 'addColumn', args: ['t1', 'a', { type: 'integer' }] }, { method: 'dropTable', args: ['t1'] }] },
    ],
  },
  {
    what: 'an operation on a column that a later operation of the same migration drops',
    // Before the journal: the re-run fails with "Key column 'a' doesn't exist in table".
    chain: [
      { revision: 'r1', steps: [table('t1', { a: { type: 'integer' } })] },
      { revision: 'r2', steps: [{ method: 'addUnique', args: ['t1', ['a']] }, { method: 'dropColumn', args: ['t1', 'a'] }] },
    ],
  },
  {
    what: 'a table name a rename moved away from, created again in the same migration',
    // Before the journal: the re-run fails with "renameTable t1 -> t2: both t1 and t2 exist".
    chain: [
      { revision: 'r1', steps: [table('t1')] },
      { revision: 'r2', steps: [{ method: 'renameTable', args: ['t1', 't2'] }, table('t1')] },
    ],
  },
  {
    what: 'a unique key added and dropped in the same migration, with rows it refuses written after the drop',
    // Before the journal: the re-run adds the key again over the duplicates ("Duplicate entry 'v1'").
    chain: [
      { revision: 'r1', steps: [table('t1', { a: { type: 'string', length: 8 } })] },
      {
        revision: 'r2',
        steps: [
          insert('t1', 1, { a: "'v1'" }),
          { method: 'addUnique', args: ['t1', ['a']] },
          { method: 'dropUnique', args: ['t1', 'uq_t1_a'] },
          insert('t1', 2, { a: "'v1'" }),
          // DDL after the insert: MariaDB commits the row with it.
          { method: 'addColumn', args: ['t1', 'b', { type: 'integer' }] },
        ],
      },
    ],
  },
  {
    // Found by the property test (seed 1752239285 on MariaDB), shrunk.
    what: 'a column name a drop freed, taken by a later rename in the same migration',
    // Before the journal: the re-run drops the renamed column, then fails with "renameColumn t1.d -> c: neither t1.d nor t1.c exists".
    chain: [
      { revision: 'r1', steps: [table('t1', { c: { type: 'string', length: 8 }, d: { type: 'string', length: 8 } })] },
      { revision: 'r2', steps: [{ method: 'dropColumn', args: ['t1', 'c'] }, { method: 'renameColumn', args: ['t1', 'd', 'c'] }] },
    ],
  },
  {
    what: 'a column dropped and added again in the same migration, with a row written to the new column',
    // Before the journal: the re-run drops the new column and adds it again empty; it exits 0 with the row's value lost.
    chain: [
      { revision: 'r1', steps: [table('t1', { c: { type: 'string', length: 8 } })] },
      {
        revision: 'r2',
        steps: [
          { method: 'dropColumn', args: ['t1', 'c'] },
          { method: 'addColumn', args: ['t1', 'c', { type: 'string', length: 8 }] },
          insert('t1', 1, { c: "'v1'" }),
          // DDL after the insert: MariaDB commits the row with it.
          { method: 'createIndex', args: ['t1', ['c']] },
        ],
      },
    ],
  },
  {
    // Found by the property test (seed 281828138 on MariaDB), shrunk.
    what: 'a table renamed, then renamed again by the next migration',
    // Before the journal: the re-run looks for t1 only under its last name t3, creates t1 again, then fails with "renameTable t1 -> t2: both t1 and t2 exist".
    chain: [
      { revision: 'r1', steps: [table('t1'), { method: 'renameTable', args: ['t1', 't2'] }] },
      { revision: 'r2', steps: [{ method: 'renameTable', args: ['t2', 't3'] }] },
    ],
    killedIn: 'r1',
  },
  {
    what: 'a column renamed, then renamed again by the next migration',
    // Before the journal: the re-run looks for a only under its last name c, adds a again, then fails with "renameColumn t1.a -> b: both t1.a and t1.b exist".
    chain: [
      { revision: 'r1', steps: [table('t1')] },
      { revision: 'r2', steps: [{ method: 'addColumn', args: ['t1', 'a', { type: 'integer' }] }, { method: 'renameColumn', args: ['t1', 'a', 'b'] }] },
      { revision: 'r3', steps: [{ method: 'renameColumn', args: ['t1', 'b', 'c'] }] },
    ],
    killedIn: 'r2',
  },
  {
    what: 'a data condition naming a table that a later operation of the same migration renames',
    // Before the journal: the re-run's condition query fails ("Table 't1' doesn't exist"); idem cannot rewrite a migration's SQL.
    chain: [
      { revision: 'r1', steps: [table('t1')] },
      { revision: 'r2', steps: [insert('t1', 1), { method: 'renameTable', args: ['t1', 't2'] }] },
    ],
  },
];

for (const engine of engines) {
  for (const c of cases) {
    const killed = c.chain.find((m) => m.revision === c.killedIn) ?? c.chain.at(-1)!;
    test(`${engine.name}: killed after the last operation of a migration, with ${c.what}: a re-run converges to the clean run`, async () => {
      await killedRerunConverges(engine, c.chain, [() => ({ after: { revision: killed.revision, operations: killed.steps.length } })], []);
    });
  }
}

// Found by the property test (seed 453985260 on MariaDB), shrunk. A run resumes r1 and finds the rest
// of it done: r1 changed nothing, so its version row does not commit on its own (keep). r2's DDL must
// commit that row: killed after r2, the next run would otherwise find r1 unrecorded and its journal
// gone, judge it again, and drop the column r2 renamed into p_id.
for (const engine of engines) {
  test(`${engine.name}: killed in a migration, then killed after the next one's DDL while the first was resumed: a re-run converges to the clean run`, async () => {
    const chain: Chain = [
      { revision: 'r1', steps: [table('t1', { p_id: { type: 'integer' }, q_id: { type: 'integer' } }), { method: 'dropColumn', args: ['t1', 'p_id'] }] },
      { revision: 'r2', steps: [{ method: 'renameColumn', args: ['t1', 'q_id', 'p_id'] }, { method: 'addColumn', args: ['t1', 'q_id', { type: 'integer' }] }] },
    ];
    await killedRerunConverges(engine, chain, [
      () => ({ after: { revision: 'r1', operations: 2 } }),
      () => ({ after: { revision: 'r2', operations: 2 } }),
    ], []);
  });
}
