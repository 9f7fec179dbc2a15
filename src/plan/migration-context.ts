/**
 * The migration context `m`: the only thing a migration touches. Each schema
 * method builds an operation as data and hands it to an executor, which
 * decides applied / skipped / drift (or, when planning, predicts it). The
 * same context therefore serves `up`, `plan` and the look-ahead pass.
 */
import { IdemError } from '../errors.ts';
import type { ColumnMap, ColumnSpec, ForeignKeySpec, IndexSpec, ReferentialAction, TableOptions, UniqueSpec } from './column-spec.ts';
import { defaultConstraintName } from './constraint-names.ts';
import { referentialAction } from './referential-actions.ts';
import type { Operation } from './operations.ts';

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
  /** Parameters for the condition; defaults to `params`. */
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
}

export function createMigrationContext(executor: OperationExecutor): MigrationContext {
  return {
    dialect: executor.dialect,
    createTable(table, columns, options = {}) {
      requireName('createTable', 'table', table);
      if (columns === null || typeof columns !== 'object' || Object.keys(columns).length === 0) {
        throw invalid('createTable', table, 'declares no columns', 'pass at least one column: m.createTable(name, { id: { type: "integer", primaryKey: true } })');
      }
      for (const [name, spec] of Object.entries(columns)) requireSpec('createTable', `${table}.${name}`, spec);
      return executor.run({ kind: 'createTable', table, columns, options: normalizeTableOptions(table, options) });
    },
    dropTable(table, options = {}) {
      requireName('dropTable', 'table', table);
      return executor.run({ kind: 'dropTable', table, ...requireNote('dropTable', table, options) });
    },
    renameTable(from, to) {
      requireName('renameTable', 'table', from);
      requireName('renameTable', 'new table name', to);
      return executor.run({ kind: 'renameTable', from, to });
    },
    addColumn(table, column, spec) {
      requireName('addColumn', 'table', table);
      requireName('addColumn', 'column', column);
      requireSpec('addColumn', `${table}.${column}`, spec);
      return executor.run({ kind: 'addColumn', table, column, spec });
    },
    dropColumn(table, column, options = {}) {
      requireName('dropColumn', 'table', table);
      requireName('dropColumn', 'column', column);
      return executor.run({ kind: 'dropColumn', table, column, ...requireNote('dropColumn', `${table}.${column}`, options) });
    },
    renameColumn(table, from, to) {
      requireName('renameColumn', 'table', table);
      requireName('renameColumn', 'column', from);
      requireName('renameColumn', 'new column name', to);
      return executor.run({ kind: 'renameColumn', table, from, to });
    },
    alterColumn(table, column, changes) {
      requireName('alterColumn', 'table', table);
      requireName('alterColumn', 'column', column);
      if (changes === null || typeof changes !== 'object' || Object.keys(changes).length === 0) {
        throw invalid('alterColumn', `${table}.${column}`, 'declares no change', 'pass what should change, e.g. { length: 512 } or { nullable: false }');
      }
      return executor.run({ kind: 'alterColumn', table, column, changes });
    },
    createIndex(table, columns, options = {}) {
      requireName('createIndex', 'table', table);
      requireColumns('createIndex', table, columns);
      const unique = options.unique ?? false;
      const name = options.name ?? defaultConstraintName(unique ? 'uq' : 'ix', table, columns);
      requireName('createIndex', 'index name', name);
      return executor.run({ kind: 'createIndex', table, index: { name, columns, unique } });
    },
    dropIndex(table, name) {
      requireName('dropIndex', 'table', table);
      requireName('dropIndex', 'index name', name);
      return executor.run({ kind: 'dropIndex', table, name });
    },
    addForeignKey(table, columns, refTable, refColumns, options = {}) {
      requireName('addForeignKey', 'table', table);
      requireColumns('addForeignKey', table, columns);
      requireName('addForeignKey', 'referenced table', refTable);
      requireColumns('addForeignKey', refTable, refColumns);
      if (refColumns.length !== columns.length) {
        throw invalid('addForeignKey', table, `has ${columns.length} column(s) referencing ${refColumns.length}`, 'reference as many columns as the key has');
      }
      const name = options.name ?? defaultConstraintName('fk', table, columns, refTable);
      const foreignKey: ForeignKeySpec & { name: string } = {
        columns, references: { table: refTable, columns: refColumns }, name,
        ...referentialActions(options, { kind: 'addForeignKey', target: `${table}.${name}` }),
      };
      return executor.run({ kind: 'addForeignKey', table, foreignKey });
    },
    dropForeignKey(table, name) {
      requireName('dropForeignKey', 'table', table);
      requireName('dropForeignKey', 'foreign key name', name);
      return executor.run({ kind: 'dropForeignKey', table, name });
    },
    addUnique(table, columns, options = {}) {
      requireName('addUnique', 'table', table);
      requireColumns('addUnique', table, columns);
      const name = options.name ?? defaultConstraintName('uq', table, columns);
      return executor.run({ kind: 'addUnique', table, unique: { name, columns } });
    },
    dropUnique(table, name) {
      requireName('dropUnique', 'table', table);
      requireName('dropUnique', 'unique constraint name', name);
      return executor.run({ kind: 'dropUnique', table, name });
    },
    executeIf(options) {
      const description = options?.description;
      if (typeof description !== 'string' || description.trim() === '') {
        throw invalid('executeIf', '(no description)', 'has no description', 'say what the data change does: description: "move admins into the admin group"');
      }
      if (typeof options.sql !== 'string' || options.sql.trim() === '') throw invalid('executeIf', description, 'has no sql', 'pass the data change as sql');
      if (typeof options.condition !== 'string' || options.condition.trim() === '') {
        throw invalid('executeIf', description, 'has no condition', 'pass a condition query returning one value, e.g. SELECT COUNT(*) > 0 FROM … WHERE NOT EXISTS (…)');
      }
      const params = requireParams('executeIf', description, options.params);
      const conditionParams = options.conditionParams === undefined ? params : requireParams('executeIf', description, options.conditionParams);
      return executor.run({ kind: 'executeIf', sql: options.sql, condition: options.condition, params, conditionParams, description });
    },
    sql(text, params, options = {}) {
      if (typeof text !== 'string' || text.trim() === '') throw invalid('sql', '(empty)', 'has no SQL text', 'pass the statement to run');
      return executor.run({
        kind: 'sql', sql: text, params: requireParams('sql', text, params), idempotent: options.idempotent === true,
        ...(options.description ? { description: options.description } : {}),
      });
    },
    tableExists: (table) => executor.tableExists(table),
    columnExists: (table, column) => executor.columnExists(table, column),
    indexExists: (table, name) => executor.indexExists(table, name),
    query: (sql, params = []) => executor.query(sql, requireParams('query', sql, params)) as never,
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

/** onDelete / onUpdate checked against the closed list and spelled idem's way; absent ones stay absent. */
function referentialActions(options: { onDelete?: unknown; onUpdate?: unknown }, operation: { kind: string; target: string }): Pick<ForeignKeySpec, 'onDelete' | 'onUpdate'> {
  const onDelete = referentialAction(options.onDelete, 'onDelete', operation);
  const onUpdate = referentialAction(options.onUpdate, 'onUpdate', operation);
  return { ...(onDelete ? { onDelete } : {}), ...(onUpdate ? { onUpdate } : {}) };
}

function invalid(kind: string, target: string, problem: string, hint: string): IdemError {
  return new IdemError('OPERATION_INVALID', `${kind} ${target} ${problem}`, { operation: { kind, target }, hint });
}

function requireName(kind: string, what: string, value: unknown): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw invalid(kind, String(value), `needs a ${what} name (got ${JSON.stringify(value)})`, `pass the ${what} name as a non-empty string`);
  }
}

function requireColumns(kind: string, table: string, columns: unknown): asserts columns is string[] {
  if (!Array.isArray(columns) || columns.length === 0 || columns.some((c) => typeof c !== 'string' || c === '')) {
    throw invalid(kind, table, `needs a non-empty list of column names (got ${JSON.stringify(columns)})`, "pass columns as an array, e.g. ['email']");
  }
}

function requireSpec(kind: string, target: string, spec: unknown): void {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw invalid(kind, target, `needs a column spec object (got ${JSON.stringify(spec)})`, "declare it like { type: 'string', length: 50 }");
  }
}

/** `{ note }` when the options carry one; a note that is not text is a mistake worth stopping for. */
function requireNote(kind: string, target: string, options: DropOptions): { note?: string } {
  if (options === null || typeof options !== 'object') {
    throw invalid(kind, target, `has options that are not an object (got ${JSON.stringify(options)})`, "pass options as an object: { note: 'replaced by … in …' }");
  }
  if (options.note === undefined) return {};
  if (typeof options.note !== 'string') {
    throw invalid(kind, target, `has a note that is not text (got ${JSON.stringify(options.note)})`, "write the note as a string: { note: 'replaced by … in …' }");
  }
  return { note: options.note };
}

function requireParams(kind: string, target: string, params: unknown): unknown[] {
  if (params === undefined) return [];
  if (!Array.isArray(params)) {
    throw invalid(kind, target, 'has params that are not an array', 'pass bound values as an array matching the ? placeholders');
  }
  return params;
}
