/**
 * Finding indexes, unique keys and foreign keys by name, else by shape.
 * ORMs and init scripts name them their own way (`users_email_key`,
 * `t_ibfk_1`, SQLite's unnamed keys); one with the same table and columns
 * (and referenced table and columns) is the same structure: present, never
 * duplicated, and found again when a migration drops it by our name.
 */
import type { CatalogForeignKey, CatalogIndex, CatalogTable } from './snapshot.ts';
import { sameColumns, sameColumnSet } from './snapshot.ts';

export function indexByName(table: CatalogTable, name: string): CatalogIndex | undefined {
  return table.indexes.find((i) => i.name === name || i.engineName === name);
}

/** A plain index with these columns in this order (a unique one also serves lookups). */
export function indexByShape(table: CatalogTable, columns: readonly string[]): CatalogIndex | undefined {
  const candidates = table.indexes.filter((i) => !i.partial && sameColumns(i.columns, columns));
  return candidates.find((i) => i.origin === 'index') ?? candidates[0];
}

/** A unique key on exactly this column set: a unique constraint, a unique index, or the primary key. */
export function uniqueByShape(table: CatalogTable, columns: readonly string[]): CatalogIndex | undefined {
  const candidates = table.indexes.filter((i) => i.unique && !i.partial && sameColumnSet(i.columns, columns));
  return candidates.find((i) => i.origin !== 'primaryKey') ?? candidates[0];
}

export function foreignKeyByName(table: CatalogTable, name: string): CatalogForeignKey | undefined {
  return table.foreignKeys.find((f) => f.name === name);
}

export function foreignKeyByShape(table: CatalogTable, columns: readonly string[], refTable: string, refColumns: readonly string[]): CatalogForeignKey | undefined {
  return table.foreignKeys.find((f) => sameColumns(f.columns, columns) && f.refTable === refTable && sameColumns(f.refColumns, refColumns));
}
