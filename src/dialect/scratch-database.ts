/**
 * A database idem creates for itself and removes afterwards (`idem verify`
 * proves migrations on one, never on the user's): a temporary SQLite file,
 * or a database `idem_verify_<random>` created on a PostgreSQL or MySQL/
 * MariaDB server. Like connect.ts, each engine's helper is loaded only when
 * its URL is used.
 */
import { randomBytes } from 'node:crypto';
import { maskUrl, type ConnectionTarget } from './connection-url.ts';
import type { DialectName } from './dialect.ts';

export interface ScratchDatabase {
  readonly dialect: DialectName;
  /** Where to connect: `sqlite:<temp file>` or the server URL with the scratch database in its path. */
  readonly url: string;
  /** The temp file's path, or the database's name. */
  readonly name: string;
  /** The server it lives on (scheme, user, host and port; password masked); absent for a SQLite file. */
  readonly server?: string;
  /** Drops it and creates it again empty (close every session on it first). */
  reset(): Promise<void>;
  /** Removes it; safe to call when it is already gone. */
  drop(): Promise<void>;
}

/** `server` undefined: a temporary SQLite file. */
export async function createScratchDatabase(server: ConnectionTarget | undefined): Promise<ScratchDatabase> {
  if (server === undefined || server.dialect === 'sqlite') {
    const { createSqliteScratchFile } = await import('./sqlite/sqlite-scratch.ts');
    const file = await createSqliteScratchFile();
    return { dialect: 'sqlite', url: `sqlite:${file.path}`, name: file.path, reset: file.reset, drop: file.remove };
  }
  // Lower case: PostgreSQL folds unquoted names, and MySQL on some systems keeps databases as lower-case folders.
  const name = `idem_verify_${randomBytes(6).toString('hex')}`;
  if (server.variant === 'postgres') {
    const { createPostgresDatabase, dropPostgresDatabase, postgresScratchUrl } = await import('./postgres/postgres-scratch.ts');
    return serverScratch('postgres', server.url, name, postgresScratchUrl(server.url, name), createPostgresDatabase, dropPostgresDatabase);
  }
  const { createMysqlDatabase, dropMysqlDatabase, mysqlScratchUrl } = await import('./mysql/mysql-scratch.ts');
  return serverScratch('mysql', server.url, name, mysqlScratchUrl(server.url, name), createMysqlDatabase, dropMysqlDatabase);
}

async function serverScratch(
  dialect: DialectName, serverUrl: string, name: string, url: string,
  create: (serverUrl: string, name: string) => Promise<void>, drop: (serverUrl: string, name: string) => Promise<void>,
): Promise<ScratchDatabase> {
  await create(serverUrl, name);
  return {
    dialect, url, name, server: serverLabel(serverUrl),
    async reset() {
      await drop(serverUrl, name);
      await create(serverUrl, name);
    },
    drop: () => drop(serverUrl, name),
  };
}

/** The server alone: the database a URL names is not where the scratch database lives. */
function serverLabel(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.pathname = '';
  url.search = '';
  return maskUrl(url.toString());
}
