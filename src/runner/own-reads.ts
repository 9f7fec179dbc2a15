/**
 * idem's own reads of its tables (the version table, the journal): run
 * again where the engine may abort a read for a reason that passes
 * (DialectSession.retryRead), once elsewhere.
 */
import type { DialectSession } from '../dialect/dialect.ts';

export function queryOwnTable<Row = Record<string, unknown>>(session: DialectSession, sql: string, params?: unknown[]): Promise<Row[]> {
  const read = () => session.driver.query<Row>(sql, params);
  return session.retryRead ? session.retryRead(read) : read();
}
