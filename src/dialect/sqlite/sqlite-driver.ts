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
    const rows = this.#prepare(sql).all(...toSqlite(params));
    // node:sqlite returns null-prototype objects; callers expect plain ones.
    return rows.map((row) => ({ ...row }) as Row);
  }

  async execute(sql: string, params: unknown[] = []): Promise<ExecResult> {
    const result = this.#prepare(sql).run(...toSqlite(params));
    return { rowsAffected: Number(result.changes) };
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
