/** Opens a session for a connection URL: the one place that knows every engine. */
import { IdemError } from '../errors.ts';
import { maskUrl, type ConnectionTarget } from './connection-url.ts';
import type { DialectSession } from './dialect.ts';
import { openPostgresSession } from './postgres/postgres-session.ts';
import { openSqliteSession } from './sqlite/sqlite-session.ts';

export async function openSession(target: ConnectionTarget, idemTables: string[]): Promise<DialectSession> {
  if (target.dialect === 'sqlite') return openSqliteSession(target.path, idemTables);
  if (target.variant === 'postgres') return openPostgresSession(target, idemTables);
  throw new IdemError('CONFIG', `${target.variant} is not supported by this version of idem yet (${maskUrl(target.url)})`, {
    hint: 'this release migrates SQLite databases; PostgreSQL and MySQL/MariaDB support is under way',
  });
}
