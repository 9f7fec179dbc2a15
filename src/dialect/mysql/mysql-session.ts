/**
 * A MySQL or MariaDB session: one mysql2 connection with idem's catalog,
 * DDL, types, lock and transactions around it. The server decides the
 * flavor (`SELECT VERSION()` says MariaDB or not), whatever the URL scheme.
 *
 * On a Galera cluster (wsrep_on, read when connecting) the session reads
 * causally, takes a lease row for its run lock instead of GET_LOCK, and
 * retries migrations that lost a race the cluster settled (mysql-galera.ts).
 */
import type { DialectSession, MissingObject, SessionOptions } from '../dialect.ts';
import { MysqlCatalogReader } from './mysql-catalog.ts';
import { MysqlDdlCompiler } from './mysql-ddl.ts';
import { MysqlDriver } from './mysql-driver.ts';
import { enableCausalReads, galeraSettings, galeraWarnings, type GaleraSettings } from './mysql-galera.ts';
import { isGaleraRaceError, raceRetryingCatalog, retryLoneReads } from './mysql-galera-races.ts';
import { MysqlLeaseLock } from './mysql-lease-lock.ts';
import { LEASE_TABLE } from './mysql-lease-table.ts';
import { MysqlRunLock, MysqlTransactions } from './mysql-lock.ts';
import { quoteMysqlIdentifier } from './mysql-quote.ts';
import { MysqlTypeMapper } from './mysql-types.ts';
import { mysqlConventions } from './mysql-conventions.ts';
import { countMysqlPlaceholders } from './mysql-placeholders.ts';

export interface MysqlSession extends DialectSession {
  readonly driver: MysqlDriver;
  readonly lock: MysqlRunLock | MysqlLeaseLock;
  /** The cluster's settings when the server is a Galera node; undefined otherwise. */
  readonly galera: GaleraSettings | undefined;
}

/**
 * Errors that mean "something else created it first": table (1050), column
 * (1060), key name (1061), duplicate key on write (1022), foreign key name
 * (1826 on MySQL; MariaDB reports 1005 "Can't create table … errno: 121").
 * https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html
 */
const ALREADY_EXISTS = new Set([1050, 1060, 1061, 1022, 1826]);

export function isMysqlAlreadyExistsError(error: unknown): boolean {
  const errno = (error as { errno?: unknown })?.errno;
  if (typeof errno !== 'number') return false;
  if (ALREADY_EXISTS.has(errno)) return true;
  return errno === 1005 && /errno: 121\b/.test(String((error as Error).message ?? ''));
}

/**
 * A table that does not exist (1146, `Table 'db.legacy' doesn't exist`) or a
 * column (1054, `Unknown column 'u.old_name' in 'field list'`).
 */
export function mysqlMissingObject(error: unknown): MissingObject | undefined {
  const e = error as { errno?: unknown; message?: unknown } | null;
  const message = String(e?.message ?? '');
  const quoted = /'([^']+)'/.exec(message)?.[1];
  if (quoted === undefined) return undefined;
  const name = quoted.split('.').pop()!;
  if (e?.errno === 1146) return { kind: 'table', name };
  if (e?.errno === 1054) return { kind: 'column', name };
  return undefined;
}

export async function openMysqlSession(
  target: { url: string; variant: 'mysql' | 'mariadb' }, idemTables: readonly string[], options: SessionOptions = {},
): Promise<MysqlSession> {
  const driver = await MysqlDriver.connect(target.url);
  const { flavor, database } = driver.server;
  const types = new MysqlTypeMapper(flavor);
  const galera = galeraSettings(driver.server.variables);
  let lock: MysqlRunLock | MysqlLeaseLock;
  try {
    lock = galera ? await openGalera(driver, galera, target.url, options) : new MysqlRunLock(driver, database);
  } catch (error) {
    await driver.close();
    throw error;
  }
  let baseline = true;
  const transactions = new MysqlTransactions(driver);
  // The lease table is idem's on every MySQL-family database, like the version table.
  const catalog = new MysqlCatalogReader(driver, types, { database, flavor, excludeTables: [...idemTables, LEASE_TABLE] });
  const retryRead = retryLoneReads(transactions);
  return {
    dialect: 'mysql',
    capabilities: { transactionalDdl: false, optionalTransactions: false, maxIdentifierLength: 64 },
    driver,
    types,
    conventions: mysqlConventions,
    galera,
    catalog: galera ? raceRetryingCatalog(catalog, retryRead) : catalog,
    ddl: new MysqlDdlCompiler(types),
    lock,
    transactions,
    quoteIdentifier: quoteMysqlIdentifier,
    bindPlaceholders: (sql) => sql, // `?` is mysql2's placeholder too
    countPlaceholders: countMysqlPlaceholders,
    isAlreadyExistsError: isMysqlAlreadyExistsError,
    missingObject: mysqlMissingObject,
    ...(galera ? { isRaceError: isGaleraRaceError, retryRead } : {}),
    /*
     * GET_LOCK is held from the first migration to the last: no other runner
     * writes in between. A lease is renewed before each migration instead;
     * one lost meanwhile (its heartbeat stalled longer than the lease) is
     * waited for again, and then another runner may have migrated. The first
     * call is the baseline and answers false, as the interface says.
     */
    async changedByOthers() {
      if (!(lock instanceof MysqlLeaseLock)) return false;
      if (baseline) {
        baseline = false;
        return false;
      }
      return lock.confirm();
    },
    // Foreign keys are checked statement by statement; nothing is deferred to the end.
    async verifyMigration() {},
    async close() {
      await lock.release().catch(() => undefined);
      await driver.close();
    },
  };
}

/**
 * A Galera node: causal reads on this session, the settings that make a run
 * unsafe reported, and the run lock as a lease on a connection of its own
 * (with causal reads too).
 */
async function openGalera(driver: MysqlDriver, galera: GaleraSettings, url: string, options: SessionOptions): Promise<MysqlLeaseLock> {
  await enableCausalReads(driver, galera);
  for (const warning of galeraWarnings(galera)) options.warn?.(warning);
  return new MysqlLeaseLock({
    driver,
    leaseMs: options.lockLeaseMs,
    warn: options.warn,
    async connect() {
      const connection = await MysqlDriver.connect(url);
      try {
        await enableCausalReads(connection, galeraSettings(connection.server.variables) ?? galera);
        return connection;
      } catch (error) {
        await connection.close();
        throw error;
      }
    },
  });
}
