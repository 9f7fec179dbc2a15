/**
 * `schema`: the live schema as a normalized, stable description (idem's own
 * tables excluded) and a sha256 fingerprint of its canonical JSON. Two
 * databases built by the same migrations on the same engine have the same
 * fingerprint; any change of a column, key, index or foreign key changes it.
 *
 * Stable by construction: tables, columns, indexes, unique keys and foreign
 * keys are sorted by name (columns by name too: the fingerprint is about
 * shape, not the order ALTER TABLE happened to append them), defaults go
 * through the dialect's normalisation, keys go by their constraint name (not
 * the engine's name for the index behind it), and the index behind the
 * primary key is left out (the primary key is listed on its own). Read-only:
 * a SQLite file that does not exist reads as empty.
 */
import { createHash } from 'node:crypto';
import type { CatalogForeignKey, CatalogTable } from '../catalog/snapshot.ts';
import type { TypeMapper } from '../dialect/dialect.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import { withDatabase } from './project.ts';

export interface SchemaColumn {
  name: string;
  /** The engine's own spelling, lower-cased: `varchar(255)`. */
  type: string;
  nullable: boolean;
  default: string | null;
  autoIncrement: boolean;
}

export interface SchemaKey {
  name: string;
  columns: string[];
}

export interface SchemaIndex extends SchemaKey {
  unique: boolean;
}

/** A foreign key is described exactly as the catalog reads it. */
export type SchemaForeignKey = CatalogForeignKey;

export interface SchemaTable {
  name: string;
  columns: SchemaColumn[];
  primaryKey: string[];
  uniqueKeys: SchemaKey[];
  indexes: SchemaIndex[];
  foreignKeys: SchemaForeignKey[];
}

export interface SchemaDescription {
  dialect: 'sqlite' | 'postgres' | 'mysql';
  tables: SchemaTable[];
}

export interface SchemaResult extends SchemaDescription {
  /** sha256 (hex) of the canonical JSON of `{ dialect, tables }`. */
  fingerprint: string;
}

export async function schema(options: IdemOptions = {}): Promise<SchemaResult> {
  const config = await resolveConfig(options);
  return withDatabase(config, async ({ session }) => {
    const { tables } = await session.catalog.readAll();
    return describeSchema(session.dialect, [...tables.values()], session.types);
  }, { create: false });
}

/** Pure: the normalized description and its fingerprint, whatever order the catalog listed things in. */
export function describeSchema(dialect: SchemaDescription['dialect'], tables: CatalogTable[], types: TypeMapper): SchemaResult {
  const description: SchemaDescription = {
    dialect,
    tables: [...tables].sort((a, b) => compare(a.name, b.name)).map((t) => normalizeTable(t, types)),
  };
  const fingerprint = createHash('sha256').update(JSON.stringify(description)).digest('hex');
  return { ...description, fingerprint };
}

function normalizeTable(t: CatalogTable, types: TypeMapper): SchemaTable {
  const byName = <T extends { name: string | null }>(list: T[]): T[] =>
    [...list].sort((a, b) => compare(a.name ?? '', b.name ?? '') || compare(JSON.stringify(a), JSON.stringify(b)));
  return {
    name: t.name,
    columns: byName(t.columns.map((c) => ({
      name: c.name, type: c.type.raw, nullable: c.nullable, default: types.normalizeDefault(c.default), autoIncrement: c.autoIncrement,
    }))),
    primaryKey: [...t.primaryKey],
    uniqueKeys: byName(t.indexes.filter((i) => i.origin === 'unique').map((i) => ({ name: i.name, columns: [...i.columns] }))),
    indexes: byName(t.indexes.filter((i) => i.origin === 'index').map((i) => ({ name: i.name, columns: [...i.columns], unique: i.unique }))),
    foreignKeys: byName(t.foreignKeys.map((f) => ({
      name: f.name, columns: [...f.columns], refTable: f.refTable, refColumns: [...f.refColumns], onDelete: f.onDelete, onUpdate: f.onUpdate,
    }))),
  };
}

/** Code-point order: the same on every machine, whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
