/**
 * What a PostgreSQL schema has, read from pg_catalog in one query for any
 * number of tables: one row per table, its columns, indexes and foreign keys
 * aggregated as JSON beside it.
 * https://www.postgresql.org/docs/current/catalogs.html
 *
 * pg_catalog rather than information_schema: the latter shows only objects
 * the current role has privileges on, has no indexes at all, and reports
 * identity columns and constraint-backed indexes in ways that need joins of
 * their own. The schema is the connection's `current_schema()` (the first
 * existing schema on search_path; `?schema=` in the URL sets it).
 */
import type { CatalogColumn, CatalogForeignKey, CatalogIndex, CatalogSnapshot, CatalogTable } from '../../catalog/snapshot.ts';
import type { ReferentialAction } from '../../plan/column-spec.ts';
import type { CatalogReader } from '../dialect.ts';
import type { PostgresDriver } from './postgres-driver.ts';
import type { PostgresTypeMapper } from './postgres-types.ts';

/**
 * Ordinary and partitioned tables (relkind r, p) of the current schema, not
 * partitions (their indexes and keys are clones of the parent's, managed
 * through it: https://www.postgresql.org/docs/current/ddl-partitioning.html),
 * not idem's own tables ($1), optionally only the named ones ($2). Names are
 * compared exactly: they are stored as created, and idem always quotes them.
 *
 * Columns: attnum > 0 skips system columns, attisdropped the slots dropped
 * columns leave. A generated column's expression sits in pg_attrdef like a
 * default, but is not one (attgenerated 's').
 * https://www.postgresql.org/docs/current/catalog-pg-attribute.html
 *
 * Indexes and foreign keys in the order they were made (oid order; an oid
 * wrap-around, after four billion objects, is the rare exception).
 *
 * Indexes: key columns are the first indnkeyatts of indkey (INCLUDE columns
 * follow); attnum 0 is an expression, printed by pg_get_indexdef. An index
 * backing a PRIMARY KEY, UNIQUE or EXCLUDE constraint has a pg_constraint row
 * whose conindid points at it (a foreign key's conindid points at the
 * *referenced* table's index, hence conrelid = the table).
 * https://www.postgresql.org/docs/current/catalog-pg-index.html
 * https://www.postgresql.org/docs/current/catalog-pg-constraint.html
 */
function catalogSql(only: boolean): string {
  return `SELECT c.relname AS name,
  (SELECT coalesce(json_agg(json_build_object(
      'name', a.attname,
      'type', format_type(a.atttypid, a.atttypmod),
      'notNull', a.attnotnull,
      'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END,
      'identity', a.attidentity
    ) ORDER BY a.attnum), '[]')
    FROM pg_attribute a
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
  (SELECT coalesce(json_agg(json_build_object(
      'name', i.relname,
      'unique', x.indisunique,
      'primary', x.indisprimary,
      'partial', x.indpred IS NOT NULL OR x.indexprs IS NOT NULL,
      'constraintName', con.conname,
      'constraintType', con.contype,
      'columns', (SELECT json_agg(CASE WHEN k.attnum = 0 THEN pg_get_indexdef(x.indexrelid, k.ord::int, true) ELSE ka.attname END ORDER BY k.ord)
        FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
        LEFT JOIN pg_attribute ka ON ka.attrelid = c.oid AND ka.attnum = k.attnum
        WHERE k.ord <= x.indnkeyatts)
    ) ORDER BY x.indexrelid), '[]')
    FROM pg_index x
    JOIN pg_class i ON i.oid = x.indexrelid
    LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = c.oid AND con.contype IN ('p', 'u', 'x')
    WHERE x.indrelid = c.oid) AS indexes,
  (SELECT coalesce(json_agg(json_build_object(
      'name', f.conname,
      'refTable', CASE WHEN r.relnamespace = c.relnamespace THEN r.relname::text ELSE rn.nspname || '.' || r.relname END,
      'onDelete', f.confdeltype,
      'onUpdate', f.confupdtype,
      'columns', (SELECT json_agg(fa.attname ORDER BY k.ord) FROM unnest(f.conkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute fa ON fa.attrelid = f.conrelid AND fa.attnum = k.attnum),
      'refColumns', (SELECT json_agg(ra.attname ORDER BY k.ord) FROM unnest(f.confkey) WITH ORDINALITY AS k(attnum, ord)
        JOIN pg_attribute ra ON ra.attrelid = f.confrelid AND ra.attnum = k.attnum)
    ) ORDER BY f.oid), '[]')
    FROM pg_constraint f
    JOIN pg_class r ON r.oid = f.confrelid
    JOIN pg_namespace rn ON rn.oid = r.relnamespace
    WHERE f.conrelid = c.oid AND f.contype = 'f') AS foreign_keys
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND NOT (c.relname = ANY($1::text[]))
  ${only ? 'AND c.relname = ANY($2::text[])' : ''}
ORDER BY c.relname`;
}

interface TableRow {
  name: string;
  columns: { name: string; type: string; notNull: boolean; default: string | null; identity: string }[];
  indexes: {
    name: string; unique: boolean; primary: boolean; partial: boolean;
    constraintName: string | null; constraintType: 'p' | 'u' | 'x' | null; columns: (string | null)[] | null;
  }[];
  foreign_keys: {
    name: string; refTable: string; onDelete: string; onUpdate: string; columns: string[] | null; refColumns: string[] | null;
  }[];
}

/** pg_constraint.confdeltype / confupdtype. */
const ACTIONS: Record<string, ReferentialAction> = { a: 'no action', r: 'restrict', c: 'cascade', n: 'set null', d: 'set default' };

/** A SERIAL column is an integer whose default draws from a sequence: https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-SERIAL */
const NEXTVAL = /^nextval\(/i;

export class PostgresCatalogReader implements CatalogReader {
  readonly #driver: PostgresDriver;
  readonly #types: PostgresTypeMapper;
  readonly #exclude: string[];

  constructor(driver: PostgresDriver, types: PostgresTypeMapper, excludeTables: readonly string[]) {
    this.#driver = driver;
    this.#types = types;
    this.#exclude = [...excludeTables];
  }

  async readAll(): Promise<CatalogSnapshot> {
    return { tables: await this.#read(null) };
  }

  async readTables(names: readonly string[]): Promise<Map<string, CatalogTable>> {
    if (names.length === 0) return new Map();
    return this.#read(names);
  }

  async hasTable(name: string): Promise<boolean> {
    const rows = await this.#driver.query(
      `SELECT 1 AS found FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'p')`,
      [name],
    );
    return rows.length > 0;
  }

  async #read(names: readonly string[] | null): Promise<Map<string, CatalogTable>> {
    const params: unknown[] = names === null ? [this.#exclude] : [this.#exclude, [...names]];
    const rows = await this.#driver.queryPrepared<TableRow>(names === null ? 'idem_catalog_all' : 'idem_catalog_some', catalogSql(names !== null), params);
    const tables = new Map<string, CatalogTable>();
    for (const row of rows) tables.set(row.name, this.#table(row));
    return tables;
  }

  #table(row: TableRow): CatalogTable {
    const columns: CatalogColumn[] = row.columns.map((c) => ({
      name: c.name,
      type: this.#types.parseType(c.type),
      nullable: !c.notNull,
      default: c.default,
      // attidentity: 'a' ALWAYS, 'd' BY DEFAULT, '' none.
      autoIncrement: c.identity !== '' || (c.default !== null && NEXTVAL.test(c.default)),
    }));
    const indexes = row.indexes.map(toIndex);
    const primary = row.indexes.find((i) => i.primary);
    return {
      name: row.name,
      columns,
      primaryKey: primary ? keyColumns(primary.columns) : [],
      indexes,
      foreignKeys: row.foreign_keys.map(toForeignKey),
    };
  }
}

function keyColumns(columns: (string | null)[] | null): string[] {
  return (columns ?? []).map((c) => c ?? '<expr>');
}

function toIndex(row: TableRow['indexes'][number]): CatalogIndex {
  const origin: CatalogIndex['origin'] = row.constraintType === 'p' ? 'primaryKey' : row.constraintType === 'u' ? 'unique' : 'index';
  const index: CatalogIndex = {
    // A constraint and its index share the name unless one was renamed on its own.
    name: origin === 'index' || row.constraintName === null ? row.name : row.constraintName,
    columns: keyColumns(row.columns),
    unique: row.unique,
    origin,
    // An exclusion constraint's index is no plain index: never equal by shape to a declared one.
    partial: row.partial || row.constraintType === 'x',
  };
  if (index.name !== row.name) index.engineName = row.name;
  return index;
}

function toForeignKey(row: TableRow['foreign_keys'][number]): CatalogForeignKey {
  return {
    name: row.name,
    columns: row.columns ?? [],
    refTable: row.refTable,
    refColumns: row.refColumns ?? [],
    onDelete: ACTIONS[row.onDelete] ?? 'no action',
    onUpdate: ACTIONS[row.onUpdate] ?? 'no action',
  };
}
