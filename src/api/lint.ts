/**
 * `lint`: reads the migrations and reports what makes them unsafe to re-run
 * or to revert, with file and line, without any database (it runs in CI with
 * no server; none is opened, not even the SQLite file the URL names).
 *
 * Three sources, one finding per call:
 * - a dry run: each migration's `up`, then its `down`, against a context
 *   that records every operation and where the file called it (lint-executor.ts);
 *   existence questions answer from the schema the earlier migrations declare;
 * - the source: `.sql(` and `.executeIf(` calls the dry run did not reach
 *   (behind a branch it did not take, after an `m.query` it could not answer)
 *   are judged on what the source says literally;
 * - the files and the graph: modules that do not load, duplicate ids,
 *   missing parents, cycles, several heads, each with its files.
 *
 * The dialect is the one the URL names (or `dialect`): a migration that
 * branches on `m.dialect` is linted for that engine. A call only another
 * engine reaches is that engine's to lint, not reported from the source.
 */
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CatalogTable } from '../catalog/snapshot.ts';
import { parseConnectionUrl } from '../dialect/connection-url.ts';
import type { SimulationRules } from '../catalog/simulate.ts';
import type { DialectName } from '../dialect/dialect.ts';
import { IdemError, isIdemError } from '../errors.ts';
import { listMigrationNames } from '../files/migration-files.ts';
import { checkRevises, checkRevision, displayPath, loadMigration, type LoadedMigration } from '../files/migration-loader.ts';
import { readSourceCalls, type SourceShape } from '../files/source-calls.ts';
import { readStaticHeader } from '../files/static-header.ts';
import { graphProblems } from '../graph/graph-problems.ts';
import { RevisionGraph, type RevisionNode } from '../graph/revision-graph.ts';
import { dryRun, type CallSite, type DryRunResult } from '../runner/lint-executor.ts';
import { revisionProblem } from '../runner/pending-check.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import {
  compareFindings, dryRunFindings, graphFinding, loadFinding, missingDownFinding, revisionFinding, sourceCallFinding,
  type LintFinding, type LintNote, type MigrationRef,
} from './lint-rules.ts';

export { RULE_LEVELS, type LintFinding, type LintLevel, type LintNote, type LintRule } from './lint-rules.ts';

export type LintDialect = DialectName | 'mariadb';

export interface LintOptions extends Pick<IdemOptions, 'url' | 'dir' | 'cwd' | 'env'> {
  /** Lint for this engine instead of the one the URL names. */
  dialect?: LintDialect;
}

export interface LintResult {
  /** Sorted by file, then line. */
  findings: LintFinding[];
  notes: LintNote[];
  errors: number;
  warnings: number;
  /** Migration files read, including those that failed to load. */
  migrations: number;
  /** The engine the migrations were linted for. */
  dialect: DialectName;
}

const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres', 'mysql'];

export async function lint(options: LintOptions = {}): Promise<LintResult> {
  const config = await resolveConfig(options);
  const target = lintTarget(options, config.url, config.cwd);
  const names = await listMigrationNames(config.dir);
  const entries: MigrationEntry[] = [];
  // One at a time: importing runs each module's top level, and the order of any output it makes should not vary.
  for (const name of names) entries.push(await inspect(join(config.dir, name), config.cwd));

  const findings: LintFinding[] = [];
  const notes: LintNote[] = [];
  for (const e of entries) if (e.loadFailure) findings.push(loadFinding(e.ref, e.loadFailure.message, e.loadFailure.hint, e.loadFailure.at));

  const nodes: RevisionNode[] = entries.flatMap((e) => (e.node ? [e.node] : []));
  for (const problem of graphProblems(nodes)) findings.push(graphFinding(problem));

  const rules = await simulationRules(target.flavor);
  const counters = await placeholderCounters();
  let tables: ReadonlyMap<string, CatalogTable> = new Map();
  for (const e of runOrder(entries, nodes)) {
    const linted = await lintMigration(e, target.dialect, rules, counters, tables);
    findings.push(...linted.findings);
    notes.push(...linted.notes);
    tables = linted.tables;
  }

  const unique = dedupe(findings).sort(compareFindings);
  return {
    findings: unique,
    notes: notes.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0))),
    errors: unique.filter((f) => f.level === 'error').length,
    warnings: unique.filter((f) => f.level === 'warning').length,
    migrations: names.length,
    dialect: target.dialect,
  };
}

/**
 * One loaded migration: its up, then its down on the schema up left, each a
 * dry run for the linted engine; then the calls of its source neither reached.
 */
async function lintMigration(
  e: MigrationEntry, dialect: DialectName, rules: Record<DialectName, SimulationRules>, counters: Record<DialectName, (sql: string) => number>,
  before: ReadonlyMap<string, CatalogTable>,
): Promise<{ findings: LintFinding[]; notes: LintNote[]; tables: ReadonlyMap<string, CatalogTable> }> {
  const loaded = e.loaded!;
  const run = (on: DialectName) => async (): Promise<[DryRunResult, DryRunResult | undefined]> => {
    const options = { dialect: on, rules: rules[on], moduleUrl: e.moduleUrl, countPlaceholders: counters[on] };
    const up = await dryRun(loaded.up, { ...options, tables: before });
    const down = loaded.down ? await dryRun(loaded.down, { ...options, tables: up.tables }) : undefined;
    return [up, down];
  };
  const [up, down] = await run(dialect)();
  const findings: LintFinding[] = [];
  const revision = revisionProblem({ ...loaded, path: e.path });
  if (revision) findings.push(revisionFinding(e.ref, revision));
  const notes: LintNote[] = [];
  for (const result of [dryRunFindings(up, 'up', e.ref), ...(down ? [dryRunFindings(down, 'down', e.ref, e.source?.declarations.down)] : [])]) {
    findings.push(...result.findings);
    notes.push(...result.notes);
  }
  if (!loaded.down) findings.push(missingDownFinding(e.ref));

  const reached = reachedLines([up, down]);
  // A branch on m.dialect: what only the other engines reach is theirs to lint, not "unreached" here.
  // (The text test is only a shortcut: a file that never names `dialect` cannot branch on it.)
  if (e.text.includes('dialect')) {
    for (const other of DIALECTS.filter((d) => d !== dialect)) {
      for (const line of reachedLines(await run(other)())) reached.add(line);
    }
  }
  const incomplete = Boolean(up.stoppedAt || up.failure || down?.stoppedAt || down?.failure);
  findings.push(...fromSource(e, reached, notes, incomplete));
  return { findings, notes, tables: up.tables };
}

interface MigrationEntry {
  ref: MigrationRef;
  path: string;
  text: string;
  moduleUrl: string;
  source: SourceShape | null;
  /** Known when the module loaded, or when its header reads statically though the module does not load. */
  node?: RevisionNode;
  loaded?: LoadedMigration;
  loadFailure?: { message: string; hint?: string; at?: CallSite };
}

async function inspect(path: string, cwd: string): Promise<MigrationEntry> {
  const file = shownPath(path, cwd);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ref: { file }, path, text: '', moduleUrl: '', source: null, loadFailure: { message: `cannot read the file: ${(error as Error).message}`, hint: 'check the file and its permissions' } };
  }
  // Stack frames name the module by its real path: a symlinked migration is imported through its target.
  const moduleUrl = pathToFileURL(await realpath(path)).href;
  const source = readSourceCalls(text);
  try {
    const loaded = await loadMigration(path);
    const ref = { file, revision: loaded.revision };
    return { ref, path, text, moduleUrl, source, loaded, node: { revision: loaded.revision, revises: loaded.revises, description: loaded.description, file } };
  } catch (error) {
    // The graph still learns the revision when the header reads statically, so a broken
    // file does not also show up as the "missing parent" of the migrations after it.
    const header = headerOf(text, path);
    return {
      ref: { file, ...(header ? { revision: header.revision } : {}) }, path, text, moduleUrl, source,
      ...(header ? { node: { ...header, description: '', file } } : {}),
      loadFailure: loadFailure(error, path),
    };
  }
}

function headerOf(text: string, path: string): { revision: string; revises: string[] } | undefined {
  const header = readStaticHeader(text);
  if (header === null) return undefined;
  try {
    return { revision: checkRevision(header.revision, path), revises: checkRevises(header.revises, path) };
  } catch {
    return undefined;
  }
}

/**
 * The loader's message names the file, and the place when it knows it
 * (`migration <file>:<line>:<column> has a syntax error: …`); the finding
 * carries both as fields, so the message keeps only what went wrong.
 */
function loadFailure(error: unknown, path: string): NonNullable<MigrationEntry['loadFailure']> {
  if (!isIdemError(error)) return { message: `migration failed to load: ${error instanceof Error ? error.message : String(error)}` };
  const hint = error.hint !== undefined ? { hint: error.hint } : {};
  const prefix = `migration ${displayPath(path)}`;
  if (!error.message.startsWith(prefix)) return { message: error.message, ...hint };
  const rest = error.message.slice(prefix.length);
  const place = /^:(\d+):(\d+)/.exec(rest);
  if (place === null) return { message: `migration${rest}`, ...hint };
  return { message: `migration${rest.slice(place[0].length)}`, ...hint, at: { line: Number(place[1]), column: Number(place[2]) } };
}

/**
 * Graph order when the graph is sound, so each migration sees the schema its
 * ancestors declare; file order otherwise (the files are usually named by
 * creation time), so a broken graph still gets every migration linted.
 */
function runOrder(entries: MigrationEntry[], nodes: RevisionNode[]): MigrationEntry[] {
  const loaded = entries.filter((e) => e.loaded);
  try {
    const order = RevisionGraph.build(nodes).topoOrder();
    const byRevision = new Map(loaded.map((e) => [e.loaded!.revision, e]));
    return order.flatMap((revision) => {
      const e = byRevision.get(revision);
      return e ? [e] : [];
    });
  } catch (error) {
    if (isIdemError(error)) return loaded;
    throw error;
  }
}

/** Calls the dry run did not reach, read from the source; a file the tokenizer cannot read gets a note instead. */
function fromSource(e: MigrationEntry, reached: Set<number>, notes: LintNote[], incomplete: boolean): LintFinding[] {
  if (e.source === null) {
    if (incomplete) notes.push({ ...e.ref, message: 'the source could not be read plainly, so calls the dry run did not reach were not checked' });
    return [];
  }
  return e.source.calls.filter((call) => !reached.has(call.line)).flatMap((call) => {
    const f = sourceCallFinding(call, e.ref);
    return f ? [f] : [];
  });
}

function reachedLines(runs: Array<DryRunResult | undefined>): Set<number> {
  const lines = new Set<number>();
  for (const run of runs) for (const call of run?.calls ?? []) if (call.at) lines.add(call.at.line);
  return lines;
}

/** A call reached many times (a loop, a helper used by up and down) is one finding. */
function dedupe(findings: LintFinding[]): LintFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    // One call can hold several problems (each its own finding); the same one met from up and from down is one.
    const message = f.line === undefined || f.rule === 'invalid-operation' ? f.message.replace(/^(up|down): /, '') : '';
    const key = `${f.file}\0${f.line ?? ''}\0${f.column ?? ''}\0${f.rule}\0${message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function lintTarget(options: LintOptions, url: string, cwd: string): { dialect: DialectName; flavor: 'mysql' | 'mariadb' } {
  if (options.dialect !== undefined) {
    if (options.dialect === 'mariadb') return { dialect: 'mysql', flavor: 'mariadb' };
    if (!DIALECTS.includes(options.dialect)) {
      throw new IdemError('USAGE', `unknown dialect "${String(options.dialect)}"`, { hint: 'use sqlite, postgres, mysql or mariadb' });
    }
    return { dialect: options.dialect, flavor: 'mysql' };
  }
  // The URL only names the engine: nothing is opened.
  const parsed = parseConnectionUrl(url, cwd);
  return { dialect: parsed.dialect, flavor: parsed.dialect === 'mysql' && parsed.variant === 'mariadb' ? 'mariadb' : 'mysql' };
}

/** Each engine's type mapper and catalog conventions, for simulating the schema; loaded here so importing idem does not pay for them. */
async function simulationRules(flavor: 'mysql' | 'mariadb'): Promise<Record<DialectName, SimulationRules>> {
  const [{ SqliteTypeMapper }, { PostgresTypeMapper }, { MysqlTypeMapper }, { sqliteConventions }, { postgresConventions }, { mysqlConventions }] = await Promise.all([
    import('../dialect/sqlite/sqlite-types.ts'),
    import('../dialect/postgres/postgres-types.ts'),
    import('../dialect/mysql/mysql-types.ts'),
    import('../dialect/sqlite/sqlite-conventions.ts'),
    import('../dialect/postgres/postgres-conventions.ts'),
    import('../dialect/mysql/mysql-conventions.ts'),
  ]);
  return {
    sqlite: { types: new SqliteTypeMapper(), conventions: sqliteConventions },
    postgres: { types: new PostgresTypeMapper(), conventions: postgresConventions },
    mysql: { types: new MysqlTypeMapper(flavor), conventions: mysqlConventions },
  };
}

/** Each engine's count of `?` placeholders, as `idem up` matches them against the values. */
async function placeholderCounters(): Promise<Record<DialectName, (sql: string) => number>> {
  const [{ countSqlitePlaceholders }, { countPostgresPlaceholders }, { countMysqlPlaceholders }] = await Promise.all([
    import('../dialect/sqlite/sqlite-placeholders.ts'),
    import('../dialect/postgres/postgres-placeholders.ts'),
    import('../dialect/mysql/mysql-placeholders.ts'),
  ]);
  return { sqlite: countSqlitePlaceholders, postgres: countPostgresPlaceholders, mysql: countMysqlPlaceholders };
}

/** Relative to the working directory when under it, so `file:line:col` opens in an editor. */
function shownPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}
