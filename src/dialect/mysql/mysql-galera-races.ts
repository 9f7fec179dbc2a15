/**
 * Races a Galera cluster settles by aborting the loser, and retrying them.
 * Transactions run optimistically on their own node and are certified
 * against every other node's at COMMIT; the loser is rolled back whole.
 * https://mariadb.com/docs/galera-cluster/galera-architecture/certification-based-replication
 *
 * - 1213 ER_LOCK_DEADLOCK: a certification failure (on COMMIT, or on an
 *   autocommit statement) or a transaction aborted by a conflicting write set
 *   replicated from another node. Nothing of the transaction stays.
 * - 1047 ER_UNKNOWN_COM_ERROR, "WSREP has not yet prepared node for
 *   application use": the node is briefly outside the primary component
 *   (a member just failed, or it is rejoining). Nothing ran.
 * - 1062 ER_DUP_ENTRY on one of idem's own rows (a version row, the lease
 *   row): another runner wrote the same key first. Those statements reach
 *   the caller as the driver's error, while a migration's own duplicate
 *   insert is wrapped as the failure of its operation (an IdemError) and is
 *   the migration's to fix, not a race.
 * https://mariadb.com/kb/en/mariadb-error-codes/
 */
import { IdemError } from '../../errors.ts';
import type { CatalogReader } from '../dialect.ts';

export const ER_DUP_ENTRY = 1062;
const ROLLED_BACK_BY_CLUSTER = new Set([1213, 1047]);

/** The MySQL error number of `error` or of the driver error it wraps (`cause`). */
export function mysqlErrno(error: unknown): number | undefined {
  for (let e = error, depth = 0; e !== null && e !== undefined && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const errno = (e as { errno?: unknown }).errno;
    if (typeof errno === 'number') return errno;
  }
  return undefined;
}

export function isGaleraRaceError(error: unknown): boolean {
  const errno = mysqlErrno(error);
  if (errno === undefined) return false;
  if (ROLLED_BACK_BY_CLUSTER.has(errno)) return true;
  return errno === ER_DUP_ENTRY && !(error instanceof IdemError);
}

/** Attempts of one of idem's own statements that lost a race (the server already retries an autocommit statement once: wsrep_retry_autocommit). */
export const RACE_ATTEMPTS = 5;

/**
 * Runs `work` again while it fails with 1213 or 1047, up to RACE_ATTEMPTS
 * times, after a short growing pause with jitter (so two runners that
 * collided do not collide again in step). For single statements of idem's
 * own bookkeeping whose effect is the same however often they run.
 */
export async function retryRaces<T>(work: () => Promise<T>, attempts = RACE_ATTEMPTS): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      const errno = mysqlErrno(error);
      if (attempt >= attempts || errno === undefined || !ROLLED_BACK_BY_CLUSTER.has(errno)) throw error;
      await new Promise((resolve) => setTimeout(resolve, raceBackoffMs(attempt)));
    }
  }
}

/** 50 ms, 100 ms, 200 ms … plus up to as much again at random. */
export function raceBackoffMs(attempt: number): number {
  const base = 50 * 2 ** (attempt - 1);
  return base + Math.floor(Math.random() * base);
}

/**
 * The catalog with every read passed through `retryRead`
 * (DialectSession.retryRead): information_schema opens every table of the
 * schema, so any DDL replicated meanwhile (another runner creating idem's
 * lease table, say) can abort it.
 */
export function raceRetryingCatalog(catalog: CatalogReader, retryRead: <T>(read: () => Promise<T>) => Promise<T>): CatalogReader {
  return {
    readAll: () => retryRead(() => catalog.readAll()),
    readTables: (names) => retryRead(() => catalog.readTables(names)),
    hasTable: (name) => retryRead(() => catalog.hasTable(name)),
  };
}

/**
 * DialectSession.retryRead for a Galera node: a read sent on its own runs
 * again through retryRaces; one inside a migration's transaction runs once.
 */
export function retryLoneReads(transactions: { readonly open: boolean }): <T>(read: () => Promise<T>) => Promise<T> {
  return (read) => (transactions.open ? read() : retryRaces(read));
}
