/**
 * The lease row behind the run lock on a Galera cluster, in idem's own table
 * `idem_lock` (left out of the catalog like the version table). One row per
 * lock name; every write is a single autocommit statement keyed on the
 * primary key, so the cluster certifies it against every concurrent write to
 * the same row on any node: of two runners writing it at once, one wins and
 * the other gets 1213 (certification failure) or 1062.
 * https://mariadb.com/docs/galera-cluster/galera-architecture/certification-based-replication
 *
 * Times are the database's, in UTC whatever the session time zone, at
 * microsecond precision. They are shown to people (`idem doctor`) and used to
 * take over a lease long expired; whether a live-looking lease lapsed is
 * judged by watching its heartbeat (see mysql-lease-lock.ts), so clocks that
 * disagree between nodes cannot hand a held lease to a second runner.
 */
import type { Driver } from '../dialect.ts';
import { quoteMysqlIdentifier as q } from './mysql-quote.ts';

export const LEASE_TABLE = 'idem_lock';

/** A lease as stored. `stale`: by this node's clock it expired more than a whole lease ago. */
export interface LeaseRow {
  owner: string;
  heartbeat: number;
  leaseMs: number;
  acquiredAt: string;
  expiresAt: string;
  stale: boolean;
}

/** MySQL/MariaDB: the table does not exist (ER_NO_SUCH_TABLE). */
export const NO_SUCH_TABLE = 1146;

const T = q(LEASE_TABLE);
const EXPIRES = 'UTC_TIMESTAMP(6) + INTERVAL ? MICROSECOND';

export class LeaseTable {
  readonly #driver: Driver;
  readonly name: string;

  /** `name`: the lock's row. */
  constructor(driver: Driver, name: string) {
    this.#driver = driver;
    this.name = name;
  }

  /** InnoDB with a primary key: what Galera replicates and certifies row by row. */
  async create(): Promise<void> {
    await this.#driver.execute(`CREATE TABLE IF NOT EXISTS ${T} (
  name varchar(64) NOT NULL PRIMARY KEY,
  owner varchar(255) NOT NULL,
  heartbeat bigint NOT NULL,
  lease_ms int NOT NULL,
  acquired_at datetime(6) NOT NULL,
  expires_at datetime(6) NOT NULL
) ENGINE=InnoDB`);
  }

  /** Takes a free lease; fails with 1062 (or 1213) when another runner holds it or took it first, 1146 before the table exists. */
  async insert(owner: string, leaseMs: number): Promise<void> {
    await this.#driver.execute(
      `INSERT INTO ${T} (name, owner, heartbeat, lease_ms, acquired_at, expires_at) VALUES (?, ?, 0, ?, UTC_TIMESTAMP(6), ${EXPIRES})`,
      [this.name, owner, leaseMs, leaseMs * 1000],
    );
  }

  /** The lease as this node has it now; undefined when free (or when the table does not exist yet). */
  async read(): Promise<LeaseRow | undefined> {
    let rows: Array<Record<string, unknown>>;
    try {
      rows = await this.#driver.query(
        `SELECT owner, heartbeat, lease_ms, acquired_at, expires_at,
           expires_at + INTERVAL lease_ms * 1000 MICROSECOND < UTC_TIMESTAMP(6) AS stale
         FROM ${T} WHERE name = ?`,
        [this.name],
      );
    } catch (error) {
      if ((error as { errno?: unknown })?.errno === NO_SUCH_TABLE) return undefined;
      throw error;
    }
    const row = rows[0];
    if (!row) return undefined;
    return {
      owner: String(row.owner),
      heartbeat: Number(row.heartbeat),
      leaseMs: Number(row.lease_ms),
      acquiredAt: String(row.acquired_at),
      expiresAt: String(row.expires_at),
      stale: Number(row.stale) === 1,
    };
  }

  /**
   * Takes over a lapsed lease: only if it is still exactly the one judged
   * lapsed (same owner, same heartbeat), so of two runners taking it over at
   * once, and against a holder whose heartbeat arrives at the same moment,
   * one write wins. True when this runner now holds it.
   */
  async takeOver(owner: string, leaseMs: number, from: { owner: string; heartbeat: number }): Promise<boolean> {
    const result = await this.#driver.execute(
      `UPDATE ${T} SET owner = ?, heartbeat = 0, lease_ms = ?, acquired_at = UTC_TIMESTAMP(6), expires_at = ${EXPIRES}
       WHERE name = ? AND owner = ? AND heartbeat = ?`,
      [owner, leaseMs, leaseMs * 1000, this.name, from.owner, from.heartbeat],
    );
    return result.rowsAffected === 1;
  }

  /** The heartbeat: pushes the expiry one lease ahead. False when the row is no longer this owner's. */
  async renew(owner: string, leaseMs: number): Promise<boolean> {
    const result = await this.#driver.execute(
      `UPDATE ${T} SET heartbeat = heartbeat + 1, lease_ms = ?, expires_at = ${EXPIRES} WHERE name = ? AND owner = ?`,
      [leaseMs, leaseMs * 1000, this.name, owner],
    );
    return result.rowsAffected === 1;
  }

  /** Gives the lease back, if it is still this owner's. */
  async remove(owner: string): Promise<void> {
    await this.#driver.execute(`DELETE FROM ${T} WHERE name = ? AND owner = ?`, [this.name, owner]);
  }

  /** The statement a person runs to free a lease whose holder is stuck (for `idem doctor`). */
  removeStatement(owner: string): string {
    const literal = (text: string) => `'${text.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
    return `DELETE FROM ${T} WHERE name = ${literal(this.name)} AND owner = ${literal(owner)}`;
  }
}
