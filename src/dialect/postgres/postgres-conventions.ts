/**
 * What PostgreSQL's catalog reports for idem's DDL where PostgreSQL picks:
 * the primary key's constraint and index are named `<table>_pkey`, the table
 * name cut so the whole fits in NAMEDATALEN - 1 bytes, with a number added
 * when that name is taken (ChooseRelationName in src/backend/commands/indexcmds.c).
 * A taken name is left to a catalog read. Renaming a table keeps its index
 * names. UNIQUE constraints are constraints; a unique index is an index.
 * https://www.postgresql.org/docs/current/sql-createtable.html
 */
import type { TablesByName } from '../../catalog/snapshot.ts';
import type { CatalogConventions } from '../dialect.ts';

const MAX_NAME_BYTES = 63;
const PKEY = '_pkey';

export const postgresConventions: CatalogConventions = {
  createdTable(declared, schema) {
    if (declared.primaryKey.length === 0) return declared;
    const name = `${clipBytes(declared.name, MAX_NAME_BYTES - PKEY.length)}${PKEY}`;
    if (relationNameTaken(name, schema)) return undefined;
    return { ...declared, indexes: [{ name, columns: declared.primaryKey, unique: true, origin: 'primaryKey' }, ...declared.indexes] };
  },
  uniqueConstraintOrigin: 'unique',
  uniqueIndexOrigin: 'index',
  predictable(op) {
    // ADD COLUMN … PRIMARY KEY names its index as CREATE TABLE would; rare enough to read.
    return !(op.kind === 'addColumn' && op.spec.primaryKey === true);
  },
};

/** Tables and indexes share one namespace of relations in a schema. */
function relationNameTaken(name: string, schema: TablesByName): boolean {
  if (schema.relationNamed) return schema.relationNamed(name);
  for (const table of schema.values()) {
    if (table.name === name || table.indexes.some((i) => i.name === name)) return true;
  }
  return false;
}

/** The longest prefix of `text` within `bytes` UTF-8 bytes that does not split a character. */
function clipBytes(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let out = '';
  let used = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch);
    if (used + size > bytes) break;
    out += ch;
    used += size;
  }
  return out;
}
