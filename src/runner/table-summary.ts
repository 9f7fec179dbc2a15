/** `m.summary(table)`: the seed's migration_summary, built the same way when running and when planning. */
import type { CatalogTable } from '../catalog/snapshot.ts';
import type { DialectSession } from '../dialect/dialect.ts';
import type { TableSummary } from '../plan/migration-context.ts';

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
