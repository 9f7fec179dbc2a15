/**
 * The SQLite connection: `node:sqlite`'s DatabaseSync behind idem's async
 * Driver interface. SQLite is in-process and synchronous; the promises only
 * keep the interface the same as the server engines'.
 * https://nodejs.org/api/sqlite.html
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { SQLInputValue, StatementSync } from 'node:sqlite';
import { IdemError } from '../../errors.ts';
import type { Driver, ExecResult } from '../dialect.ts';

/** idem repeats a handful of statements (version table, catalog reads); a few hundred covers them. */
const STATEMENT_CACHE_SIZE = 200;

export interface SqliteDriverOptions {
  /** How long a statement waits on another connection's lock before SQLITE_BUSY. */
  busyTimeoutMs: number;
}

export class SqliteDriver implements Driver {
  readonly path: string;
  readonly #db: DatabaseSync;
  /** Insertion-ordered, so the first key is the least recently used. */
  readonly #statements = new Map<string, StatementSync>();

  constructor(path: string, options: SqliteDriverOptions) {
    this.path = path;
    // Foreign keys are off by default in SQLite itself (node:sqlite turns them
    // on; we say so explicitly): https://www.sqlite.org/foreignkeys.html#fk_enable
    this.#db = new DatabaseSync(path, { timeout: options.busyTimeoutMs, enableForeignKeyConstraints: true });
  }

  async query<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
    const statement = this.#prepare(sql);
    if (hasMoreStatements(sql, statement)) {
      throw new IdemError('OPERATION_INVALID', 'a query must be a single SQL statement; this text holds several', {
        sql, hint: 'run each statement on its own',
      });
    }
    const rows = statement.all(...toSqlite(params));
    // node:sqlite returns null-prototype objects; callers expect plain ones.
    return rows.map((row) => ({ ...row }) as Row);
  }

  /**
   * A prepared statement runs only the first statement of its text and
   * silently ignores the rest, so a text with several statements goes through
   * exec() instead, every statement run and every change counted.
   */
  async execute(sql: string, params: unknown[] = []): Promise<ExecResult> {
    const statement = this.#prepare(sql);
    if (hasMoreStatements(sql, statement)) {
      if (params.length > 0) {
        throw new IdemError('OPERATION_INVALID', 'several SQL statements in one call cannot share bound parameters', {
          sql, hint: 'split them into separate calls, one statement each',
        });
      }
      const before = this.#totalChanges();
      this.#db.exec(sql);
      return { rowsAffected: this.#totalChanges() - before };
    }
    const result = statement.run(...toSqlite(params));
    return { rowsAffected: Number(result.changes) };
  }

  #totalChanges(): number {
    const row = this.#prepare('SELECT total_changes() AS n').get() as { n: number | bigint };
    return Number(row.n);
  }

  /** Several statements separated by `;`, without parameters (scripts, DDL batches). */
  async exec(sql: string): Promise<void> {
    this.#db.exec(sql);
  }

  async close(): Promise<void> {
    this.#statements.clear();
    if (this.#db.isOpen) this.#db.close();
  }

  #prepare(sql: string): StatementSync {
    const cached = this.#statements.get(sql);
    if (cached !== undefined) {
      // Move to the back: most recently used.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    // A cached statement stays valid across schema changes: SQLite re-prepares
    // it on SQLITE_SCHEMA by itself. https://www.sqlite.org/c3ref/prepare.html
    const statement = this.#db.prepare(sql);
    this.#statements.set(sql, statement);
    if (this.#statements.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.#statements.keys().next().value;
      if (oldest !== undefined) this.#statements.delete(oldest);
    }
    return statement;
  }
}

/** Whether `sql` goes on past the statement SQLite prepared from it (sourceSQL is the consumed prefix). */
function hasMoreStatements(sql: string, statement: StatementSync): boolean {
  let tail = sql.slice(statement.sourceSQL.length);
  // What may follow a statement without being one: whitespace, semicolons, comments.
  for (;;) {
    const trimmed = tail.replace(/^[\s;]+/, '');
    if (trimmed.startsWith('--')) tail = trimmed.slice(trimmed.indexOf('\n') === -1 ? trimmed.length : trimmed.indexOf('\n'));
    else if (trimmed.startsWith('/*')) tail = trimmed.slice(trimmed.indexOf('*/') === -1 ? trimmed.length : trimmed.indexOf('*/') + 2);
    else return trimmed !== '';
  }
}

/** Values SQLite cannot bind as they are, turned into what it stores. */
export function toSqlite(params: readonly unknown[]): SQLInputValue[] {
  return params.map(toSqliteValue);
}

function toSqliteValue(value: unknown): SQLInputValue {
  if (value === undefined || value === null) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint') return value;
  if (value instanceof Uint8Array) return value; // Buffer included
  if (value instanceof Date) return value.toISOString();
  return JSON.stringify(value);
}

/** Opens a database file, creating its directory if missing; `:memory:` works too. */
export function openSqlite(path: string, busyTimeoutMs: number): SqliteDriver {
  if (path !== '' && path !== ':memory:' && !path.startsWith('file:')) {
    mkdirSync(dirname(path), { recursive: true });
  }
  return new SqliteDriver(path, { busyTimeoutMs });
}
