/**
 * One runner at a time per database: a named user lock, GET_LOCK. It belongs
 * to the connection that took it and the server releases it when that
 * connection ends for any reason, a killed runner included, so there is no
 * lock row to go stale (the Knex and Liquibase complaint).
 * https://dev.mysql.com/doc/refman/8.0/en/locking-functions.html
 * https://mariadb.com/kb/en/get_lock/
 *
 * User locks are server-wide, not per database, so the name carries the
 * database: two tenants' databases on one server migrate in parallel. On a
 * Galera cluster the lock is local to one node; convergence then rests on
 * every operation being idempotent, which it is.
 */
import { createHash } from 'node:crypto';
import { IdemError } from '../../errors.ts';
import type { Driver, ExecResult, LockHolder, RunLock, TransactionControl } from '../dialect.ts';
import type { MysqlDriver } from './mysql-driver.ts';

/** Longer names are an error on MySQL 5.7+ (ER_USER_LOCK_WRONG_NAME). */
const MAX_LOCK_NAME = 64;

/** `idem:<database>`, shortened with a hash when the database name is long. */
export function mysqlLockName(database: string): string {
  const name = `idem:${database}`;
  if (name.length <= MAX_LOCK_NAME) return name;
  const hash = createHash('sha256').update(database).digest('hex').slice(0, 12);
  return `idem:${database.slice(0, MAX_LOCK_NAME - 5 - 13)}:${hash}`;
}

export class MysqlRunLock implements RunLock {
  readonly name: string;
  readonly #driver: Driver;
  #held = false;

  constructor(driver: Driver, database: string) {
    this.#driver = driver;
    this.name = mysqlLockName(database);
  }

  get held(): boolean {
    return this.#held;
  }

  /**
   * GET_LOCK waits on the server for whole seconds (a fraction is rounded up,
   * never down to "do not wait"); 1 is held, 0 timed out, NULL an error
   * (the wait was killed).
   */
  async acquire(timeoutMs: number): Promise<void> {
    if (this.#held) return; // GET_LOCK nests on MySQL 5.7+; one release must free it
    const seconds = Math.max(0, Math.ceil(timeoutMs / 1000));
    const [row] = await this.#driver.query<{ got: number | null }>('SELECT GET_LOCK(?, ?) AS got', [this.name, seconds]);
    const got = row?.got === null || row?.got === undefined ? null : Number(row.got);
    if (got === 1) {
      this.#held = true;
      return;
    }
    if (got === 0) throw await this.#timeout(seconds);
    throw new IdemError('LOCK_TIMEOUT', `could not take the lock "${this.name}": GET_LOCK returned NULL (the wait was killed or the server ran out of memory)`, {
      hint: 're-run `idem up`',
    });
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    await this.#driver.query('SELECT RELEASE_LOCK(?) AS released', [this.name]);
  }

  /**
   * Who holds the lock: IS_USED_LOCK gives the holding connection's id (NULL
   * when free), the process list its user, host, database and how long it
   * has been in its current state, when this user may see them (PROCESS
   * privilege, or the same user). Only reads.
   * https://dev.mysql.com/doc/refman/8.0/en/locking-functions.html#function_is-used-lock
   * https://mariadb.com/kb/en/information-schema-processlist-table/
   */
  async holder(): Promise<LockHolder | null> {
    const [used] = await this.#driver.query<{ id: number | string | null; self: number | string }>(
      'SELECT IS_USED_LOCK(?) AS id, CONNECTION_ID() AS self', [this.name],
    );
    if (used?.id === null || used?.id === undefined || Number(used.id) === Number(used.self)) return null;
    const id = Number(used.id);
    const [who] = await this.#driver.query<{ user: string; host: string; db: string | null; command: string | null; time: number | null }>(
      'SELECT USER AS user, HOST AS host, DB AS db, COMMAND AS command, TIME AS time FROM information_schema.PROCESSLIST WHERE ID = ?', [id],
    ).catch(() => []); // the id alone still says who
    const details = who ? [`${who.user}@${who.host}`, ...(who.db ? [`database ${who.db}`] : []), ...(who.command ? [`${who.command} for ${who.time ?? 0}s`] : [])] : [];
    return { description: `connection ${id}${details.length ? ` (${details.join(', ')})` : ''}`, session: id, end: `KILL ${id}` };
  }

  async #timeout(seconds: number): Promise<IdemError> {
    // Only for the message: the timeout is the error either way.
    const holder = await this.holder().catch(() => null);
    return new IdemError('LOCK_TIMEOUT', `another runner holds the lock "${this.name}": ${holder?.description ?? 'another connection'} did not release it within ${seconds}s`, {
      data: { lock: this.name, ...(holder?.session !== undefined ? { connectionId: holder.session } : {}) },
      hint: `another \`idem up\` is migrating this database; when it ends this run finds nothing to do. Re-run, or wait longer (--lock-timeout)${holder?.end ? `; if that connection is stuck, ${holder.end}` : ''}`,
    });
  }
}

/**
 * Transactions for data only. Every DDL statement commits the open
 * transaction before it runs and then commits itself, so a migration cannot
 * be rolled back as a whole on MySQL or MariaDB:
 * https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html
 * https://mariadb.com/kb/en/sql-statements-that-cause-an-implicit-commit/
 *
 * What is safest then: `begin` turns autocommit off for the migration, so
 * the data changes after its last DDL statement and the runner's version row
 * commit together (a crash or an error between them rolls both back), and a
 * failing data statement takes the uncommitted data changes before it along.
 * Schema changes already made stay; a failed migration is simply re-run and
 * every operation that already holds is skipped (executeIf guards by the
 * data). commit/rollback restore autocommit, so nothing outside a migration
 * is left in an open transaction.
 */
export class MysqlTransactions implements TransactionControl {
  readonly #driver: MysqlDriver;
  /** The open transaction holds kept migrations' version rows (keep()). */
  #kept = false;
  /** From begin() to its commit or rollback, whether or not the server has seen a statement of it yet. */
  #open = false;

  constructor(driver: MysqlDriver) {
    this.#driver = driver;
  }

  /** `SET autocommit = 0` goes with the migration's first statement: one round trip fewer. */
  async begin(): Promise<void> {
    this.#open = true;
    if (this.#kept) return;
    this.#driver.sendWithNext('SET autocommit = 0');
  }

  /** Whether a migration's transaction is open: a statement sent now belongs to it and is not alone. */
  get open(): boolean {
    return this.#open;
  }

  async commit(): Promise<void> {
    this.#kept = false;
    this.#open = false;
    // Nothing was sent since begin(): autocommit never went off, and there is nothing to commit.
    if (this.#driver.dropHeld()) return;
    await this.#driver.execute('COMMIT; SET autocommit = 1');
  }

  /**
   * The migration's last statement (its version row), the COMMIT and the
   * return to autocommit in one round trip. When the statement fails nothing
   * after it runs: the transaction stays open for rollback().
   */
  async executeThenCommit(sql: string, params: unknown[]): Promise<ExecResult> {
    this.#kept = false;
    // COMMIT and SET report no rows changed, so the sum is the statement's.
    const result = await this.#driver.execute(`${sql}; COMMIT; SET autocommit = 1`, params);
    this.#open = false;
    return result;
  }

  canSendThenCommit(): boolean {
    return this.#driver.canSendAhead;
  }

  /** executeThenCommit(), not waiting for the answer (TransactionControl.sendThenCommit). */
  sendThenCommit(sql: string, params: unknown[]): Promise<ExecResult> {
    this.#kept = false;
    // Ended, as far as the caller knows; a failure leaves it open on the server for rollback().
    this.#open = false;
    return this.#driver.sendAhead(`${sql}; COMMIT; SET autocommit = 1`, params);
  }

  async rollback(): Promise<void> {
    this.#kept = false;
    this.#open = false;
    // A commit sent ahead that failed left its transaction open, whatever was held since.
    const failedAhead = await this.#driver.settle();
    if (this.#driver.dropHeld() && !failedAhead) return;
    await this.#driver.execute('ROLLBACK; SET autocommit = 1').catch(async (error: unknown) => {
      // A ROLLBACK that failed (the connection is going) still tries to leave autocommit on.
      await this.#driver.execute('SET autocommit = 1').catch(() => undefined);
      throw error;
    });
  }

  /**
   * A migration that changed nothing sent no DDL, so its version row is
   * still in the open transaction; the next migration continues it (its
   * first DDL statement, or its COMMIT, commits the row).
   */
  async keep(): Promise<void> {
    this.#kept = true;
  }
}
