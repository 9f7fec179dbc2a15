/**
 * The run lock on a MariaDB Galera cluster: a lease row the cluster itself
 * serializes. GET_LOCK is local to one node (measured: two runners on two
 * nodes both get the "same" lock, silently), so it cannot keep two runners
 * connected to different nodes apart. A row can: its writes are certified
 * cluster-wide, and of two runners writing it at once one wins, the other
 * gets a certification failure (1213) or a duplicate key (1062). See
 * mysql-lease-table.ts for the row and its statements.
 *
 * The lease lives on a connection of its own, in autocommit: the migration's
 * connection runs transactions (whose writes other nodes see only at COMMIT)
 * and long statements, neither of which may hold up a heartbeat.
 *
 * - Take: INSERT the row. A runner that finds it held polls until it is
 *   released (DELETE) or has lapsed, up to the lock timeout (LOCK_TIMEOUT).
 * - Hold: a heartbeat renews it every third of the lease. Before each
 *   migration the runner renews it once more and so learns whether it still
 *   holds it; one that lost it (its heartbeat stalled longer than the lease)
 *   waits for it again and re-reads what the others did meanwhile.
 * - Lapse: a lease lapses when a waiter has watched it for a whole lease
 *   (the holder's, stored in the row) without a heartbeat, measured on the
 *   waiter's own monotonic clock, or when by the database's clock it expired
 *   more than a whole lease ago. Clocks that differ between nodes by less
 *   than a lease cannot hand a live lease to a second runner, and a killed
 *   holder's lease lapses at most two leases after its last heartbeat
 *   (15 s by default: 30 s at most). The take-over is a compare-and-set on
 *   (owner, heartbeat), certified like any write: one runner wins it.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { IdemError } from '../../errors.ts';
import type { Driver, LockHolder, RunLock, SessionWarning } from '../dialect.ts';
import { ER_DUP_ENTRY, isGaleraRaceError, mysqlErrno, retryRaces } from './mysql-galera-races.ts';
import { LEASE_TABLE, LeaseTable, NO_SUCH_TABLE, type LeaseRow } from './mysql-lease-table.ts';

export const DEFAULT_LEASE_MS = 15_000;
/** The row's name: one run lock per database (the table lives in the database it guards). */
const LEASE_NAME = 'run';
/** How often a waiter looks at the row: often enough that a handover costs little, at most five times per lease. */
const POLL_MS = 250;

export interface LeaseLockOptions {
  /** The session's connection: `holder()` reads through it. */
  driver: Driver;
  /** Opens the lease's own connection (causal reads on, like the session's). */
  connect: () => Promise<Driver>;
  leaseMs?: number;
  warn?: (warning: SessionWarning) => void;
}

/** A lease as one waiter has watched it: since when (its own clock) it has shown this owner and heartbeat. */
interface Watched {
  owner: string;
  heartbeat: number;
  since: number;
}

export class MysqlLeaseLock implements RunLock {
  /** This runner, as the row names it: host, process and a random tag (two runners never share it). */
  readonly owner = `${hostname()} pid ${process.pid} ${randomBytes(4).toString('hex')}`;
  readonly leaseMs: number;
  readonly #o: LeaseLockOptions;
  #connection: Driver | undefined;
  #held = false;
  /** Why the lease is no longer this runner's, once a heartbeat found out. */
  #lost: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** The heartbeat in flight: renewals never overlap. */
  #beating: Promise<void> = Promise.resolve();
  #timeoutMs = 60_000;

  constructor(options: LeaseLockOptions) {
    this.#o = options;
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    if (!Number.isFinite(this.leaseMs) || this.leaseMs < 1000) {
      throw new IdemError('USAGE', `the lock lease must be at least 1 second (got ${this.leaseMs / 1000}s)`, {
        hint: 'e.g. --lock-lease 15 (the default); a killed runner\'s lease lapses within twice that',
      });
    }
  }

  get held(): boolean {
    return this.#held;
  }

  async acquire(timeoutMs: number): Promise<void> {
    if (this.#held) return;
    this.#timeoutMs = timeoutMs;
    const deadline = performance.now() + timeoutMs;
    const table = await this.#table();
    let watched: Watched | undefined;
    for (;;) {
      if (await this.#insert(table)) return this.#took();
      const sentAt = performance.now();
      const row = await this.#read(table);
      if (row?.owner === this.owner) {
        // Ours already: a heartbeat failed for a moment (a lost connection) and the row stayed.
        if (await this.#renew(table)) return this.#took();
        continue;
      }
      if (row !== undefined) {
        if (!watched || watched.owner !== row.owner || watched.heartbeat !== row.heartbeat) {
          watched = { owner: row.owner, heartbeat: row.heartbeat, since: performance.now() };
        }
        const silentMs = sentAt - watched.since;
        if (row.stale || silentMs >= row.leaseMs) {
          if (await this.#takeOver(table, row, silentMs)) return this.#took();
          watched = undefined;
        }
      }
      const left = deadline - performance.now();
      if (left <= 0) throw row ? this.#timeout(row, timeoutMs) : this.#raced(timeoutMs);
      // Free again (released between the INSERT and the read): retry soon; held: poll. Jitter spreads out runners that collided.
      await pause(Math.min(left, row === undefined ? Math.random() * 50 : Math.min(POLL_MS * (0.5 + Math.random()), row.leaseMs / 5)));
    }
  }

  async release(): Promise<void> {
    if (!this.#held) return this.#disconnect();
    this.#held = false;
    clearInterval(this.#timer);
    await this.#beating;
    try {
      // Only where the row is still this runner's: another runner that took it over keeps it.
      const table = await this.#table();
      await retryRaces(() => table.remove(this.owner));
    } catch (error) {
      this.#o.warn?.({
        code: 'LOCK_LEASE_NOT_RELEASED',
        message: `could not give the run lock's lease back (${(error as Error)?.message ?? String(error)}); it lapses by itself within ${(2 * this.leaseMs) / 1000}s`,
      });
    } finally {
      await this.#disconnect();
    }
  }

  /**
   * Renews the lease now and says whether this runner had to wait for it
   * again: false while it holds it, true when it had lost it (a heartbeat
   * stalled longer than the lease and another runner took over) and has
   * taken it again since. Called before each migration.
   */
  async confirm(): Promise<boolean> {
    if (!this.#held) return false;
    await this.#beat();
    if (this.#lost === undefined) return false;
    const why = this.#lost;
    this.#held = false;
    clearInterval(this.#timer);
    // A heartbeat that failed (a dropped connection) while nobody took the lease over: it was ours throughout.
    const table = await this.#table();
    if ((await this.#read(table))?.owner === this.owner && await this.#renew(table)) {
      this.#took();
      return false;
    }
    this.#o.warn?.({
      code: 'LOCK_LEASE_LOST',
      message: `this runner lost the run lock's lease (${why}); waiting for it again, then re-reading what the other runner did`,
      hint: 'a heartbeat stalls when the cluster is blocked for longer than the lease (a long ALTER TABLE under TOI, a node failing); '
        + 'raise --lock-lease if this happens often',
    });
    await this.acquire(this.#timeoutMs);
    return true;
  }

  /** Who holds the lease, from the row; null when it is free or this runner's own. Only reads. */
  async holder(): Promise<LockHolder | null> {
    const table = new LeaseTable(this.#o.driver, LEASE_NAME);
    const row = await table.read();
    if (row === undefined || row.owner === this.owner) return null;
    return {
      description: describe(row),
      since: `${row.acquiredAt} UTC`,
      expires: `${row.expiresAt} UTC`,
      end: table.removeStatement(row.owner),
    };
  }

  async #table(): Promise<LeaseTable> {
    this.#connection ??= await this.#o.connect();
    return new LeaseTable(this.#connection, LEASE_NAME);
  }

  /** One INSERT: true when this runner took the lease, false when another holds it or won the race. */
  async #insert(table: LeaseTable): Promise<boolean> {
    for (let created = false; ; created = true) {
      try {
        await table.insert(this.owner, this.leaseMs);
        return true;
      } catch (error) {
        const errno = mysqlErrno(error);
        if (errno === NO_SUCH_TABLE && !created) {
          await table.create(); // IF NOT EXISTS: any number of runners may create it at once
          continue;
        }
        if (errno === ER_DUP_ENTRY || isGaleraRaceError(error)) return false;
        throw this.#failure('take', error);
      }
    }
  }

  async #read(table: LeaseTable): Promise<LeaseRow | undefined> {
    try {
      return await retryRaces(() => table.read()); // 1047 while the node is briefly outside the primary component
    } catch (error) {
      throw this.#failure('read', error);
    }
  }

  async #renew(table: LeaseTable): Promise<boolean> {
    try {
      return await retryRaces(() => table.renew(this.owner, this.leaseMs));
    } catch (error) {
      throw this.#failure('renew', error);
    }
  }

  async #takeOver(table: LeaseTable, row: LeaseRow, silentMs: number): Promise<boolean> {
    let took: boolean;
    try {
      took = await table.takeOver(this.owner, this.leaseMs, row);
    } catch (error) {
      if (isGaleraRaceError(error)) return false; // another waiter, or the holder's heartbeat, won
      throw this.#failure('take over', error);
    }
    if (took) {
      const why = row.stale ? `it expired at ${row.expiresAt} UTC` : `no heartbeat for ${Math.round(silentMs / 100) / 10}s`;
      this.#o.warn?.({
        code: 'LOCK_LEASE_LAPSED',
        message: `took over the run lock from ${row.owner}, whose lease lapsed (${why}): that runner was killed or cut off; what it left half done is re-checked`,
      });
    }
    return took;
  }

  #took(): void {
    this.#held = true;
    this.#lost = undefined;
    clearInterval(this.#timer);
    this.#timer = setInterval(() => void this.#beat(), this.leaseMs / 3);
    this.#timer.unref(); // a heartbeat never keeps the process alive
  }

  /** One heartbeat; what it learns is kept in #lost. Never throws. */
  #beat(): Promise<void> {
    this.#beating = this.#beating.then(async () => {
      if (!this.#held || this.#lost !== undefined) return;
      try {
        const table = await this.#table();
        if (!(await retryRaces(() => table.renew(this.owner, this.leaseMs)))) {
          this.#lost = 'its row was deleted, or another runner took it over after it lapsed';
        }
      } catch (error) {
        // The lease's connection failed: reconnect next time; if the row is still ours it is simply renewed.
        this.#lost = `its heartbeat failed: ${(error as Error)?.message ?? String(error)}`;
        await this.#disconnect();
      }
    });
    return this.#beating;
  }

  async #disconnect(): Promise<void> {
    const connection = this.#connection;
    this.#connection = undefined;
    await connection?.close().catch(() => undefined);
  }

  #timeout(row: LeaseRow, timeoutMs: number): IdemError {
    return new IdemError('LOCK_TIMEOUT', `another runner holds the run lock (a lease in ${LEASE_TABLE}): ${describe(row)}; it was not released within ${Math.round(timeoutMs / 1000)}s`, {
      data: { lock: LEASE_TABLE, owner: row.owner, since: `${row.acquiredAt} UTC`, expires: `${row.expiresAt} UTC` },
      hint: 'another `idem up` is migrating this database through some node of the cluster; when it ends this run finds nothing to do. '
        + `Re-run, or wait longer (--lock-timeout). A killed runner's lease lapses by itself within ${(2 * row.leaseMs) / 1000}s of its last heartbeat`,
    });
  }

  /** Every attempt lost a race and the row was gone each time it was read: the lease changed hands too fast to watch. */
  #raced(timeoutMs: number): IdemError {
    return new IdemError('LOCK_TIMEOUT', `could not take the run lock (a lease in ${LEASE_TABLE}) within ${Math.round(timeoutMs / 1000)}s: other runners kept taking it first`, {
      data: { lock: LEASE_TABLE }, hint: 'other `idem up` runs are migrating this database; re-run, or wait longer (--lock-timeout)',
    });
  }

  #failure(action: string, error: unknown): IdemError {
    if (error instanceof IdemError) return error;
    return new IdemError('CONNECTION', `could not ${action} the run lock's lease in ${LEASE_TABLE}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error, hint: 'check that this user may create and write tables in the database, and that the node is in the primary component; then re-run',
    });
  }
}

function describe(row: LeaseRow): string {
  return `runner "${row.owner}" (since ${row.acquiredAt} UTC, heartbeat ${row.heartbeat}, lease ${row.leaseMs / 1000}s, `
    + `${row.stale ? 'lapsed at' : 'expires'} ${row.expiresAt} UTC)`;
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
