/**
 * The migration context `m`: the only thing a migration touches. Each schema
 * method builds an operation as data and hands it to an executor, which
 * decides applied / skipped / drift (or, when planning, predicts it). The
 * same context therefore serves `up`, `plan` and the look-ahead pass.
 */
import { IdemError, type OperationRef } from '../errors.ts';
import {
  columnMapProblems, columnProblems, newNameProblems, optionsProblems, parameterProblem, tableOptionsProblems, type Problem,
} from './check-arguments.ts';
import type { ColumnMap, ColumnSpec, ForeignKeySpec, IndexSpec, ReferentialAction, TableOptions, UniqueSpec } from './column-spec.ts';
import { defaultConstraintName } from './constraint-names.ts';
import {
  ADD_FOREIGN_KEY_OPTION_KEYS, ADD_UNIQUE_OPTION_KEYS, CREATE_INDEX_OPTION_KEYS, DROP_OPTION_KEYS, EXECUTE_IF_KEYS, SQL_OPTION_KEYS,
} from './known-keys.ts';
import { referentialAction } from './referential-actions.ts';
import type { Operation } from './operations.ts';

export type { Problem };

export type Outcome = 'applied' | 'skipped' | 'drift';

/** One difference between what a migration declares and what the database has. */
export interface Difference {
  /** `users.api_key`, `users` (table level), `users.uq_users_email`. */
  object: string;
  field: string;
  declared: unknown;
  actual: unknown;
}

export interface OperationResult {
  outcome: Outcome;
  /** Why, in a few words: `exists`, `exists as users_email_key`, `condition false`. */
  detail?: string;
  differences?: Difference[];
  /** Rows changed by data operations. */
  rows?: number;
}

export interface ExecuteIfOptions {
  /** The data change; `?` placeholders bind `params`. */
  sql: string;
  /** A query returning one row with one value; truthy means run `sql`. */
  condition: string;
  params?: unknown[];
  /** Parameters for the condition's own placeholders (none by default: it never borrows `params`). */
  conditionParams?: unknown[];
  description: string;
}

export interface SqlOptions {
  /** The statement is safe to run again (e.g. guarded by NOT EXISTS): reported as applied, not unguarded. */
  idempotent?: boolean;
  description?: string;
}

export interface DropOptions {
  /** Why dropping is safe, e.g. 'replaced by groups in 0042'. */
  note?: string;
}

export interface TableSummary {
  table: string;
  exists: boolean;
  columns: Array<{ name: string; type: string; nullable: boolean }>;
  indexes: Array<{ name: string; columns: string[]; unique: boolean }>;
  rows: number;
}

export interface MigrationContext {
  /** The engine this migration runs on: for the rare choice only a migration can make. */
  readonly dialect: 'sqlite' | 'postgres' | 'mysql';
  createTable(table: string, columns: ColumnMap, options?: TableOptions): Promise<OperationResult>;
  /** `note`: why the table (and its data) may go; shown with the operation, asked for by `idem lint`. */
  dropTable(table: string, options?: DropOptions): Promise<OperationResult>;
  renameTable(from: string, to: string): Promise<OperationResult>;
  addColumn(table: string, column: string, spec: ColumnSpec): Promise<OperationResult>;
  dropColumn(table: string, column: string, options?: DropOptions): Promise<OperationResult>;
  renameColumn(table: string, from: string, to: string): Promise<OperationResult>;
  alterColumn(table: string, column: string, changes: ColumnSpec): Promise<OperationResult>;
  createIndex(table: string, columns: string[], options?: Omit<IndexSpec, 'columns'>): Promise<OperationResult>;
  dropIndex(table: string, name: string): Promise<OperationResult>;
  addForeignKey(table: string, columns: string[], refTable: string, refColumns: string[],
    options?: { name?: string; onDelete?: ReferentialAction; onUpdate?: ReferentialAction }): Promise<OperationResult>;
  dropForeignKey(table: string, name: string): Promise<OperationResult>;
  addUnique(table: string, columns: string[], options?: Omit<UniqueSpec, 'columns'>): Promise<OperationResult>;
  dropUnique(table: string, name: string): Promise<OperationResult>;
  executeIf(options: ExecuteIfOptions): Promise<OperationResult>;
  sql(text: string, params?: unknown[], options?: SqlOptions): Promise<OperationResult>;
  tableExists(table: string): Promise<boolean>;
  columnExists(table: string, column: string): Promise<boolean>;
  indexExists(table: string, name: string): Promise<boolean>;
  /** Rows of a read-only query, `?` placeholders, for a migration's own decisions. */
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  summary(table: string): Promise<TableSummary>;
  /** A line in the run's output. */
  log(message: string): void;
}

/** What the context hands operations and questions to: live, planning or look-ahead. */
export interface OperationExecutor {
  readonly dialect: MigrationContext['dialect'];
  run(op: Operation): Promise<OperationResult>;
  tableExists(table: string): Promise<boolean>;
  columnExists(table: string, column: string): Promise<boolean>;
  indexExists(table: string, name: string): Promise<boolean>;
  query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  summary(table: string): Promise<TableSummary>;
  log(message: string): void;
  /**
   * How this engine counts the `?` placeholders of a migration's SQL, so that
   * values and placeholders are matched before anything is sent. Absent: not counted here.
   */
  countPlaceholders?(sql: string): number;
  /**
   * Takes a call whose arguments hold problems, in place of the error: the
   * check before a run collects every problem of every pending migration.
   * Absent: the context throws OPERATION_INVALID for the call.
   */
  refuse?(call: OperationRef, problems: Problem[]): Promise<OperationResult>;
}

export function createMigrationContext(executor: OperationExecutor): MigrationContext {
  const engine = executor.dialect;
  /** The operation when its arguments hold no problem; else the problems, to the executor or thrown. */
  const run = (kind: string, target: string, problems: Problem[], op: () => Operation): Promise<OperationResult> => {
    if (problems.length === 0) return executor.run(op());
    if (executor.refuse) return executor.refuse({ kind, target }, problems);
    throw refused(kind, target, problems);
  };
  const placeholders = (which: string, sql: unknown, values: unknown, option: string): Problem[] => {
    if (!executor.countPlaceholders || typeof sql !== 'string' || (values !== undefined && !Array.isArray(values))) return [];
    const found = parameterProblem(which, executor.countPlaceholders(sql), values === undefined ? 0 : values.length, option);
    return found ? [found] : [];
  };
  return {
    dialect: executor.dialect,
    createTable(table, columns, options = {}) {
      const problems = [
        ...nameProblems('table', table), ...columnMapProblems(columns, engine), ...tableOptionsProblems(options, columns),
        ...newNameProblems(engine, [table, ...createdNames(columns, options)]),
      ];
      return run('createTable', String(table), problems, () => ({ kind: 'createTable', table, columns, options: normalizeTableOptions(table, options ?? {}) }));
    },
    dropTable(table, options = {}) {
      const problems = [...nameProblems('table', table), ...optionsProblems(options, DROP_OPTION_KEYS, 'options')];
      return run('dropTable', String(table), problems, () => ({ kind: 'dropTable', table, ...noteOf(options) }));
    },
    renameTable(from, to) {
      const problems = [...nameProblems('table', from), ...nameProblems('new table name', to), ...newNameProblems(engine, [to])];
      return run('renameTable', `${String(from)} -> ${String(to)}`, problems, () => ({ kind: 'renameTable', from, to }));
    },
    addColumn(table, column, spec) {
      const problems = [...nameProblems('table', table), ...nameProblems('column', column), ...columnProblems(String(column), spec, engine), ...newNameProblems(engine, [column])];
      return run('addColumn', `${String(table)}.${String(column)}`, problems, () => ({ kind: 'addColumn', table, column, spec }));
    },
    dropColumn(table, column, options = {}) {
      const problems = [...nameProblems('table', table), ...nameProblems('column', column), ...optionsProblems(options, DROP_OPTION_KEYS, 'options')];
      return run('dropColumn', `${String(table)}.${String(column)}`, problems, () => ({ kind: 'dropColumn', table, column, ...noteOf(options) }));
    },
    renameColumn(table, from, to) {
      const problems = [...nameProblems('table', table), ...nameProblems('column', from), ...nameProblems('new column name', to), ...newNameProblems(engine, [to])];
      return run('renameColumn', `${String(table)}.${String(from)} -> ${String(to)}`, problems, () => ({ kind: 'renameColumn', table, from, to }));
    },
    alterColumn(table, column, changes) {
      const problems = [...nameProblems('table', table), ...nameProblems('column', column)];
      if (changes === null || typeof changes !== 'object' || Array.isArray(changes) || Object.keys(changes).length === 0) {
        problems.push({ message: 'declares no change', hint: 'pass what should change, e.g. { length: 512 } or { nullable: false }' });
      } else {
        problems.push(...columnProblems(String(column), changes, engine, true));
      }
      return run('alterColumn', `${String(table)}.${String(column)}`, problems, () => ({ kind: 'alterColumn', table, column, changes }));
    },
    createIndex(table, columns, options = {}) {
      const problems = [...nameProblems('table', table), ...columnListProblems(columns), ...optionsProblems(options, CREATE_INDEX_OPTION_KEYS, 'options')];
      const unique = options?.unique === true;
      const name = () => options?.name ?? defaultConstraintName(unique ? 'uq' : 'ix', table, columns);
      if (options?.name !== undefined) problems.push(...nameProblems('index', options.name), ...newNameProblems(engine, [options.name]));
      return run('createIndex', `${String(table)}.${problems.length === 0 ? name() : String(options?.name ?? '(unnamed)')}`, problems,
        () => ({ kind: 'createIndex', table, index: { name: name(), columns, unique } }));
    },
    dropIndex(table, name) {
      const problems = [...nameProblems('table', table), ...nameProblems('index', name)];
      return run('dropIndex', `${String(table)}.${String(name)}`, problems, () => ({ kind: 'dropIndex', table, name }));
    },
    addForeignKey(table, columns, refTable, refColumns, options = {}) {
      const problems = [
        ...nameProblems('table', table), ...columnListProblems(columns), ...nameProblems('referenced table', refTable), ...columnListProblems(refColumns),
        ...optionsProblems(options, ADD_FOREIGN_KEY_OPTION_KEYS, 'options'), ...newNameProblems(engine, [options?.name]),
      ];
      if (Array.isArray(columns) && Array.isArray(refColumns) && refColumns.length !== columns.length) {
        problems.push({ message: `has ${columns.length} column(s) referencing ${refColumns.length}`, hint: 'reference as many columns as the key has' });
      }
      const name = () => options?.name ?? defaultConstraintName('fk', table, columns, refTable);
      return run('addForeignKey', `${String(table)}.${problems.length === 0 ? name() : String(options?.name ?? '(unnamed)')}`, problems, () => ({
        kind: 'addForeignKey', table,
        foreignKey: {
          columns, references: { table: refTable, columns: refColumns }, name: name(),
          ...referentialActions(options ?? {}, { kind: 'addForeignKey', target: `${table}.${name()}` }),
        },
      }));
    },
    dropForeignKey(table, name) {
      const problems = [...nameProblems('table', table), ...nameProblems('foreign key', name)];
      return run('dropForeignKey', `${String(table)}.${String(name)}`, problems, () => ({ kind: 'dropForeignKey', table, name }));
    },
    addUnique(table, columns, options = {}) {
      const problems = [
        ...nameProblems('table', table), ...columnListProblems(columns), ...optionsProblems(options, ADD_UNIQUE_OPTION_KEYS, 'options'),
        ...newNameProblems(engine, [options?.name]),
      ];
      const name = () => options?.name ?? defaultConstraintName('uq', table, columns);
      return run('addUnique', `${String(table)}.${problems.length === 0 ? name() : String(options?.name ?? '(unnamed)')}`, problems,
        () => ({ kind: 'addUnique', table, unique: { name: name(), columns } }));
    },
    dropUnique(table, name) {
      const problems = [...nameProblems('table', table), ...nameProblems('unique constraint', name)];
      return run('dropUnique', `${String(table)}.${String(name)}`, problems, () => ({ kind: 'dropUnique', table, name }));
    },
    executeIf(options) {
      const description = typeof options?.description === 'string' && options.description.trim() !== '' ? options.description : '(no description)';
      if (options === null || typeof options !== 'object' || Array.isArray(options)) {
        return run('executeIf', description, [{ message: 'needs an options object', hint: 'pass { sql, condition, description, params?, conditionParams? }' }], () => { throw new Error('unreachable'); });
      }
      const problems = optionsProblems(options, EXECUTE_IF_KEYS, 'options');
      if (description === '(no description)') {
        problems.push({ message: 'has no description', hint: 'say what the data change does: description: "move admins into the admin group"' });
      }
      if (typeof options.sql !== 'string' || options.sql.trim() === '') problems.push({ message: 'has no sql', hint: 'pass the data change as sql' });
      if (typeof options.condition !== 'string' || options.condition.trim() === '') {
        problems.push({ message: 'has no condition', hint: 'pass a condition query returning one value, e.g. SELECT COUNT(*) > 0 FROM … WHERE NOT EXISTS (…)' });
      }
      // Each query binds its own values: the condition never borrows the change's.
      problems.push(...placeholders('sql', options.sql, options.params, 'params'), ...placeholders('condition', options.condition, options.conditionParams, 'conditionParams'));
      return run('executeIf', description, problems, () => ({
        kind: 'executeIf', sql: options.sql, condition: options.condition, params: options.params ?? [], conditionParams: options.conditionParams ?? [], description,
      }));
    },
    sql(text, params, options = {}) {
      const target = typeof text === 'string' && text.trim() !== '' ? firstLineOf(text) : '(empty)';
      const problems = optionsProblems(options, SQL_OPTION_KEYS, 'options');
      if (typeof text !== 'string' || text.trim() === '') problems.push({ message: 'has no SQL text', hint: 'pass the statement to run' });
      if (params !== undefined && !Array.isArray(params)) {
        problems.push({ message: 'has params that are not an array', hint: 'pass bound values as an array matching the ? placeholders' });
      }
      problems.push(...placeholders('sql', text, params, 'params'));
      return run('sql', options?.description ?? target, problems, () => ({
        kind: 'sql', sql: text, params: params ?? [], idempotent: options?.idempotent === true,
        ...(options?.description ? { description: options.description } : {}),
      }));
    },
    tableExists: (table) => executor.tableExists(table),
    columnExists: (table, column) => executor.columnExists(table, column),
    indexExists: (table, name) => executor.indexExists(table, name),
    query: (sql, params = []) => {
      const problems = [
        ...(Array.isArray(params) ? [] : [{ message: 'has params that are not an array', hint: 'pass bound values as an array matching the ? placeholders' }]),
        ...placeholders('query', sql, params, 'params'),
      ];
      if (problems.length > 0) throw refused('query', typeof sql === 'string' ? firstLineOf(sql) : String(sql), problems);
      return executor.query(sql, params) as never;
    },
    summary: (table) => executor.summary(table),
    log: (message) => executor.log(String(message)),
  };
}

function normalizeTableOptions(table: string, options: TableOptions): TableOptions {
  return {
    ...(options.primaryKey ? { primaryKey: options.primaryKey } : {}),
    unique: (options.unique ?? []).map((u) => ({ columns: u.columns, name: u.name ?? defaultConstraintName('uq', table, u.columns) })),
    indexes: (options.indexes ?? []).map((i) => ({
      columns: i.columns, unique: i.unique ?? false,
      name: i.name ?? defaultConstraintName(i.unique ? 'uq' : 'ix', table, i.columns),
    })),
    foreignKeys: (options.foreignKeys ?? []).map((f) => {
      const { onDelete: _onDelete, onUpdate: _onUpdate, ...key } = f;
      const name = f.name ?? defaultConstraintName('fk', table, f.columns, f.references.table);
      return { ...key, name, ...referentialActions(f, { kind: 'createTable', target: `${table}.${name}` }) };
    }),
  };
}

/** onDelete / onUpdate spelled idem's way (the check before the run refused any other); absent ones stay absent. */
function referentialActions(options: { onDelete?: unknown; onUpdate?: unknown }, operation: { kind: string; target: string }): Pick<ForeignKeySpec, 'onDelete' | 'onUpdate'> {
  const onDelete = referentialAction(options.onDelete, 'onDelete', operation);
  const onUpdate = referentialAction(options.onUpdate, 'onUpdate', operation);
  return { ...(onDelete ? { onDelete } : {}), ...(onUpdate ? { onUpdate } : {}) };
}

/** One IdemError for the problems of one call: the first named in the message, the others after it. */
export function refused(kind: string, target: string, problems: Problem[]): IdemError {
  const [first, ...rest] = problems;
  const more = rest.length === 0 ? '' : ` (and ${rest.length} more: ${rest.map((p) => p.message).join('; ')})`;
  return new IdemError('OPERATION_INVALID', `${kind} ${target}: ${first!.message}${more}`, {
    operation: { kind, target }, hint: first!.hint, data: { problems },
  });
}

/** The names createTable makes besides the table's: its columns and the keys and indexes its options name. */
function createdNames(columns: unknown, options: unknown): unknown[] {
  const names: unknown[] = columns !== null && typeof columns === 'object' && !Array.isArray(columns) ? Object.keys(columns) : [];
  if (options !== null && typeof options === 'object') {
    for (const key of ['unique', 'indexes', 'foreignKeys'] as const) {
      const list = (options as Record<string, unknown>)[key];
      if (Array.isArray(list)) for (const entry of list) if (entry !== null && typeof entry === 'object') names.push((entry as { name?: unknown }).name);
    }
  }
  return names;
}

function nameProblems(what: string, value: unknown): Problem[] {
  if (typeof value === 'string' && value.length > 0) return [];
  return [{ message: `needs a ${what} name (got ${JSON.stringify(value) ?? String(value)})`, hint: `pass the ${what} name as a non-empty string` }];
}

function columnListProblems(columns: unknown): Problem[] {
  if (Array.isArray(columns) && columns.length > 0 && columns.every((c) => typeof c === 'string' && c !== '')) return [];
  return [{ message: `needs a non-empty list of column names (got ${JSON.stringify(columns) ?? String(columns)})`, hint: "pass columns as an array, e.g. ['email']" }];
}

/** `{ note }` when the options carry one (already checked to be text). */
function noteOf(options: DropOptions | null | undefined): { note?: string } {
  return typeof options?.note === 'string' ? { note: options.note } : {};
}

function firstLineOf(sql: string): string {
  const line = sql.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
