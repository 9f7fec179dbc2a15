/**
 * The reads a migration makes through `m` (`m.query`, `m.summary`), the same
 * when running and when planning.
 */
import type { CatalogTable } from '../catalog/snapshot.ts';
import type { DialectSession } from '../dialect/dialect.ts';
import { IdemError } from '../errors.ts';
import type { TableSummary } from '../plan/migration-context.ts';

/** `m.query`: `?` placeholders bound; a failure names the migration and the SQL. */
export async function migrationQuery(session: DialectSession, sql: string, params: unknown[], revision: string): Promise<Record<string, unknown>[]> {
  try {
    return await session.driver.query(session.bindPlaceholders(sql), params);
  } catch (error) {
    throw new IdemError('OPERATION_FAILED', 'm.query failed', { sql, cause: error, revision, hint: 'fix the query in the migration' });
  }
}

export async function countRows(session: DialectSession, table: string): Promise<number> {
  const [row] = await session.driver.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM ${session.quoteIdentifier(table)}`);
  return Number(row?.n ?? 0);
}

export function tableSummary(name: string, table: CatalogTable | undefined, rows: number): TableSummary {
  return {
    table: name,
    exists: table !== undefined,
    columns: (table?.columns ?? []).map((c) => ({ name: c.name, type: c.type.raw, nullable: c.nullable })),
    indexes: (table?.indexes ?? []).map((i) => ({ name: i.name, columns: i.columns, unique: i.unique })),
    rows,
  };
}
