/**
 * A SQLite session: node:sqlite's connection with idem's catalog, DDL, types,
 * lock and transactions around it.
 */
import { IdemError } from '../../errors.ts';
import type { DialectSession, MissingObject } from '../dialect.ts';
import { SqliteCatalogReader } from './sqlite-catalog.ts';
import { SqliteDdlCompiler } from './sqlite-ddl.ts';
import { openSqlite, type SqliteDriver } from './sqlite-driver.ts';
import { SqliteRunLock, SqliteTransactions } from './sqlite-lock.ts';
import { quoteSqliteIdentifier } from './sqlite-quote.ts';
import { SqliteTypeMapper } from './sqlite-types.ts';
import { sqliteConventions } from './sqlite-conventions.ts';
import { countSqlitePlaceholders } from './sqlite-placeholders.ts';

/** Statements wait this long on another connection's lock before failing. */
const BUSY_TIMEOUT_MS = 5_000;

export interface SqliteSession extends DialectSession {
  readonly driver: SqliteDriver;
}

export async function openSqliteSession(path: string, idemTables: readonly string[]): Promise<SqliteSession> {
  let driver: SqliteDriver;
  try {
    driver = openSqlite(path, BUSY_TIMEOUT_MS);
  } catch (error) {
    throw new IdemError('CONNECTION', `cannot open the SQLite database ${path}: ${(error as Error).message}`, {
      cause: error, hint: 'check that the directory exists and is writable, and that the file is a SQLite database',
    });
  }
  // Table rebuilds drop and recreate tables that others reference; enforcement
  // cannot be switched inside a transaction, so it is off for idem's own
  // connection and `verifyMigration` checks every key before each commit.
  // https://www.sqlite.org/lang_altertable.html#otheralter
  await driver.exec('PRAGMA foreign_keys = OFF');
  const types = new SqliteTypeMapper();
  const lock = new SqliteRunLock(driver, BUSY_TIMEOUT_MS);
  let dataVersion: number | undefined;
  return {
    dialect: 'sqlite',
    capabilities: { transactionalDdl: true, optionalTransactions: false, maxIdentifierLength: 1024 },
    driver,
    types,
    conventions: sqliteConventions,
    catalog: new SqliteCatalogReader(driver, types, idemTables),
    ddl: new SqliteDdlCompiler(types),
    lock,
    transactions: new SqliteTransactions(driver, lock),
    quoteIdentifier: quoteSqliteIdentifier,
    bindPlaceholders: (sql) => sql, // SQLite's own placeholder is `?`
    countPlaceholders: countSqlitePlaceholders,
    isAlreadyExistsError: (error) => /already exists|duplicate column name/i.test(String((error as Error)?.message ?? '')),
    missingObject: sqliteMissingObject,
    async changedByOthers() {
      // data_version moves only when another connection commits: https://www.sqlite.org/pragma.html#pragma_data_version
      const [row] = await driver.query<{ data_version: number }>('PRAGMA data_version');
      const changed = dataVersion !== undefined && row?.data_version !== dataVersion;
      dataVersion = row?.data_version;
      return changed;
    },
    async verifyMigration() {
      const violations = await driver.query<{ table: string; parent: string }>('PRAGMA foreign_key_check');
      if (violations.length > 0) {
        const first = violations[0]!;
        throw new IdemError('OPERATION_FAILED', `${violations.length} row(s) violate foreign keys (first: ${first.table} -> ${first.parent})`, {
          sql: 'PRAGMA foreign_key_check',
          hint: 'the migration left rows whose referenced row does not exist; fix the data change, then re-run',
        });
      }
    },
    async close() {
      await lock.release().catch(() => undefined);
      await driver.close();
    },
  };
}

/** `no such table: main.legacy`, `no such column: u.old_name`: SQLite names what it could not resolve. */
export function sqliteMissingObject(error: unknown): MissingObject | undefined {
  const found = /no such (table|column): (\S+)/.exec(String((error as Error)?.message ?? ''));
  return found ? { kind: found[1] as MissingObject['kind'], name: found[2]!.split('.').pop()! } : undefined;
}
