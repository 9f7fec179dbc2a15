/**
 * One runner at a time on a SQLite file: the run holds SQLite's own write
 * lock (BEGIN IMMEDIATE) from its first check to its last record, so a second
 * `idem up` waits in the busy handler, then reads a version table that already
 * says everything is done. The lock is the database file's, so it dies with
 * the process that held it: nothing stale to clean up.
 * https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions
 *
 * Each migration is a SAVEPOINT inside that transaction: a failing one rolls
 * back alone and the migrations before it still commit.
 */
import { IdemError } from '../../errors.ts';
import type { RunLock, TransactionControl } from '../dialect.ts';
import type { SqliteDriver } from './sqlite-driver.ts';

const SQLITE_BUSY = 5;

export class SqliteRunLock implements RunLock {
  readonly #driver: SqliteDriver;
  readonly #defaultTimeoutMs: number;
  #held = false;

  constructor(driver: SqliteDriver, defaultTimeoutMs: number) {
    this.#driver = driver;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  get held(): boolean {
    return this.#held;
  }

  async acquire(timeoutMs: number): Promise<void> {
    await this.#driver.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(timeoutMs))}`);
    try {
      await this.#driver.exec('BEGIN IMMEDIATE');
      this.#held = true;
    } catch (error) {
      if ((error as { errcode?: number }).errcode === SQLITE_BUSY) {
        throw new IdemError('LOCK_TIMEOUT', `another process has held the write lock on ${this.#driver.path} for over ${Math.round(timeoutMs / 1000)}s`, {
          cause: error,
          hint: 'another `idem up` (or the application) is writing; re-run when it finishes, or raise --lock-timeout',
        });
      }
      throw error;
    } finally {
      await this.#driver.exec(`PRAGMA busy_timeout = ${this.#defaultTimeoutMs}`);
    }
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    await this.#driver.exec('COMMIT');
  }
}

export class SqliteTransactions implements TransactionControl {
  readonly #driver: SqliteDriver;

  constructor(driver: SqliteDriver) {
    this.#driver = driver;
  }

  begin(): Promise<void> {
    return this.#driver.exec('SAVEPOINT idem_migration');
  }

  commit(): Promise<void> {
    return this.#driver.exec('RELEASE idem_migration');
  }

  async rollback(): Promise<void> {
    await this.#driver.exec('ROLLBACK TO idem_migration');
    await this.#driver.exec('RELEASE idem_migration');
  }
}
