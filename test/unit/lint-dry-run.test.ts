/**
 * The dry context lint runs `up`/`down` against: every operation recorded
 * with the line of the migration file that called it, existence questions
 * answered from the simulated schema, `m.query` ending the run where it
 * stands, and no database anywhere.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CatalogTable } from '../../src/catalog/snapshot.ts';
import { SqliteTypeMapper } from '../../src/dialect/sqlite/sqlite-types.ts';
import { sqliteConventions } from '../../src/dialect/sqlite/sqlite-conventions.ts';
import { loadMigration } from '../../src/files/migration-loader.ts';
import { dryRun, type DryRunResult } from '../../src/runner/lint-executor.ts';

let root: string;
let counter = 0;
before(async () => { root = await mkdtemp(join(tmpdir(), 'idem-lint-dry-')); });
after(() => rm(root, { recursive: true, force: true }));

/** Writes `lines` as a migration module (a fresh file each time: Node caches imports by URL) and dry-runs its up, then its down. */
async function dry(lines: string[], tables: ReadonlyMap<string, CatalogTable> = new Map()): Promise<{ up: DryRunResult; down?: DryRunResult }> {
  const path = join(root, `m${++counter}.ts`);
  await writeFile(path, lines.join('\n'));
  const loaded = await loadMigration(path);
  const options = { dialect: 'sqlite' as const, rules: { types: new SqliteTypeMapper(), conventions: sqliteConventions }, moduleUrl: pathToFileURL(path).href };
  const up = await dryRun(loaded.up, { ...options, tables });
  const down = loaded.down ? await dryRun(loaded.down, { ...options, tables: up.tables }) : undefined;
  return down ? { up, down } : { up };
}

const HEADER = ["import type { MigrationContext } from 'idem';", "export const revision = 'r';", 'export const revises = null;'];

const at = (r: DryRunResult) => r.calls.map((c) => `${c.op.kind}@${c.at?.line}:${c.at?.column}`);

describe('lint: dry run', () => {
  test('records each operation at the line and column of the call, types stripped, helpers included', async () => {
    const { up } = await dry([
      ...HEADER,
      /* 4 */ 'type Spec = { type: "integer" };',
      /* 5 */ 'export async function up(m: MigrationContext): Promise<void> {',
      /* 6 */ "  const id: Spec = { type: 'integer' };",
      /* 7 */ "  await m.createTable('t', { id: { ...id, primaryKey: true } });",
      /* 8 */ "  await m.sql('UPDATE t SET id = 1');",
      /* 9 */ '  await helper(m);',
      /* 10 */ '  await m',
      /* 11 */ "    .dropTable('t', { note: 'replaced' });",
      /* 12 */ '}',
      /* 13 */ "function helper(m: MigrationContext) { return m.addColumn('t', 'c', { type: 'text' }); }",
    ]);
    assert.deepEqual(at(up), ['createTable@7:11', 'sql@8:11', 'addColumn@13:49', 'dropTable@11:6']);
    assert.equal(up.failure, undefined);
    const drop = up.calls[3]!.op;
    assert.equal(drop.kind === 'dropTable' ? drop.note : undefined, 'replaced', 'the note travels with the operation');
  });

  test('tableExists and columnExists answer from the schema earlier migrations and earlier calls declare', async () => {
    const earlier = await dry([
      ...HEADER,
      "export async function up(m) { await m.createTable('users', { id: { type: 'integer', primaryKey: true } }); }",
    ]);
    const { up, down } = await dry([
      ...HEADER,
      'export async function up(m) {',
      "  if (await m.tableExists('users')) await m.addColumn('users', 'email', { type: 'string' });",
      "  if (await m.tableExists('ghosts')) await m.dropTable('ghosts');",
      "  if (!(await m.columnExists('users', 'email'))) throw new Error('addColumn was not simulated');",
      '}',
      'export async function down(m) {',
      "  if (await m.columnExists('users', 'email')) await m.dropColumn('users', 'email');",
      '}',
    ], earlier.up.tables);
    assert.deepEqual(up.calls.map((c) => c.op.kind), ['addColumn']);
    assert.equal(up.failure, undefined);
    assert.deepEqual(down?.calls.map((c) => c.op.kind), ['dropColumn'], 'down sees the schema as its up left it');
  });

  test('m.query stops the run where it stands: what came before counts, the place is kept', async () => {
    const { up } = await dry([
      ...HEADER,
      'export async function up(m) {',
      "  await m.sql('CREATE TABLE a (id int)');",
      "  const rows = await m.query('SELECT id FROM a');",
      "  await m.sql('CREATE TABLE b (id int)');",
      '}',
    ]);
    assert.deepEqual(at(up), ['sql@5:11']);
    assert.deepEqual(up.stoppedAt, { line: 6, column: 24 });
    assert.equal(up.failure, undefined, 'the stop is not a failure');
  });

  test('an executeIf without a condition is recorded (empty) for lint to report, not thrown', async () => {
    const { up } = await dry([
      ...HEADER,
      'export async function up(m) {',
      "  await m.executeIf({ sql: 'DELETE FROM a', condition: '  ', description: 'purge' });",
      "  await m.executeIf({ sql: 'DELETE FROM b', description: 'none at all' });",
      '}',
    ]);
    assert.deepEqual(up.calls.map((c) => c.op.kind === 'executeIf' && [c.op.description, c.op.condition]), [['purge', ''], ['none at all', '']]);
  });

  test('a call idem up would refuse is kept with its call site, and the run goes on to the next', async () => {
    const { up } = await dry([
      ...HEADER,
      'export async function up(m) {',
      "  await m.createTable('t', {",
      "    id: { type: 'integer', length: 5 },",
      '  });',
      "  await m.addColumn('t', 'n', { type: 'string', lenght: 5 });",
      '}',
    ]);
    assert.equal(up.failure, undefined);
    assert.deepEqual(up.refused.map((r) => [r.call.kind, r.at, r.problems.map((p) => p.message)]), [
      ['createTable', { line: 5, column: 11 }, ['column "id": length is only valid for string and binary columns, not integer']],
      ['addColumn', { line: 8, column: 11 }, ['column "n": unknown key "lenght"']],
    ]);
    assert.equal(up.refused[1]!.problems[0]!.hint, 'did you mean `length`?');
  });

  test('a note that is not text is refused like any invalid option', async () => {
    const { up } = await dry([...HEADER, "export async function up(m) { await m.dropColumn('t', 'c', { note: 42 }); }"]);
    assert.deepEqual(up.refused.map((r) => [r.call.kind, r.call.target, r.problems.map((p) => p.message)]), [
      ['dropColumn', 't.c', ['options: note is number 42, not a string']],
    ]);
  });

  test('a run that waits on something other than m is given up after the time limit', async () => {
    const path = join(root, `m${++counter}.ts`);
    await writeFile(path, [...HEADER, "export async function up(m) { await m.sql('A'); await new Promise(() => {}); await m.sql('B'); }"].join('\n'));
    const loaded = await loadMigration(path);
    const started = performance.now();
    const up = await dryRun(loaded.up, { dialect: 'sqlite', rules: { types: new SqliteTypeMapper(), conventions: sqliteConventions }, moduleUrl: pathToFileURL(path).href, tables: new Map(), timeoutMs: 200 });
    assert.ok(performance.now() - started < 2000);
    assert.deepEqual(up.calls.map((c) => c.op.kind === 'sql' && c.op.sql), ['A']);
    assert.match((up.failure?.error as Error).message, /did not finish within 0\.2 s; it waits on something other than m/);
  });

  test('a migration that throws for its own reasons: the error and the line of the throw', async () => {
    const { up } = await dry([...HEADER, 'export async function up(m) {', "  throw new Error('no users yet');", '}']);
    assert.equal((up.failure?.error as Error).message, 'no users yet');
    assert.deepEqual(up.failure?.at, { line: 5, column: 9 });
  });
});
