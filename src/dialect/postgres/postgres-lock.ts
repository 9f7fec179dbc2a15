/**
 * One runner at a time per schema: a session-level advisory lock. It belongs
 * to the database session, not to a row, so it is released when the session
 * ends for any reason — `close()`, a crash, SIGKILL, a dropped network (once
 * the server notices the closed socket) — and a killed runner never leaves a
 * stale lock behind. It is also untouched by COMMIT and ROLLBACK, so it spans
 * the run's per-migration transactions.
 * https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS
 * https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS
 *
 * The key is two int4s: a constant for idem, and a hash of the schema name,
 * so two schemas of one database (one per tenant) migrate side by side.
 * Advisory locks are per database already. Behind a transaction pooler the
 * same key is taken per transaction instead (postgres-transaction-lock.ts):
 * session and transaction advisory locks on one key exclude each other, so
 * a runner through the pooler and one connected directly still take turns.
 *
 * The timeout is `lock_timeout` around a blocking pg_advisory_lock rather
 * than polling pg_try_advisory_lock: the waiter sits in the server's lock
 * queue, gets the lock the moment the holder's session ends (no backoff
 * interval to sleep through), and waiters are served in order. lock_timeout
 * is set for the one statement and restored after.
 * https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-LOCK-TIMEOUT
 */
import { createHash } from 'node:crypto';
import { IdemError } from '../../errors.ts';
import type { ExecResult, LockHolder, RunLock, TransactionControl } from '../dialect.ts';
import type { PostgresDriver } from './postgres-driver.ts';

/** 'idem' as a big-endian int4: the first half of every idem lock key. */
export const IDEM_LOCK_CLASS = 0x6964656d;

/** lock_timeout is an int of milliseconds. */
const MAX_LOCK_TIMEOUT_MS = 2_147_483_647;

export interface AdvisoryKey {
  classId: number;
  objectId: number;
}

/** The lock key of a schema: stable across processes, machines and idem versions. */
export function advisoryKeyFor(schema: string): AdvisoryKey {
  const digest = createHash('sha256').update(`idem\u0000${schema}`).digest();
  // Positive, so pg_locks (which shows the halves as oid, unsigned) shows the same number.
  return { classId: IDEM_LOCK_CLASS, objectId: digest.readUInt32BE(0) & 0x7fffffff };
}

/** How a transaction of the run starts: BEGIN, and what the run lock needs with it. */
export interface TransactionOpener {
  open(): Promise<void>;
}

export class PostgresRunLock implements RunLock, TransactionOpener {
  readonly #driver: PostgresDriver;
  readonly #schema: string;
  readonly #key: AdvisoryKey;
  #held = false;
  /** The server session the lock was taken in. */
  #pid: number | undefined;

  constructor(driver: PostgresDriver, schema: string) {
    this.#driver = driver;
    this.#schema = schema;
    this.#key = advisoryKeyFor(schema);
  }

  get held(): boolean {
    return this.#held;
  }

  async acquire(timeoutMs: number): Promise<void> {
    if (this.#held) return;
    await refuseReadOnly(this.#driver);
    const ms = clampLockTimeout(timeoutMs);
    const args = [this.#key.classId, this.#key.objectId];
    if (ms === 0) {
      const [row] = await this.#driver.query<{ ok: boolean; pid: number }>('SELECT pg_try_advisory_lock($1::int4, $2::int4) AS ok, pg_backend_pid() AS pid', args);
      if (row?.ok !== true) throw await lockTimeoutError(this.#driver, this.#schema, ms);
      this.#taken(row.pid);
      return;
    }
    const [saved] = await this.#driver.query<{ value: string }>(`SELECT current_setting('lock_timeout') AS value`);
    await this.#driver.query(`SELECT set_config('lock_timeout', $1, false)`, [`${ms}ms`]);
    try {
      const [row] = await this.#driver.query<{ pid: number }>('SELECT pg_advisory_lock($1::int4, $2::int4), pg_backend_pid() AS pid', args);
      this.#taken(row!.pid);
    } catch (error) {
      // 55P03 lock_not_available: lock_timeout; 57014 query_canceled: a shorter statement_timeout got there first.
      if (isLockWaitEnded(error)) throw await lockTimeoutError(this.#driver, this.#schema, ms, error);
      throw error;
    } finally {
      await this.#driver.query(`SELECT set_config('lock_timeout', $1, false)`, [saved?.value ?? '0']).catch(() => undefined);
    }
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    // A failure here means the session is gone, and the lock with it.
    await this.#driver.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [this.#key.classId, this.#key.objectId]).catch(() => undefined);
  }

  holder(): Promise<LockHolder | null> {
    return lockHolder(this.#driver, this.#key);
  }

  /**
   * BEGIN, and a check that the transaction runs in the server session the
   * lock was taken in. A direct connection always does; a pooler that hands
   * each transaction to whichever server session is free does not, and a
   * session lock then protects nothing (`?pooler=session` given to a
   * transaction pooler). Not every such case shows here (the pooler may hand
   * back the same session), so this is a last guard, not the detection. The
   * BEGIN and the pid go with the transaction's first statement, so the check
   * costs no round trip; a refused session's statement is rolled back with
   * its transaction before anything commits.
   */
  async open(): Promise<void> {
    await this.#driver.beginLazily((pid) => {
      if (!this.#held || pid === this.#pid) return;
      throw new IdemError('CONFIG',
        `the server session changed under idem's run lock on schema "${this.#schema}" (taken by pid ${this.#pid}, this transaction runs in pid ${pid}): `
        + `${this.#driver.label} goes through a pooler that pools transactions, where a session lock does not hold; nothing of this migration was committed`, {
          hint: 'remove ?pooler=session from the URL (or write ?pooler=transaction): idem then takes its lock inside each migration\'s transaction',
        });
    }, this.#held ? this.#pid : undefined);
  }

  #taken(pid: number): void {
    this.#held = true;
    this.#pid = pid;
  }
}

/**
 * A standby (or a default_transaction_read_only server) accepts the
 * connection and the lock, then fails the first write; say so before.
 * https://www.postgresql.org/docs/current/hot-standby.html
 */
export async function refuseReadOnly(driver: PostgresDriver): Promise<void> {
  const [row] = await driver.query<{ standby: boolean; read_only: string }>(
    `SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS read_only`,
  );
  if (row?.standby === true || row?.read_only === 'on') {
    throw new IdemError('CONNECTION', `${driver.label} is read-only (${row.standby ? 'a standby in recovery' : 'default_transaction_read_only is on'})`, {
      hint: 'point the URL at the primary server; replicas cannot be migrated',
    });
  }
}

/**
 * Who holds this schema's lock, as far as the server shows: pg_locks lists
 * granted advisory locks with the holding pid (objsubid 2 marks a key of
 * two int4s), session-level and transaction-level alike, pg_stat_activity
 * what that session is. Only reads, so it never stands in a runner's way.
 * Behind a pooler the holder is one of the pooler's server sessions (its
 * client address is the pooler's; application_name is the runner's, which
 * PgBouncer passes on), holding the lock for one migration's transaction:
 * `in a transaction since` says for how long.
 * https://www.postgresql.org/docs/current/view-pg-locks.html
 * https://www.postgresql.org/docs/current/monitoring-stats.html#MONITORING-PG-STAT-ACTIVITY-VIEW
 */
export async function lockHolder(driver: PostgresDriver, key: AdvisoryKey): Promise<LockHolder | null> {
  const [row] = await driver.query<{
    pid: number; application_name: string | null; client: string | null; state: string | null; since: string | null; xact: string | null;
  }>(
    `SELECT l.pid, a.application_name, host(a.client_addr) AS client, a.state,
            to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since,
            to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS xact
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.pid <> pg_backend_pid()`,
    [String(key.classId), String(key.objectId)],
  );
  if (row === undefined) return null;
  const parts = [`pid ${row.pid}`];
  if (row.application_name) parts.push(`application_name "${row.application_name}"`);
  if (row.client) parts.push(`client ${row.client}`);
  if (row.since) parts.push(`connected since ${row.since}`);
  if (row.state) parts.push(`state ${row.state}`);
  if (row.xact) parts.push(`in a transaction since ${row.xact}`);
  return { description: parts.join(', '), session: row.pid, end: `SELECT pg_terminate_backend(${row.pid})` };
}

/** What the runner waited for, and who holds it. */
export async function lockTimeoutError(driver: PostgresDriver, schema: string, ms: number, cause?: unknown): Promise<IdemError> {
  const key = advisoryKeyFor(schema);
  // The holder is a courtesy; the timeout is the error.
  const holder = await lockHolder(driver, key).catch(() => null);
  return new IdemError('LOCK_TIMEOUT',
    `waited ${formatMs(ms)} for idem's run lock on schema "${schema}" (advisory lock ${key.classId}/${key.objectId})${holder ? `, held by ${holder.description}` : ''}`, {
      ...(cause === undefined ? {} : { cause }),
      hint: 'another `idem up` is migrating this schema; re-run when it finishes (it will find nothing to do), or raise --lock-timeout. '
        + 'A holder that is not idem can be ended with SELECT pg_terminate_backend(<pid>)',
    });
}

/** 55P03 lock_not_available: lock_timeout; 57014 query_canceled: a shorter statement_timeout got there first. */
export function isLockWaitEnded(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '55P03' || code === '57014';
}

export function clampLockTimeout(timeoutMs: number): number {
  return Math.min(MAX_LOCK_TIMEOUT_MS, Math.max(0, Math.floor(timeoutMs)));
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${ms}ms`;
}

/**
 * One transaction per migration. DDL is transactional in PostgreSQL, so a
 * failing migration leaves nothing behind. How a transaction starts is the
 * run lock's business (`opener`): the session lock checks its server session,
 * the transaction-scoped lock takes itself.
 * https://www.postgresql.org/docs/current/sql-begin.html
 */
export class PostgresTransactions implements TransactionControl {
  readonly #driver: PostgresDriver;
  readonly #opener: TransactionOpener;
  #savepoints = 0;
  /** The open transaction holds kept migrations (keep()): the next one continues it. */
  #kept = false;
  /** attempt() defers its statement (deferStatements()). */
  #deferring = false;

  constructor(driver: PostgresDriver, opener: TransactionOpener) {
    this.#driver = driver;
    this.#opener = opener;
  }

  get open(): boolean {
    return this.#driver.inTransaction;
  }

  async begin(): Promise<void> {
    if (this.#kept && this.#driver.inTransaction) return;
    this.#ended();
    await this.#opener.open();
  }

  /** What the last transaction carried (kept migrations, deferred statements) ends with it. */
  #ended(): void {
    this.#kept = false;
    this.#deferring = false;
  }

  commit(): Promise<void> {
    this.#ended();
    return this.#driver.commit();
  }

  commitLazily(): Promise<void> {
    this.#ended();
    return this.#driver.commitLazily();
  }

  executeThenCommit(sql: string, params: unknown[]): Promise<ExecResult> {
    this.#ended();
    return this.#driver.executeThenCommitLazily(sql, params);
  }

  canSendThenCommit(): boolean {
    return this.#driver.canCloseWithoutWaiting;
  }

  sendThenCommit(sql: string, params: unknown[]): Promise<ExecResult> {
    this.#ended();
    return this.#driver.sendThenCommitLazily(sql, params);
  }

  /**
   * Undoes everything since the last commit, kept migrations included (no
   * savepoint each: hundreds of subtransactions in one transaction slow every
   * other session down); the runner records the kept ones again.
   */
  rollback(): Promise<void> {
    this.#ended();
    return this.#driver.rollback();
  }

  async keep(): Promise<void> {
    this.#kept = true;
  }

  /**
   * From now until the transaction ends, attempt() holds each statement
   * without parameters and the driver sends them all in front of the next
   * one, the COMMIT at the latest: a migration of three DDL statements
   * reaches the server in one round trip instead of four. No savepoint is
   * needed then: when the batch fails, the runner rolls the migration back
   * and runs it again with statements sent one at a time (batchFailed()).
   */
  deferStatements(): void {
    this.#deferring = true;
  }

  batchFailed(): boolean {
    return this.#driver.deferredFailed;
  }

  /**
   * Runs one statement so that its failure leaves the transaction usable:
   * after any error PostgreSQL refuses every statement until ROLLBACK
   * ("current transaction is aborted"), so re-reading the catalog after
   * "already exists" needs the failed statement inside a savepoint. A
   * statement without parameters (all DDL) goes in one round trip with its
   * SAVEPOINT and RELEASE: several statements in one simple-protocol query
   * run in order and stop at the first error, inside the open transaction.
   * Outside a transaction it simply runs the statement.
   * https://www.postgresql.org/docs/current/sql-savepoint.html
   * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
   */
  /**
   * attempt() for any statements, reads included: inside a savepoint, rolled
   * back to on failure. The SAVEPOINT goes first on its own, so statements
   * deferred before it (which it sends ahead of itself) fail as a batch, not
   * as the guarded statements' failure.
   */
  async guard<T>(run: () => Promise<T>): Promise<T> {
    if (!this.#driver.inTransaction) return run();
    const name = `idem_guard_${++this.#savepoints}`;
    await this.#driver.execute(`SAVEPOINT ${name}`);
    try {
      const result = await run();
      await this.#driver.execute(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.#driver.execute(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
      throw error;
    }
  }

  async attempt(sql: string, params: unknown[]): Promise<ExecResult> {
    if (!this.#driver.inTransaction) return this.#driver.execute(sql, params);
    if (this.#deferring && params.length === 0) {
      this.#driver.defer(sql);
      return { rowsAffected: 0 };
    }
    const name = `idem_attempt_${++this.#savepoints}`;
    try {
      if (params.length === 0) return await this.#driver.execute(`SAVEPOINT ${name}; ${sql}; RELEASE SAVEPOINT ${name}`);
      await this.#driver.execute(`SAVEPOINT ${name}`);
      const result = await this.#driver.execute(sql, params);
      await this.#driver.execute(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.#driver.execute(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
      throw error;
    }
  }
}
