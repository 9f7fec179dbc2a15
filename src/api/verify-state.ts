/**
 * The state `idem verify` compares between steps: the normalized schema (as
 * `idem schema` describes it) and, per table, the row count and a checksum of
 * its rows. idem's own tables are left out, as the catalog reader leaves them out.
 *
 * The checksum does not depend on row order (each row is serialized with its
 * columns sorted, the rows sorted), and it leaves out the values of
 * auto-increment columns: a down that deletes seeded rows and an up that
 * inserts them again number them anew, and that numbering is the engine's,
 * not the migration's. A row added, removed or changed in any other column
 * changes it.
 */
import { createHash } from 'node:crypto';
import type { TableData } from '../catalog/schema-diff.ts';
import type { DialectSession } from '../dialect/dialect.ts';
import { describeSchema, type SchemaResult } from './schema.ts';

export interface DatabaseState {
  schema: SchemaResult;
  data: TableData[];
}

export async function readState(session: DialectSession): Promise<DatabaseState> {
  const { tables } = await session.catalog.readAll();
  const schema = describeSchema(session.dialect, [...tables.values()], session.types);
  const data: TableData[] = [];
  for (const table of schema.tables) {
    const generated = new Set(table.columns.filter((c) => c.autoIncrement).map((c) => c.name));
    const rows = await session.driver.query(`SELECT * FROM ${session.quoteIdentifier(table.name)}`);
    const lines = rows.map((row) => canonicalRow(row, generated)).sort();
    data.push({ table: table.name, rows: rows.length, checksum: createHash('sha256').update(lines.join('\n')).digest('hex') });
  }
  return { schema, data };
}

/** One row as JSON text, columns in name order, auto-increment columns left out. */
export function canonicalRow(row: Record<string, unknown>, leaveOut: ReadonlySet<string> = new Set()): string {
  const entries = Object.keys(row).filter((k) => !leaveOut.has(k)).sort().map((k) => [k, canonicalValue(row[k])]);
  return JSON.stringify(entries);
}

/** Values as the drivers return them (Date, Buffer, bigint, parsed JSON), in a form JSON keeps exactly. */
function canonicalValue(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (typeof value === 'number') return Number.isFinite(value) ? value : { number: String(value) };
  if (value instanceof Date) return { date: Number.isNaN(value.getTime()) ? 'invalid' : value.toISOString() };
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value).toString('hex') };
  if (Array.isArray(value)) return value.map(canonicalValue);
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    return Object.fromEntries(Object.keys(record).sort().map((k) => [k, canonicalValue(record[k])]));
  }
  return value;
}
