/**
 * Scratch databases for `idem verify` on a PostgreSQL server: created and
 * dropped over a short connection of their own, never over the session that
 * migrates (a database cannot be dropped while anyone is connected to it).
 * https://www.postgresql.org/docs/current/sql-createdatabase.html
 */
import { IdemError } from '../../errors.ts';
import { maskUrl } from '../connection-url.ts';
import { PostgresDriver } from './postgres-driver.ts';
import { quotePostgresIdentifier } from './postgres-quote.ts';
import { splitIdemParameters } from './postgres-session.ts';

/** SQLSTATE 42501 insufficient_privilege: the role lacks CREATEDB (or is not the owner, to drop). */
const INSUFFICIENT_PRIVILEGE = '42501';

/**
 * The URL of database `name` on the server `serverUrl` names. idem's
 * `?schema=` parameter is left out: a new database has only `public`;
 * `?pooler=` stays, the scratch database is reached the same way.
 */
export function postgresScratchUrl(serverUrl: string, name: string): string {
  const { connectionString, pooler } = splitIdemParameters(serverUrl);
  const url = new URL(connectionString);
  url.pathname = `/${encodeURIComponent(name)}`;
  if (pooler !== undefined) url.searchParams.set('pooler', pooler);
  return url.toString();
}

export async function createPostgresDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, async (driver) => {
    try {
      await driver.execute(`CREATE DATABASE ${quotePostgresIdentifier(name)}`);
    } catch (error) {
      throw scratchError('create', name, serverUrl, error);
    }
  });
}

export async function dropPostgresDatabase(serverUrl: string, name: string): Promise<void> {
  await withAdmin(serverUrl, async (driver) => {
    // WITH (FORCE) (PostgreSQL 13+) ends sessions a killed run may have left connected.
    const [row] = await driver.query<{ version: string }>("SELECT current_setting('server_version_num') AS version");
    const force = Number(row?.version) >= 130000 ? ' WITH (FORCE)' : '';
    try {
      await driver.execute(`DROP DATABASE IF EXISTS ${quotePostgresIdentifier(name)}${force}`);
    } catch (error) {
      throw scratchError('drop', name, serverUrl, error);
    }
  });
}

/**
 * A connection to the server for CREATE/DROP DATABASE: to the database the
 * URL names, or to the `postgres` maintenance database when it names none
 * (libpq would otherwise pick a database named after the user, which seldom exists).
 */
async function withAdmin(serverUrl: string, work: (driver: PostgresDriver) => Promise<void>): Promise<void> {
  const url = new URL(splitIdemParameters(serverUrl).connectionString);
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/postgres';
  const driver = await PostgresDriver.connect({ connectionString: url.toString(), label: maskUrl(serverUrl), applicationName: 'idem verify' });
  try {
    await work(driver);
  } finally {
    await driver.close();
  }
}

function scratchError(action: 'create' | 'drop', name: string, serverUrl: string, error: unknown): IdemError {
  const code = (error as { code?: unknown })?.code;
  const reason = error instanceof Error ? error.message : String(error);
  const where = `${name} on ${maskUrl(serverUrl)}`;
  if (code === INSUFFICIENT_PRIVILEGE) {
    return new IdemError('CONFIG', `idem verify cannot ${action} its temporary database ${where}: ${reason}`, {
      cause: error,
      hint: action === 'create'
        ? 'give the user the right to create databases (ALTER ROLE <user> CREATEDB), or point `idem verify --scratch <url>` (or IDEM_VERIFY_URL) at a server where it may'
        : `drop it as a user who may: DROP DATABASE ${quotePostgresIdentifier(name)}`,
    });
  }
  return new IdemError('CONFIG', `idem verify cannot ${action} its temporary database ${where}: ${reason}`, {
    cause: error,
    hint: action === 'create'
      ? 'check that the server accepts CREATE DATABASE from this user, or point `idem verify --scratch <url>` (or IDEM_VERIFY_URL) at another server'
      : `drop it by hand: DROP DATABASE ${quotePostgresIdentifier(name)}`,
  });
}
