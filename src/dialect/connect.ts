/**
 * Opens a session for a connection URL: the one place that knows every
 * engine. Each dialect is loaded when its URL is used, so a run pays only for
 * the engine it talks to (start-up is most of a run with nothing to do).
 */
import type { ConnectionTarget } from './connection-url.ts';
import type { DialectSession, SessionOptions } from './dialect.ts';

export async function openSession(target: ConnectionTarget, idemTables: readonly string[], options: SessionOptions = {}): Promise<DialectSession> {
  if (target.dialect === 'sqlite') {
    const { openSqliteSession } = await import('./sqlite/sqlite-session.ts');
    return openSqliteSession(target.path, idemTables);
  }
  if (target.variant === 'postgres') {
    const { openPostgresSession } = await import('./postgres/postgres-session.ts');
    return openPostgresSession(target, idemTables);
  }
  const { openMysqlSession } = await import('./mysql/mysql-session.ts');
  return openMysqlSession({ url: target.url, variant: target.variant }, idemTables, options);
}
