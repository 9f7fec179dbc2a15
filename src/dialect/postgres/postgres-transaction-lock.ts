/**
 * The run lock behind a transaction pooler (PgBouncer's pool_mode =
 * transaction, and poolers like it): a transaction-level advisory lock,
 * `pg_advisory_xact_lock`, taken right after each BEGIN and released by its
 * COMMIT or ROLLBACK.
 *
 * Why not the session lock: such a pooler hands each transaction (and each
 * statement outside one) to whichever server session is free. A session
 * lock taken by one statement stays with that server session, which the
 * pooler then lends to other clients: another runner handed it "takes" the
 * lock again at once (advisory locks are re-entrant per session), the unlock
 * may run on another session and free nothing, and the lock then outlives
 * the run. A transaction lock lives exactly as long as the transaction, and
 * a transaction stays on one server session from BEGIN to COMMIT: nothing
 * depends on the session staying the same between transactions.
 * https://www.pgbouncer.org/features.html#sql-feature-map-for-pooling-modes
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 *
 * So the lock is held per migration, not per run: `acquire()` opens a
 * transaction and takes the lock (what the run reads and creates before its
 * first migration — the version rows, the version table — runs under it, and
 * the first migration continues that transaction); every later migration's
 * BEGIN takes it again, before the runner re-checks whether that revision is
 * recorded; `release()` commits the transaction `acquire()` opened if no
 * migration took it over. Between two migrations another runner may get in;
 * it finds the revision recorded and skips it, and this runner re-reads the
 * catalog after each re-take (`takenAgain`), as on SQLite. A migration that
 * opts out of its transaction would run with no lock at all: the runner
 * refuses it before anything runs (`onlyInTransactions`).
 *
 * The key is the session lock's (postgres-lock.ts), and session and
 * transaction advisory locks on one key exclude each other: a runner through
 * the pooler and one connected directly (for CREATE INDEX CONCURRENTLY) take
 * turns. lock_timeout is set with SET LOCAL, which ends with the transaction
 * too, and set back to the server's default once the lock is held, so the
 * migration's own statements wait for table locks as they would directly.
 * https://www.postgresql.org/docs/current/sql-set.html
 *
 * These transactions are READ COMMITTED whatever the server's default: the
 * lock is waited for inside the transaction, and under REPEATABLE READ or
 * SERIALIZABLE its snapshot would date from before the wait, blind to the
 * version rows the previous holder committed (each statement of a READ
 * COMMITTED transaction sees what was committed before it began).
 * https://www.postgresql.org/docs/current/transaction-iso.html#XACT-READ-COMMITTED
 */
import type { LockHolder, RunLock } from '../dialect.ts';
import type { PostgresDriver } from './postgres-driver.ts';
import {
  advisoryKeyFor, clampLockTimeout, isLockWaitEnded, lockHolder, lockTimeoutError, refuseReadOnly, type AdvisoryKey, type TransactionOpener,
} from './postgres-lock.ts';

/** Why this lock is used, for the refusal of a migration that opts out of its transaction. */
export interface TransactionScopeReason {
  reason: string;
  hint: string;
}

export class PostgresTransactionLock implements RunLock, TransactionOpener {
  readonly onlyInTransactions: TransactionScopeReason;
  readonly #driver: PostgresDriver;
  readonly #schema: string;
  readonly #key: AdvisoryKey;
  #held = false;
  #timeoutMs = 0;
  /** acquire() opened a transaction that no migration has taken over yet. */
  #acquiredOpen = false;
  /** How often the lock was taken, and that count when `takenAgain` last asked. */
  #takes = 0;
  #takesSeen: number | undefined;

  constructor(driver: PostgresDriver, schema: string, why: TransactionScopeReason) {
    this.#driver = driver;
    this.#schema = schema;
    this.#key = advisoryKeyFor(schema);
    this.onlyInTransactions = why;
  }

  /** Between acquire() and release(): every transaction of the run takes the lock. */
  get held(): boolean {
    return this.#held;
  }

  async acquire(timeoutMs: number): Promise<void> {
    if (this.#held) return;
    await refuseReadOnly(this.#driver);
    this.#timeoutMs = timeoutMs;
    await this.#driver.begin('read committed');
    await this.#take();
    this.#held = true;
    this.#acquiredOpen = true;
  }

  /**
   * A migration's BEGIN: the transaction acquire() opened, if still open,
   * else a new one that takes the lock before anything else runs in it.
   */
  async open(): Promise<void> {
    if (this.#acquiredOpen && this.#driver.inTransaction) {
      this.#acquiredOpen = false;
      return;
    }
    this.#acquiredOpen = false;
    if (!this.#held) {
      await this.#driver.begin();
      return;
    }
    await this.#driver.begin('read committed');
    await this.#take();
  }

  /**
   * Ends the locked part of the run: commits the transaction acquire() opened
   * when no migration took it over (what ran in it is kept, as each statement
   * is kept under the session lock). A migration's transaction has always
   * ended before: the runner commits or rolls back each one.
   */
  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    const open = this.#acquiredOpen && this.#driver.inTransaction;
    this.#acquiredOpen = false;
    if (open) await this.#driver.commit();
  }

  holder(): Promise<LockHolder | null> {
    return lockHolder(this.#driver, this.#key);
  }

  /**
   * Whether the lock was taken again since the last call (the first call
   * answers false): another runner may have migrated in between, so what the
   * run read of the catalog no longer holds.
   */
  takenAgain(): boolean {
    const again = this.#takesSeen !== undefined && this.#takesSeen !== this.#takes;
    this.#takesSeen = this.#takes;
    return again;
  }

  /** Takes the lock in the open transaction; on failure rolls the transaction back. */
  async #take(): Promise<void> {
    const ms = clampLockTimeout(this.#timeoutMs);
    const args = [this.#key.classId, this.#key.objectId];
    let free: boolean;
    try {
      if (ms === 0) {
        const [row] = await this.#driver.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1::int4, $2::int4) AS ok', args);
        free = row?.ok === true;
      } else {
        await this.#driver.query(`SELECT set_config('lock_timeout', $1, true)`, [`${ms}ms`]);
        await this.#driver.query('SELECT pg_advisory_xact_lock($1::int4, $2::int4)', args);
        // DEFAULT: the value a fresh server session has (server, database and role settings), not whatever another client left.
        await this.#driver.execute('SET LOCAL lock_timeout TO DEFAULT');
        free = true;
      }
    } catch (error) {
      await this.#driver.rollback().catch(() => undefined);
      if (isLockWaitEnded(error)) throw await lockTimeoutError(this.#driver, this.#schema, ms, error);
      throw error;
    }
    if (!free) {
      await this.#driver.rollback();
      throw await lockTimeoutError(this.#driver, this.#schema, ms);
    }
    this.#takes++;
  }
}
