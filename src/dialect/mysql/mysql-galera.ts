/**
 * MariaDB Galera (multi-primary, synchronous replication): what idem learns
 * when it connects, and how it sets up its session there.
 *
 * A Galera session is a capability of the MySQL session, not a dialect of
 * its own: the SQL is MariaDB's. What changes is the run lock (GET_LOCK is
 * local to one node, so a lease row certified by the cluster replaces it,
 * see mysql-lease-lock.ts), causal reads, and retries of races the cluster
 * settles by aborting the loser (mysql-galera-races.ts).
 */
import type { Driver, SessionWarning } from '../dialect.ts';

/** The server variables idem reads when it connects; absent on a MySQL or MariaDB built without wsrep. */
export const GALERA_VARIABLES = ['wsrep_on', 'wsrep_provider', 'wsrep_osu_method', 'wsrep_sync_wait'] as const;

export interface GaleraSettings {
  /**
   * How DDL is replicated: TOI (total order isolation, every node runs the
   * statement at the same point of the replication stream), RSU (rolling
   * schema upgrade: only this node) or NBO (non-blocking, Enterprise).
   * https://mariadb.com/docs/galera-cluster/reference/galera-cluster-system-variables#wsrep_osu_method
   */
  osuMethod: string;
  /** The session's wsrep_sync_wait bitmask before idem set it. */
  syncWait: number;
}

/**
 * Galera when this session's writes are replicated: wsrep_on is ON (it is a
 * session variable too) and a provider is loaded. MySQL has none of these
 * variables; MariaDB without a cluster has wsrep_on OFF, provider `none`.
 */
export function galeraSettings(variables: ReadonlyMap<string, string>): GaleraSettings | undefined {
  const on = (variables.get('wsrep_on') ?? '').toUpperCase();
  const provider = (variables.get('wsrep_provider') ?? 'none').trim().toLowerCase();
  if ((on !== 'ON' && on !== '1') || provider === '' || provider === 'none') return undefined;
  return {
    osuMethod: (variables.get('wsrep_osu_method') ?? 'TOI').toUpperCase(),
    syncWait: Number(variables.get('wsrep_sync_wait') ?? 0) || 0,
  };
}

/**
 * Settings under which a migration run is unsafe on the cluster. With RSU,
 * DDL runs on the node idem is connected to only and is not replicated,
 * while the version row (a normal write) is: the other nodes would keep the
 * old schema and still read the migration as applied.
 * https://mariadb.com/docs/galera-cluster/galera-management/general-operations/performing-schema-upgrades-in-galera-cluster
 */
export function galeraWarnings(settings: GaleraSettings): SessionWarning[] {
  if (settings.osuMethod !== 'RSU') return [];
  return [{
    code: 'GALERA_RSU',
    message: 'this Galera session uses wsrep_osu_method = RSU: DDL runs on the node idem is connected to and is not replicated, '
      + 'while the version rows are, so the other nodes would keep the old schema yet read the migrations as applied',
    hint: "set wsrep_osu_method = 'TOI' (SET GLOBAL wsrep_osu_method = 'TOI', and in my.cnf) before migrating: "
      + 'DDL then runs on every node in the same order; keep RSU for a manual rolling upgrade, one node at a time',
  }];
}

/**
 * Causal reads: each read (SELECT, and so the information_schema catalog and
 * the version table), UPDATE/DELETE and INSERT/REPLACE first waits until
 * this node has applied every write set the cluster committed before it.
 * Without it a node can answer from before a commit made through another
 * node: the shared experiments saw 2 to 14 of 300 reads right after a
 * commit miss it, none with wsrep_sync_wait = 1. Reads alone (1) are what
 * the catalog and version table need; the write bits (2 and 4) spare the
 * lease row's UPDATE and INSERT a certification failure they would get
 * against a stale copy of the row. SHOW (8) is left as the server has it:
 * idem reads the catalog through information_schema, never SHOW. The bits
 * already set on the server are kept.
 * https://mariadb.com/docs/galera-cluster/reference/galera-cluster-system-variables#wsrep_sync_wait
 */
export const CAUSAL_WAIT_BITS = 1 | 2 | 4;

export async function enableCausalReads(driver: Driver, settings: GaleraSettings): Promise<void> {
  await driver.execute('SET SESSION wsrep_sync_wait = ?', [settings.syncWait | CAUSAL_WAIT_BITS]);
}
