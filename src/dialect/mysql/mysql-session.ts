/**
 * A MySQL or MariaDB session: one mysql2 connection with idem's catalog,
 * DDL, types, lock and transactions around it. The server decides the
 * flavor (`SELECT VERSION()` says MariaDB or not), whatever the URL scheme.
 */
import type { DialectSession } from '../dialect.ts';
import { MysqlCatalogReader } from './mysql-catalog.ts';
import { MysqlDdlCompiler } from './mysql-ddl.ts';
import { MysqlDriver } from './mysql-driver.ts';
import { MysqlRunLock, MysqlTransactions } from './mysql-lock.ts';
import { quoteMysqlIdentifier } from './mysql-quote.ts';
import { MysqlTypeMapper } from './mysql-types.ts';

export interface MysqlSession extends DialectSession {
  readonly driver: MysqlDriver;
  readonly lock: MysqlRunLock;
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

export async function openMysqlSession(target: { url: string; variant: 'mysql' | 'mariadb' }, idemTables: string[]): Promise<MysqlSession> {
  const driver = await MysqlDriver.connect(target.url);
  const { flavor, database } = driver.server;
  const types = new MysqlTypeMapper(flavor);
  const lock = new MysqlRunLock(driver, database);
  return {
    dialect: 'mysql',
    capabilities: { transactionalDdl: false, optionalTransactions: false, maxIdentifierLength: 64 },
    driver,
    types,
    catalog: new MysqlCatalogReader(driver, types, { database, flavor, excludeTables: idemTables }),
    ddl: new MysqlDdlCompiler(types),
    lock,
    transactions: new MysqlTransactions(driver),
    quoteIdentifier: quoteMysqlIdentifier,
    bindPlaceholders: (sql) => sql, // `?` is mysql2's placeholder too
    isAlreadyExistsError: isMysqlAlreadyExistsError,
    // GET_LOCK is held from the first migration to the last: no other runner writes in between.
    async changedByOthers() {
      return false;
    },
    // Foreign keys are checked statement by statement; nothing is deferred to the end.
    async verifyMigration() {},
    async close() {
      await lock.release().catch(() => undefined);
      await driver.close();
    },
  };
}
