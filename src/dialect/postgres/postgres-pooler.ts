/**
 * Whether a connection pooler stands between idem and PostgreSQL, and so
 * which run lock holds: the session lock (postgres-lock.ts) needs one server
 * session for the whole run; behind a transaction pooler only a transaction
 * keeps its server session, and the lock is taken per transaction
 * (postgres-transaction-lock.ts).
 *
 * Said in the URL, `?pooler=transaction` or `?pooler=session` (idem's
 * parameter, like `?schema=`: it travels with DATABASE_URL, config files and
 * fleet target lists, and is taken out before pg sees the URL). Without it,
 * idem looks: PostgreSQL announces the process id of the connection's server
 * session at start-up (BackendKeyData) and pg_backend_pid() returns the same
 * number; a pooler answers the start-up itself, with a key of its own (a
 * cancel request must reach whichever server session serves the client
 * then), so the two differ. That tells a pooler is there, not how it pools
 * (PgBouncer's session and transaction modes look alike), so a pooler seen
 * gets the transaction lock, which is safe under both; `?pooler=session`
 * keeps the session lock when the pooler is known to pool sessions. A
 * pooler that passed PostgreSQL's own key through would not be seen: say
 * `?pooler=transaction` for it.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-CANCELING-REQUESTS
 * https://www.pgbouncer.org/config.html#pool_mode
 */
import { IdemError } from '../../errors.ts';
import type { TransactionScopeReason } from './postgres-transaction-lock.ts';

export type PoolerParameter = 'transaction' | 'session';

const VALUES: readonly PoolerParameter[] = ['transaction', 'session'];

/** `?pooler=` as given, checked; undefined when the URL has none. */
export function parsePoolerParameter(value: string | undefined, label: string): PoolerParameter | undefined {
  if (value === undefined) return undefined;
  if ((VALUES as readonly string[]).includes(value)) return value as PoolerParameter;
  throw new IdemError('URL_INVALID', `the database URL ${label} has pooler=${value}; idem knows pooler=transaction and pooler=session`, {
    hint: 'write ?pooler=transaction behind a pooler that pools transactions (PgBouncer pool_mode = transaction), '
      + '?pooler=session behind one that keeps each client on one server session, or leave it out: idem then looks for a pooler itself',
  });
}

/** The run lock a connection gets: the session lock, or the transaction lock and why. */
export type LockScope = { scope: 'session' } | { scope: 'transaction'; why: TransactionScopeReason };

/**
 * `announcedPid`: the pid of the start-up's BackendKeyData (null if none
 * came); `serverPid`: pg_backend_pid() on the same connection.
 */
export function chooseLockScope(parameter: PoolerParameter | undefined, announcedPid: number | null, serverPid: number): LockScope {
  if (parameter === 'session') return { scope: 'session' };
  const direct = 'run it over a direct connection to PostgreSQL (a URL to the server itself, bypassing the pooler): there idem holds its lock for the whole run; '
    + 'then run `idem up` through the pooler again (it finds that migration done)';
  if (parameter === 'transaction') {
    return {
      scope: 'transaction',
      why: { reason: 'the URL says ?pooler=transaction, so idem\'s lock is held only inside each migration\'s transaction', hint: direct },
    };
  }
  if (announcedPid === serverPid) return { scope: 'session' };
  const announced = announcedPid === null ? 'announced no server process' : `announced server process ${announcedPid}`;
  return {
    scope: 'transaction',
    why: {
      reason: `a connection pooler answers for PostgreSQL here (the connection ${announced}, the server runs it as ${serverPid}), `
        + 'so idem\'s lock is held only inside each migration\'s transaction',
      hint: `${direct}. If the pooler keeps each client on one server session (PgBouncer pool_mode = session), add ?pooler=session to the URL instead`,
    },
  };
}
