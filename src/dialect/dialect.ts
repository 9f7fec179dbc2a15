/**
 * What every engine provides, behind small interfaces (as Kysely's dialects
 * do). Engine differences are capability flags and methods here, never
 * `if (engine === ...)` in the runner.
 */
import type { CatalogIndex, CatalogSnapshot, CatalogTable, ColumnTypeInfo, TablesByName } from '../catalog/snapshot.ts';
import type { ColumnSpec, DefaultValue } from '../plan/column-spec.ts';
import type { Operation } from '../plan/operations.ts';

/** One SQL statement with its bound parameters: the only shape SQL leaves idem in. */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** What a statement failed on because it does not exist, as the engine's error names it. */
export interface MissingObject {
  kind: 'table' | 'column';
  /** Unqualified: `legacy`, not `main.legacy` or `u.old_name`. */
  name: string;
}

export interface ExecResult {
  rowsAffected: number;
}

/** One connection to the database. Every statement idem sends goes through it. */
export interface Driver {
  query<Row = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<Row[]>;
  /**
   * Rows as arrays, one entry per result column. Where the engine names
   * unnamed columns alike (PostgreSQL calls every one `?column?`), rows as
   * objects fold several columns into one; the condition of `executeIf`
   * must see them all to refuse a query of two values.
   */
  queryArrays?(sql: string, params?: unknown[]): Promise<unknown[][]>;
  execute(sql: string, params?: unknown[]): Promise<ExecResult>;
  close(): Promise<void>;
}

export interface CatalogReader {
  /** Every user table (idem's own excluded), read in as few queries as the engine allows. */
  readAll(): Promise<CatalogSnapshot>;
  /** Only these tables; absent ones are missing from the result. */
  readTables(names: readonly string[]): Promise<Map<string, CatalogTable>>;
  /** One cheap existence check (idem's own tables included), for the version table. */
  hasTable(name: string): Promise<boolean>;
}

/**
 * The run's lock: one runner at a time per database. It lives in the
 * database session, so a killed runner never leaves it behind.
 */
export interface RunLock {
  acquire(timeoutMs: number): Promise<void>;
  release(): Promise<void>;
  /**
   * Who else holds the lock right now; null when it is free. Never waits and
   * never keeps the lock: where the engine shows the holder (PostgreSQL,
   * MySQL) this only reads; SQLite can only try the write lock without
   * waiting and give it back at once. For `idem doctor`.
   */
  holder(): Promise<LockHolder | null>;
  /**
   * Set when the lock is held only inside transactions, taken again by each
   * one (PostgreSQL behind a transaction pooler): work outside a transaction
   * would run unlocked, so the runner refuses a migration that opts out of
   * its transaction, before anything runs, saying this reason and hint.
   */
  readonly onlyInTransactions?: { reason: string; hint: string };
}

/** The session holding the run lock, as far as the engine shows it. */
export interface LockHolder {
  /** One line for a person: `pid 4242, application_name "idem", client 10.0.0.5, connected since …`. */
  description: string;
  /** The engine's id for the holding session (PostgreSQL pid, MySQL connection id), where it has one. */
  session?: number;
  /** The statement that ends the holding session, for when it is stuck. */
  end?: string;
  /** Where the lock is a lease row (Galera): when the holder took it and when it lapses without a heartbeat, by the database's clock. */
  since?: string;
  expires?: string;
}

export interface TransactionControl {
  begin(): Promise<void>;
  commit(): Promise<void>;
  /**
   * Commits without waiting for the disk; the session makes every such
   * commit durable before it closes. A server crash before then may lose the
   * latest ones, each whole: the next run applies those migrations again.
   * Absent where only a setting for the whole server would allow it (MySQL)
   * or where it risks more than the latest commits (SQLite's rollback journal).
   */
  commitLazily?(): Promise<void>;
  /**
   * One last statement (the migration's version row) and the commit in one
   * round trip, lazily where commitLazily() is. When the statement fails,
   * nothing is committed and the transaction waits for rollback(). Absent
   * where it would save nothing.
   */
  executeThenCommit?(sql: string, params: unknown[]): Promise<ExecResult>;
  /**
   * executeThenCommit(), the caller not waiting for the answer (the
   * returned promise): the transaction counts as ended when this returns,
   * and the next one may begin and hold statements while the server works.
   * Nothing of it is sent before the answer has come; after a failure
   * every statement fails with it until rollback(), which ends the failed
   * transaction too. Only where canSendThenCommit() says so (PostgreSQL:
   * the server can check the transaction's session itself); absent where
   * nothing waits on a network (SQLite).
   */
  sendThenCommit?(sql: string, params: unknown[]): Promise<ExecResult>;
  canSendThenCommit?(): boolean;
  /**
   * Until the transaction ends, attempt() may hold its statement and send it
   * with a later one: the outcome of each is known before it is sent (the
   * catalog snapshot), so only the round trips are saved. A failure then
   * cannot be pinned on one statement: batchFailed() says so after it, and
   * the runner runs the migration again, statements sent one at a time.
   * Absent where statements cost no round trip or DDL commits as it goes.
   */
  deferStatements?(): void;
  batchFailed?(): boolean;
  rollback(): Promise<void>;
  /**
   * Runs one statement so that its failure leaves the transaction usable
   * (PostgreSQL refuses everything after an error until ROLLBACK, so the
   * catalog could not be re-read after "already exists"). Absent where a
   * failed statement does not poison the transaction.
   */
  attempt?(sql: string, params: unknown[]): Promise<ExecResult>;
  /**
   * Runs statements so that their failure leaves the transaction usable, as
   * attempt() does for one, for reads and writes alike. Absent where a failed
   * statement does not poison the transaction.
   */
  guard?<T>(run: () => Promise<T>): Promise<T>;
  /**
   * Ends a migration that changed nothing but its version row without
   * making it durable yet: the next migration continues the same
   * transaction, and the next commit makes both durable. Adopting an existing
   * schema then costs one commit, not one per migration. Should a later
   * migration fail, its rollback may undo the kept ones too (PostgreSQL) or
   * not (SQLite, a savepoint each): the runner records again what is missing.
   * Absent where every migration commits on its own.
   */
  keep?(): Promise<void>;
}

/** The portable types in the engine's own terms, both ways. */
export interface TypeMapper {
  /** The engine's name as a drift line says it: `timestamp (datetime on MySQL)`. */
  readonly engine: string;
  /** The column type as written in DDL: `varchar(255)`. Throws OPERATION_INVALID for impossible specs. */
  columnType(spec: ColumnSpec): string;
  /** What the catalog would report for a declared column, to compare like with like. */
  declaredType(spec: ColumnSpec): ColumnTypeInfo;
  /** Parse the catalog's spelling into portable terms. */
  parseType(raw: string): ColumnTypeInfo;
  /** A default as SQL text in the engine's terms (for DDL and for comparing with the catalog). */
  defaultSql(value: DefaultValue, spec: ColumnSpec): string;
  /**
   * Normalise a catalog default for comparison (strip casts, parentheses,
   * quoting variants). `type`, where known, is the column's: an engine that
   * converts a default to the column's type (SQLite's affinity) compares the
   * converted value.
   */
  normalizeDefault(sql: string | null, type?: ColumnTypeInfo): string | null;
  /**
   * Two portable types the engine stores alike, so that one is not drift
   * against the other (SQLite has no boolean: a boolean is any integer
   * column). Absent where every portable type is distinct.
   */
  storesAlike?(declared: ColumnTypeInfo, actual: ColumnTypeInfo): boolean;
}

/**
 * How the engine's catalog reports what idem's DDL made, where the engine
 * chooses: the index behind a primary key, the origin of a unique key. With
 * them an operation's effect on a snapshot (src/catalog/simulate.ts) is what
 * reading the catalog again would give, so a run need not read it again.
 */
export interface CatalogConventions {
  /**
   * A table as the catalog reports it right after CREATE TABLE, from its
   * declared shape (no primary-key index yet); `schema` holds the other
   * tables. undefined where the engine's choice cannot be told without
   * reading the catalog.
   */
  createdTable(declared: CatalogTable, schema: TablesByName): CatalogTable | undefined;
  /** A table after RENAME TABLE, where the engine renames what is named after it (SQLite's autoindexes). */
  renamedTable?(table: CatalogTable, from: string): CatalogTable;
  /** The origin the catalog reports for a unique constraint idem made (addUnique, `unique: true`). */
  readonly uniqueConstraintOrigin: CatalogIndex['origin'];
  /** The origin the catalog reports for `createIndex(…, { unique: true })`. */
  readonly uniqueIndexOrigin: CatalogIndex['origin'];
  /**
   * false where the operation changes what it does not name, in ways the
   * engine decides (InnoDB's foreign-key indexes): the run reads the table
   * again instead of simulating it. `table`: the table it acts on, before.
   */
  predictable(op: Exclude<Operation, { kind: 'executeIf' | 'sql' }>, table: CatalogTable | undefined): boolean;
}

/** Statements for operations, given what the catalog says about the table they touch. */
export interface DdlCompiler {
  compile(op: Exclude<Operation, { kind: 'executeIf' | 'sql' }>, table: CatalogTable | undefined): Statement[];
  /**
   * Whether compile() uses more of the table than the run's snapshot is sure
   * to hold once it is kept current by simulation: the exact default text,
   * the CREATE TABLE text a SQLite rebuild starts from, the engine's names of
   * keys. The runner reads such a table from the catalog before compiling.
   */
  readsCatalog(op: Exclude<Operation, { kind: 'executeIf' | 'sql' }>): boolean;
  /** The version table, created if missing. */
  createVersionTable(name: string): Statement[];
  /** The progress journal (src/runner/progress-journal.ts), created if missing. */
  createProgressTable(name: string): Statement[];
}

export interface DialectCapabilities {
  /** DDL runs inside a transaction and rolls back with it (PostgreSQL, SQLite; not MySQL). */
  transactionalDdl: boolean;
  /**
   * A migration may run outside a transaction (`export const transaction = false`):
   * PostgreSQL, for DDL that refuses one. Not SQLite, whose run lock is itself
   * the transaction; MySQL commits DDL implicitly anyway.
   */
  optionalTransactions: boolean;
  /** Longest identifier the engine accepts. */
  maxIdentifierLength: number;
}

export interface DialectSession {
  readonly dialect: DialectName;
  readonly capabilities: DialectCapabilities;
  readonly driver: Driver;
  readonly catalog: CatalogReader;
  readonly ddl: DdlCompiler;
  readonly types: TypeMapper;
  readonly conventions: CatalogConventions;
  readonly lock: RunLock;
  readonly transactions: TransactionControl;
  quoteIdentifier(name: string): string;
  /** Rewrite the portable `?` placeholders of user SQL into the engine's own. */
  bindPlaceholders(sql: string): string;
  /** How many values the portable `?` placeholders of user SQL take on this engine (what bindPlaceholders binds). */
  countPlaceholders(sql: string): number;
  /** Engine-specific classification of "it already exists" errors met in a race. */
  isAlreadyExistsError(error: unknown): boolean;
  /** The table or column a statement failed on because it does not exist (`no such table: t`), or undefined. */
  missingObject(error: unknown): MissingObject | undefined;
  /**
   * Whether a migration failed because a concurrent writer won a race on a
   * multi-primary cluster (Galera: a certification failure rolled its whole
   * transaction back, or another runner recorded the revision first), so
   * running it again from its start is safe and may succeed. Absent where
   * such failures are not retried.
   */
  isRaceError?(error: unknown): boolean;
  /**
   * Runs one of idem's own reads (the catalog, the version table, the
   * journal), again where the engine aborts a read sent on its own for a
   * reason that passes: on a Galera node, a DDL statement replicated from
   * another node aborts whatever holds a metadata lock it needs. A read
   * inside a migration's transaction runs once: its failure took the
   * transaction with it, and the migration is what runs again
   * (isRaceError). Absent where a read fails only for good.
   */
  retryRead?<T>(read: () => Promise<T>): Promise<T>;
  /**
   * Whether another connection changed the database since the last call
   * (the first call answers false). Engines whose run lock spans the whole
   * run can always answer false; SQLite's lock is re-taken between migrations,
   * as is PostgreSQL's behind a transaction pooler.
   */
  changedByOthers(): Promise<boolean>;
  /** Checks the engine defers to the end of a migration (SQLite: foreign keys). Throws to roll it back. */
  verifyMigration(): Promise<void>;
  close(): Promise<void>;
}

/** What a session is opened with besides its URL and idem's own tables. */
export interface SessionOptions {
  /**
   * Where the run lock is a lease (MariaDB Galera, whose GET_LOCK is local
   * to one node): how long it lasts without a heartbeat. Default 15 s.
   */
  lockLeaseMs?: number;
  /** Receives what the server's settings make unsafe, once, when the session opens. */
  warn?: (warning: SessionWarning) => void;
}

export interface SessionWarning {
  code: string;
  message: string;
  hint?: string;
}

export type DialectName = 'sqlite' | 'postgres' | 'mysql';
