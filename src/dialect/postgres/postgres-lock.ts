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
 * Advisory locks are per database already.
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
import type { RunLock, TransactionControl } from '../dialect.ts';
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

export class PostgresRunLock implements RunLock {
  readonly #driver: PostgresDriver;
  #key: AdvisoryKey | undefined;
  #schema = '';
  #held = false;

  constructor(driver: PostgresDriver) {
    this.#driver = driver;
  }

  get held(): boolean {
    return this.#held;
  }

  async acquire(timeoutMs: number): Promise<void> {
    if (this.#held) return;
    const key = await this.#resolveKey();
    await this.#refuseReadOnly();
    const ms = Math.min(MAX_LOCK_TIMEOUT_MS, Math.max(0, Math.floor(timeoutMs)));
    const args = [key.classId, key.objectId];
    if (ms === 0) {
      const [row] = await this.#driver.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::int4, $2::int4) AS ok', args);
      if (row?.ok !== true) throw await this.#timeout(ms);
      this.#held = true;
      return;
    }
    const [saved] = await this.#driver.query<{ value: string }>(`SELECT current_setting('lock_timeout') AS value`);
    await this.#driver.query(`SELECT set_config('lock_timeout', $1, false)`, [`${ms}ms`]);
    try {
      await this.#driver.query('SELECT pg_advisory_lock($1::int4, $2::int4)', args);
      this.#held = true;
    } catch (error) {
      // 55P03 lock_not_available: lock_timeout; 57014 query_canceled: a shorter statement_timeout got there first.
      const code = (error as { code?: string }).code;
      if (code === '55P03' || code === '57014') throw await this.#timeout(ms, error);
      throw error;
    } finally {
      await this.#driver.query(`SELECT set_config('lock_timeout', $1, false)`, [saved?.value ?? '0']).catch(() => undefined);
    }
  }

  async release(): Promise<void> {
    if (!this.#held || this.#key === undefined) return;
    this.#held = false;
    // A failure here means the session is gone, and the lock with it.
    await this.#driver.query('SELECT pg_advisory_unlock($1::int4, $2::int4)', [this.#key.classId, this.#key.objectId]).catch(() => undefined);
  }

  async #resolveKey(): Promise<AdvisoryKey> {
    if (this.#key === undefined) {
      const [row] = await this.#driver.query<{ schema: string | null }>('SELECT current_schema() AS schema');
      this.#schema = row?.schema ?? '';
      this.#key = advisoryKeyFor(this.#schema);
    }
    return this.#key;
  }

  /**
   * A standby (or a default_transaction_read_only server) accepts the
   * connection and the lock, then fails the first write; say so before.
   * https://www.postgresql.org/docs/current/hot-standby.html
   */
  async #refuseReadOnly(): Promise<void> {
    const [row] = await this.#driver.query<{ standby: boolean; read_only: string }>(
      `SELECT pg_is_in_recovery() AS standby, current_setting('transaction_read_only') AS read_only`,
    );
    if (row?.standby === true || row?.read_only === 'on') {
      throw new IdemError('CONNECTION', `${this.#driver.label} is read-only (${row.standby ? 'a standby in recovery' : 'default_transaction_read_only is on'})`, {
        hint: 'point the URL at the primary server; replicas cannot be migrated',
      });
    }
  }

  /** What the runner waits for, and who holds it, as far as pg_locks and pg_stat_activity show. */
  async #timeout(ms: number, cause?: unknown): Promise<IdemError> {
    const key = this.#key!;
    let holder = '';
    try {
      const rows = await this.#driver.query<{ pid: number; application_name: string | null; state: string | null; since: string | null }>(
        `SELECT l.pid, a.application_name, a.state, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since
           FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 2
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
        [String(key.classId), String(key.objectId)],
      );
      const row = rows[0];
      if (row !== undefined) {
        const app = row.application_name ? `, application_name "${row.application_name}"` : '';
        holder = ` held by pid ${row.pid}${app}${row.since ? `, connected since ${row.since}` : ''}`;
      }
    } catch {
      // The holder is a courtesy; the timeout is the error.
    }
    return new IdemError('LOCK_TIMEOUT',
      `waited ${formatMs(ms)} for idem's run lock on schema "${this.#schema}" (advisory lock ${key.classId}/${key.objectId})${holder ? `,${holder}` : ''}`, {
        ...(cause === undefined ? {} : { cause }),
        hint: 'another `idem up` is migrating this schema; re-run when it finishes (it will find nothing to do), or raise --lock-timeout. '
          + 'A holder that is not idem can be ended with SELECT pg_terminate_backend(<pid>)',
      });
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10}s` : `${ms}ms`;
}

/**
 * One transaction per migration. DDL is transactional in PostgreSQL, so a
 * failing migration leaves nothing behind.
 * https://www.postgresql.org/docs/current/sql-begin.html
 */
export class PostgresTransactions implements TransactionControl {
  readonly #driver: PostgresDriver;
  #savepoints = 0;
  #open = false;

  constructor(driver: PostgresDriver) {
    this.#driver = driver;
  }

  get open(): boolean {
    return this.#open;
  }

  async begin(): Promise<void> {
    await this.#driver.execute('BEGIN');
    this.#open = true;
  }

  async commit(): Promise<void> {
    this.#open = false;
    await this.#driver.execute('COMMIT');
  }

  async rollback(): Promise<void> {
    this.#open = false;
    await this.#driver.execute('ROLLBACK');
  }

  /**
   * Runs `work` so that its failure leaves the transaction usable: after any
   * error PostgreSQL refuses every statement until ROLLBACK ("current
   * transaction is aborted"), so re-reading the catalog after "already exists"
   * needs the failed statement inside a savepoint. Outside a transaction it
   * simply runs `work`.
   * https://www.postgresql.org/docs/current/sql-savepoint.html
   */
  async attempt<T>(work: () => Promise<T>): Promise<T> {
    if (!this.#open) return work();
    const name = `idem_attempt_${++this.#savepoints}`;
    await this.#driver.execute(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      await this.#driver.execute(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await this.#driver.execute(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
      throw error;
    }
  }
}
