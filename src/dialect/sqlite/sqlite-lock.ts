/**
 * One runner at a time on a SQLite file: the run holds SQLite's own write
 * lock (BEGIN IMMEDIATE) from its first check to its last record, so a second
 * `idem up` waits in the busy handler, then reads a version table that already
 * says everything is done. The lock is the database file's, so it dies with
 * the process that held it: nothing stale to clean up.
 * https://www.sqlite.org/lang_transaction.html#deferred_immediate_and_exclusive_transactions
 *
 * Each migration is a SAVEPOINT inside that transaction; when it succeeds the
 * transaction commits (the migration is durable at once) and the write lock is
 * taken again straight away. A runner waiting in SQLite's busy handler sleeps
 * between tries, so the holder almost always gets it back; when the other one
 * wins, the runner re-checks the version table under the lock before each
 * migration, so nothing is applied twice.
 */
import { IdemError } from '../../errors.ts';
import type { LockHolder, RunLock, TransactionControl } from '../dialect.ts';
import type { SqliteDriver } from './sqlite-driver.ts';

const SQLITE_BUSY = 5;

export class SqliteRunLock implements RunLock {
  readonly #driver: SqliteDriver;
  readonly #defaultTimeoutMs: number;
  #held = false;
  #timeoutMs = 0;

  constructor(driver: SqliteDriver, defaultTimeoutMs: number) {
    this.#driver = driver;
    this.#defaultTimeoutMs = defaultTimeoutMs;
  }

  get held(): boolean {
    return this.#held;
  }

  async acquire(timeoutMs: number): Promise<void> {
    this.#timeoutMs = timeoutMs;
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

  /**
   * SQLite keeps no record of who holds its write lock; all it can answer is
   * whether the lock can be taken now. BEGIN IMMEDIATE with busy_timeout 0
   * answers at once (SQLITE_BUSY: another connection holds it) and is rolled
   * back straight away, so a runner waiting in its busy handler loses at most
   * one retry. https://www.sqlite.org/c3ref/busy_timeout.html
   */
  async holder(): Promise<LockHolder | null> {
    if (this.#held) return null;
    await this.#driver.exec('PRAGMA busy_timeout = 0');
    try {
      await this.#driver.exec('BEGIN IMMEDIATE');
    } catch (error) {
      if ((error as { errcode?: number }).errcode === SQLITE_BUSY) {
        return { description: `another connection to ${this.#driver.path} (a running \`idem up\`, or the application writing)` };
      }
      throw error;
    } finally {
      await this.#driver.exec(`PRAGMA busy_timeout = ${this.#defaultTimeoutMs}`);
    }
    await this.#driver.exec('ROLLBACK');
    return null;
  }

  /** Commit what the run has done so far, then hold the lock again. */
  async checkpoint(): Promise<void> {
    if (!this.#held) return;
    await this.release();
    await this.acquire(this.#timeoutMs);
  }
}

export class SqliteTransactions implements TransactionControl {
  readonly #driver: SqliteDriver;
  readonly #lock: SqliteRunLock;

  constructor(driver: SqliteDriver, lock: SqliteRunLock) {
    this.#driver = driver;
    this.#lock = lock;
  }

  begin(): Promise<void> {
    return this.#driver.exec('SAVEPOINT idem_migration');
  }

  async commit(): Promise<void> {
    await this.#driver.exec('RELEASE idem_migration');
    await this.#lock.checkpoint();
  }

  /** The migration's savepoint goes into the lock's transaction, which the next checkpoint (or the lock's release) commits. */
  async keep(): Promise<void> {
    await this.#driver.exec('RELEASE idem_migration');
  }

  async rollback(): Promise<void> {
    await this.#driver.exec('ROLLBACK TO idem_migration');
    await this.#driver.exec('RELEASE idem_migration');
  }
}
