/** Opens a session for a connection URL: the one place that knows every engine. */
import type { ConnectionTarget } from './connection-url.ts';
import type { DialectSession } from './dialect.ts';
import { openMysqlSession } from './mysql/mysql-session.ts';
import { openPostgresSession } from './postgres/postgres-session.ts';
import { openSqliteSession } from './sqlite/sqlite-session.ts';

export async function openSession(target: ConnectionTarget, idemTables: string[]): Promise<DialectSession> {
  if (target.dialect === 'sqlite') return openSqliteSession(target.path, idemTables);
  if (target.variant === 'postgres') return openPostgresSession(target, idemTables);
  return openMysqlSession({ url: target.url, variant: target.variant }, idemTables);
}
