/**
 * Scratch databases for `idem verify` on a MySQL or MariaDB server: created
 * and dropped over a short connection of their own.
 * https://mariadb.com/kb/en/create-database/
 */
import { IdemError } from '../../errors.ts';
import { maskUrl } from '../connection-url.ts';
import { MysqlDriver } from './mysql-driver.ts';
import { quoteMysqlIdentifier } from './mysql-quote.ts';

/**
 * 1044 ER_DBACCESS_DENIED_ERROR (no CREATE/DROP on that database), 1227
 * ER_SPECIFIC_ACCESS_DENIED_ERROR, 1142 ER_TABLEACCESS_DENIED_ERROR.
 * https://mariadb.com/kb/en/mariadb-error-code-reference/
 */
const ACCESS_DENIED = new Set([1044, 1142, 1227]);

/** The URL of database `name` on the server `serverUrl` names, its other parameters (ssl, socket) kept. */
export function mysqlScratchUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}

export async function createMysqlDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, async (driver) => {
    try {
      await driver.execute(`CREATE DATABASE ${quoteMysqlIdentifier(name)}`);
    } catch (error) {
      throw scratchError('create', name, serverUrl, error);
    }
  });
}

export async function dropMysqlDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, async (driver) => {
    try {
      await driver.execute(`DROP DATABASE IF EXISTS ${quoteMysqlIdentifier(name)}`);
    } catch (error) {
      throw scratchError('drop', name, serverUrl, error);
    }
  });
}

/**
 * A connection for CREATE/DROP DATABASE. The driver wants a database to
 * connect to; when the URL names none, information_schema, which every user
 * may use.
 */
async function withAdmin(serverUrl: string, work: (driver: MysqlDriver) => Promise<void>): Promise<void> {
  const url = new URL(serverUrl);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/information_schema';
  const driver = await MysqlDriver.connect(url.toString());
  try {
    await work(driver);
  } finally {
    await driver.close();
  }
}

function scratchError(action: 'create' | 'drop', name: string, serverUrl: string, error: unknown): IdemError {
  const errno = (error as { errno?: unknown })?.errno;
  const reason = error instanceof Error ? error.message : String(error);
  const message = `idem verify cannot ${action} its temporary database ${name} on ${maskUrl(serverUrl)}: ${reason}`;
  const denied = typeof errno === 'number' && ACCESS_DENIED.has(errno);
  const hint = action === 'drop'
    ? `drop it ${denied ? 'as a user who may' : 'by hand'}: DROP DATABASE ${quoteMysqlIdentifier(name)}`
    : denied
      ? 'let the user create databases (GRANT ALL ON `idem\\_verify\\_%`.* TO …), or point `idem verify --scratch <url>` (or IDEM_VERIFY_URL) at a server where it may'
      : 'check that the server accepts CREATE DATABASE from this user, or point `idem verify --scratch <url>` (or IDEM_VERIFY_URL) at another server';
  return new IdemError('CONFIG', message, { cause: error, hint });
}
