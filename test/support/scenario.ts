/**
 * Helpers for the per-operation engine suites: run `up` as a user would,
 * then prove the run converges by emptying the version table (adoption) and
 * running again: the second run must skip everything and change nothing.
 */
import assert from 'node:assert/strict';
import { DatabaseSync } from 'node:sqlite';
import type { CatalogTable } from '../../src/catalog/snapshot.ts';
import type { Engine } from '../engines.ts';
import { rollsBackDdl } from './engine-sql.ts';
import { opLines, TestProject, type CliResult } from './project.ts';

export async function withProject(engine: Engine, body: (p: TestProject) => Promise<void>): Promise<void> {
  const p = await TestProject.create(engine);
  try {
    await body(p);
  } finally {
    await p.dispose();
  }
}

/** `idem --json up [args]`, which must succeed. */
export async function upOk(p: TestProject, ...args: string[]): Promise<CliResult> {
  const run = await p.cli(['--json', 'up', ...args]);
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stderr}${run.stdout}`);
  return run;
}

/** The op events as `outcome op target — detail` lines. */
export function opDetails(run: CliResult): string[] {
  return run.events.filter((e) => e.event === 'op').map((e) => `${e.outcome} ${e.op} ${e.target}${e.detail ? ` — ${e.detail}` : ''}`);
}

export function opEvent(run: CliResult, op: string, target: string): Record<string, unknown> {
  const found = run.events.find((e) => e.event === 'op' && e.op === op && e.target === target);
  assert.ok(found, `no ${op} ${target} in\n${opLines(run).join('\n')}`);
  return found as Record<string, unknown>;
}

export function errorOf(run: CliResult): Record<string, unknown> {
  const error = run.events.find((e) => e.event === 'error');
  assert.ok(error, `no error event in\n${run.stdout}${run.stderr}`);
  return error as Record<string, unknown>;
}

/**
 * Adoption: forget every revision and run `up` again. Every operation must be
 * skipped (or, when `expected` is given, have exactly those lines) and the
 * schema and data must not change.
 */
export async function adoptAgain(p: TestProject, expected?: string[]): Promise<CliResult> {
  const before = await p.fingerprint();
  const recorded = await p.recorded();
  await p.exec('DELETE FROM idem_version');
  const again = await upOk(p);
  if (expected) assert.deepEqual(opDetails(again), expected);
  else {
    assert.ok(opLines(again).length > 0, 'the adoption run ran no operation');
    assert.deepEqual(opLines(again).filter((l) => !l.startsWith('skipped ')), [], opDetails(again).join('\n'));
  }
  assert.equal(await p.fingerprint(), before, 'the adoption run changed the schema or the data');
  assert.deepEqual(await p.recorded(), recorded);
  return again;
}

/** A failing run: exit 1, nothing recorded beyond `recorded`, schema and data untouched. Returns the error event. */
export async function failsCleanly(p: TestProject, recorded: string[] = []): Promise<Record<string, unknown>> {
  const before = await p.fingerprint();
  const run = await p.cli(['--json', 'up']);
  assert.equal(run.code, 1, `exit ${run.code}\n${run.stderr}${run.stdout}`);
  assert.equal(await p.fingerprint(), before, 'the failed run changed the schema or the data');
  assert.deepEqual(await p.recorded(), recorded);
  return errorOf(run);
}

/** `TestProject.fingerprint()` parsed: per table, columns as [name, type, nullable, default, autoIncrement], keys and rows. */
export type Fingerprint = Record<string, { columns: Array<[string, string, boolean, string | null, boolean]>; [part: string]: unknown }>;

/**
 * A run that fails inside a migration after some of its statements ran:
 * exit 1, nothing recorded beyond `recorded`. Where DDL rolls back with the
 * migration (SQLite, PostgreSQL) schema and data are as before; MariaDB
 * commits each DDL statement, so there the fingerprint is the one from before
 * with `committed` applied: exactly what stays behind for the re-run to
 * converge. Returns the error event.
 */
export async function failsPartway(p: TestProject, recorded: string[], committed: (before: Fingerprint) => void): Promise<Record<string, unknown>> {
  const expected = JSON.parse(await p.fingerprint()) as Fingerprint;
  if (!rollsBackDdl(p.engine)) committed(expected);
  const run = await p.cli(['--json', 'up']);
  assert.equal(run.code, 1, `exit ${run.code}\n${run.stderr}${run.stdout}`);
  assert.deepEqual(JSON.parse(await p.fingerprint()), expected,
    rollsBackDdl(p.engine) ? 'the failed run changed the schema or the data' : 'the failed run left other than what committed');
  assert.deepEqual(await p.recorded(), recorded);
  return errorOf(run);
}

/** The table as idem's catalog reader sees it. */
export async function catalogTable(p: TestProject, name: string): Promise<CatalogTable | undefined> {
  const session = await p.session();
  try {
    return (await session.catalog.readTables([name])).get(name);
  } finally {
    await session.close();
  }
}

export async function tableNames(p: TestProject): Promise<string[]> {
  return Object.keys(JSON.parse(await p.fingerprint())).sort();
}

/** Index names, columns and uniqueness, sorted by name. */
export async function indexList(p: TestProject, table: string): Promise<string[]> {
  const t = await catalogTable(p, table);
  assert.ok(t, `table ${table} missing`);
  return t.indexes.filter((i) => i.origin !== 'primaryKey').map((i) => `${i.name}(${i.columns.join(',')})${i.unique ? ' unique' : ''}`).sort();
}

export async function foreignKeyList(p: TestProject, table: string): Promise<string[]> {
  const t = await catalogTable(p, table);
  assert.ok(t, `table ${table} missing`);
  return t.foreignKeys.map((f) => `${f.name ?? '(unnamed)'}(${f.columns.join(',')}) -> ${f.refTable}(${f.refColumns.join(',')}) on delete ${f.onDelete}`).sort();
}

/**
 * A statement through a connection as the application opens it, with the
 * engine enforcing foreign keys (idem's own SQLite connection does not: its
 * table rebuilds need enforcement off). Rejects with the database's error.
 */
export async function appExec(p: TestProject, sql: string, params: Array<string | number | null> = []): Promise<void> {
  if (p.engine.name !== 'sqlite') return p.exec(sql, params);
  const db = new DatabaseSync(p.url.slice('sqlite:'.length), { enableForeignKeyConstraints: true });
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}
