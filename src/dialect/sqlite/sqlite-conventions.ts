/**
 * What SQLite's catalog reports for idem's DDL where SQLite picks. A single
 * INTEGER primary key is the rowid alias: no index, never NULL, assigns
 * itself. Any other primary key gets the index `sqlite_autoindex_<table>_1`
 * (idem's CREATE TABLE holds no other inline key), renamed with its table
 * (`sqlite_autoindex_<new name>_1`). idem makes unique keys
 * with CREATE UNIQUE INDEX, which the catalog reports as indexes.
 * https://www.sqlite.org/lang_createtable.html#rowid
 */
import type { CatalogTable } from '../../catalog/snapshot.ts';
import type { CatalogConventions } from '../dialect.ts';
import { sqliteRebuilds } from './sqlite-ddl.ts';

export const sqliteConventions: CatalogConventions = {
  // SQLite resolves column names without regard to ASCII case, as the catalog reader marks every table.
  createdTable: (declared) => ({ ...createdTable(declared), columnNamesFoldCase: true }),
  renamedTable(table, from) {
    const old = `sqlite_autoindex_${from}_`;
    const renamed = (name: string): string => (name.startsWith(old) ? `sqlite_autoindex_${table.name}_${name.slice(old.length)}` : name);
    return {
      ...table,
      indexes: table.indexes.map((i) => (i.engineName === undefined ? i : { ...i, name: renamed(i.name), engineName: renamed(i.engineName) })),
    };
  },
  uniqueConstraintOrigin: 'index',
  uniqueIndexOrigin: 'index',
  // A rebuild recreates the table from edited CREATE TABLE text and renumbers its autoindexes: read it again.
  predictable: (op, table) => !sqliteRebuilds(op, table),
};

function createdTable(declared: CatalogTable): CatalogTable {
  if (declared.primaryKey.length === 0) return declared;
  const [only] = declared.primaryKey;
  const column = declared.primaryKey.length === 1 ? declared.columns.find((c) => c.name === only) : undefined;
  if (column?.type.raw === 'integer') {
    return { ...declared, columns: declared.columns.map((c) => (c === column ? { ...c, autoIncrement: true, nullable: false } : c)) };
  }
  const name = `sqlite_autoindex_${declared.name}_1`;
  return { ...declared, indexes: [{ name, columns: declared.primaryKey, unique: true, origin: 'primaryKey', engineName: name }, ...declared.indexes] };
}
