/**
 * What a MySQL or MariaDB database has, read from information_schema for the
 * connection's database: three queries for any number of tables (four on
 * MariaDB when a longtext column may be JSON).
 * https://dev.mysql.com/doc/refman/8.0/en/information-schema-introduction.html
 *
 * The schema name is bound as a constant rather than written DATABASE():
 * MariaDB then opens only that schema's tables instead of every table on the
 * server. https://mariadb.com/kb/en/information-schema-optimization/
 */
import type { CatalogColumn, CatalogForeignKey, CatalogIndex, CatalogSnapshot, CatalogTable } from '../../catalog/snapshot.ts';
import type { ReferentialAction } from '../../plan/column-spec.ts';
import type { CatalogReader, Driver } from '../dialect.ts';
import { catalogDefault } from './mysql-defaults.ts';
import type { MysqlFlavor, MysqlTypeMapper } from './mysql-types.ts';

export interface MysqlCatalogOptions {
  /** The connection's database, `SELECT DATABASE()`. */
  database: string;
  flavor: MysqlFlavor;
  /** idem's own tables, never part of a snapshot. */
  excludeTables: readonly string[];
}

interface ColumnRow {
  tbl: string; name: string; column_type: string; data_type: string; is_nullable: string;
  dflt: string | null; extra: string; collation: string | null; table_collation: string | null;
}
interface IndexRow {
  tbl: string; name: string; non_unique: number | string; seq: number; col: string | null;
  sub_part: number | string | null; index_type: string; expression: string | null; constraint_type: string | null;
  /** MariaDB: the prefix it gives a TEXT/BLOB column indexed whole; null for other columns. */
  whole_prefix: number | string | null;
}
interface ForeignKeyRow {
  tbl: string; name: string; col: string; ref_schema: string; ref_table: string; ref_col: string;
  update_rule: string; delete_rule: string;
}

/** Index kinds that are never equal by shape to a plain B-tree index on the same columns. */
const SPECIAL_INDEX_TYPES = new Set(['FULLTEXT', 'SPATIAL', 'VECTOR']);

/**
 * MariaDB indexes a TEXT or BLOB column named whole (`INDEX (body)`, which
 * MySQL refuses) by its longest prefix that fits InnoDB's key, 3072 bytes
 * with the default 16K pages, in characters of the column's character set,
 * at most the column's own length: `body(768)` for utf8mb4, with only a note
 * (1071). That prefix is what `CREATE INDEX … (body)` makes, from idem or
 * from an init script, so it reads as the whole column; a shorter prefix
 * someone chose stays partial.
 * https://mariadb.com/kb/en/innodb-limitations/#limitations-on-size
 */
const MARIADB_WHOLE_PREFIX = `CASE WHEN LOWER(c.DATA_TYPE) IN ('tinytext', 'text', 'mediumtext', 'longtext', 'tinyblob', 'blob', 'mediumblob', 'longblob')
          THEN LEAST(c.CHARACTER_MAXIMUM_LENGTH, FLOOR(3072 / COALESCE(cs.MAXLEN, 1))) END`;

export class MysqlCatalogReader implements CatalogReader {
  readonly #driver: Driver;
  readonly #types: MysqlTypeMapper;
  readonly #o: MysqlCatalogOptions;

  constructor(driver: Driver, types: MysqlTypeMapper, options: MysqlCatalogOptions) {
    this.#driver = driver;
    this.#types = types;
    this.#o = options;
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
      `SELECT 1 AS found FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?`,
      [this.#o.database, name],
    );
    return rows.length > 0;
  }

  /** `AND x.TABLE_NAME ...` for idem's tables and the requested ones; an empty IN () would be a syntax error. */
  #filter(alias: string, names: readonly string[] | null, schemaColumn = 'TABLE_SCHEMA'): { sql: string; params: unknown[] } {
    const params: unknown[] = [this.#o.database];
    let sql = `${alias}.${schemaColumn} = ?`;
    if (this.#o.excludeTables.length > 0) {
      sql += ` AND ${alias}.TABLE_NAME NOT IN (?)`;
      params.push(this.#o.excludeTables);
    }
    if (names !== null) {
      sql += ` AND ${alias}.TABLE_NAME IN (?)`;
      params.push(names);
    }
    return { sql, params };
  }

  async #read(names: readonly string[] | null): Promise<Map<string, CatalogTable>> {
    const mariadb = this.#o.flavor === 'mariadb';
    // Views have columns too; only base tables (and MariaDB's system-versioned ones) are ours to migrate.
    const t = this.#filter('t', names);
    const columnRows = await this.#driver.query<ColumnRow>(
      `SELECT c.TABLE_NAME AS tbl, c.COLUMN_NAME AS name, c.COLUMN_TYPE AS column_type, c.DATA_TYPE AS data_type,
          c.IS_NULLABLE AS is_nullable, c.COLUMN_DEFAULT AS dflt, c.EXTRA AS extra, c.COLLATION_NAME AS collation,
          t.TABLE_COLLATION AS table_collation
        FROM information_schema.TABLES AS t
        JOIN information_schema.COLUMNS AS c ON c.TABLE_SCHEMA = t.TABLE_SCHEMA AND c.TABLE_NAME = t.TABLE_NAME
        WHERE ${t.sql} AND t.TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')
        ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION`,
      t.params,
    );
    if (columnRows.length === 0) return new Map();
    const s = this.#filter('s', names);
    // A UNIQUE constraint is a unique index here; TABLE_CONSTRAINTS tells a
    // declared one from CREATE UNIQUE INDEX on MySQL (MariaDB lists both).
    // EXPRESSION (a functional index part) exists on MySQL 8.0.13+ only.
    const indexRows = await this.#driver.query<IndexRow>(
      `SELECT s.TABLE_NAME AS tbl, s.INDEX_NAME AS name, s.NON_UNIQUE AS non_unique, s.SEQ_IN_INDEX AS seq,
          s.COLUMN_NAME AS col, s.SUB_PART AS sub_part, s.INDEX_TYPE AS index_type,
          ${mariadb ? 'NULL' : 's.EXPRESSION'} AS expression, tc.CONSTRAINT_TYPE AS constraint_type,
          ${mariadb ? MARIADB_WHOLE_PREFIX : 'NULL'} AS whole_prefix
        FROM information_schema.STATISTICS AS s
        LEFT JOIN information_schema.TABLE_CONSTRAINTS AS tc ON tc.TABLE_SCHEMA = s.TABLE_SCHEMA
          AND tc.TABLE_NAME = s.TABLE_NAME AND tc.CONSTRAINT_NAME = s.INDEX_NAME AND tc.CONSTRAINT_TYPE = 'UNIQUE'
        ${mariadb ? `LEFT JOIN information_schema.COLUMNS AS c ON c.TABLE_SCHEMA = s.TABLE_SCHEMA AND c.TABLE_NAME = s.TABLE_NAME
          AND c.COLUMN_NAME = s.COLUMN_NAME
        LEFT JOIN information_schema.CHARACTER_SETS AS cs ON cs.CHARACTER_SET_NAME = c.CHARACTER_SET_NAME` : ''}
        WHERE ${s.sql}
        ORDER BY s.TABLE_NAME, s.INDEX_NAME = 'PRIMARY' DESC, s.INDEX_NAME, s.SEQ_IN_INDEX`,
      s.params,
    );
    const k = this.#filter('k', names);
    // KEY_COLUMN_USAGE has the columns in order; REFERENTIAL_CONSTRAINTS the ON DELETE / ON UPDATE rules.
    const foreignKeyRows = await this.#driver.query<ForeignKeyRow>(
      `SELECT k.TABLE_NAME AS tbl, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col, k.REFERENCED_TABLE_SCHEMA AS ref_schema,
          k.REFERENCED_TABLE_NAME AS ref_table, k.REFERENCED_COLUMN_NAME AS ref_col,
          r.UPDATE_RULE AS update_rule, r.DELETE_RULE AS delete_rule
        FROM information_schema.KEY_COLUMN_USAGE AS k
        JOIN information_schema.REFERENTIAL_CONSTRAINTS AS r ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA
          AND r.TABLE_NAME = k.TABLE_NAME AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
        WHERE ${k.sql} AND k.REFERENCED_TABLE_NAME IS NOT NULL
        ORDER BY k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
      k.params,
    );
    const jsonColumns = mariadb && columnRows.some((r) => r.data_type.toLowerCase() === 'longtext') ? await this.#mariadbJsonColumns(names) : new Set<string>();

    const tables = new Map<string, CatalogTable>();
    for (const row of columnRows) {
      let table = tables.get(row.tbl);
      if (table === undefined) {
        table = { name: row.tbl, columns: [], primaryKey: [], indexes: [], foreignKeys: [] };
        tables.set(row.tbl, table);
      }
      table.columns.push(this.#column(row, jsonColumns.has(`${row.tbl}\u0000${row.name}`)));
    }
    for (const [name, rows] of groupBy(indexRows, (r) => r.tbl)) {
      const table = tables.get(name);
      if (table === undefined) continue;
      table.indexes = buildIndexes(rows);
      table.primaryKey = table.indexes.find((i) => i.origin === 'primaryKey')?.columns ?? [];
    }
    for (const [name, rows] of groupBy(foreignKeyRows, (r) => r.tbl)) {
      const table = tables.get(name);
      if (table !== undefined) table.foreignKeys = buildForeignKeys(rows, this.#o.database);
    }
    return tables;
  }

  /**
   * MariaDB's JSON is an alias: LONGTEXT with a CHECK (json_valid(`col`))
   * constraint it adds itself, and renames along with the column.
   * https://mariadb.com/kb/en/json-data-type/
   */
  async #mariadbJsonColumns(names: readonly string[] | null): Promise<Set<string>> {
    const c = this.#filter('cc', names, 'CONSTRAINT_SCHEMA');
    const rows = await this.#driver.query<{ tbl: string; clause: string }>(
      `SELECT cc.TABLE_NAME AS tbl, cc.CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS AS cc
        WHERE ${c.sql} AND cc.CHECK_CLAUSE LIKE 'json\\_valid(%'`,
      c.params,
    );
    const found = new Set<string>();
    for (const row of rows) {
      const m = /^json_valid\((`(?:[^`]|``)+`)\)$/.exec(row.clause.trim());
      if (m) found.add(`${row.tbl}\u0000${m[1]!.slice(1, -1).replaceAll('``', '`')}`);
    }
    return found;
  }

  #column(row: ColumnRow, mariadbJson: boolean): CatalogColumn {
    let raw = row.column_type;
    // A collation other than the table's is part of the column: MODIFY must restate it. JSON's is fixed.
    if (row.collation !== null && row.collation !== row.table_collation && !mariadbJson && row.data_type.toLowerCase() !== 'json') {
      raw += ` collate ${row.collation}`;
    }
    const onUpdate = /\bon update (current_timestamp(?:\(\d*\))?)/i.exec(row.extra);
    if (onUpdate) {
      // MySQL omits the precision here; it is the type's. https://dev.mysql.com/doc/refman/8.0/en/timestamp-initialization.html
      const precision = /\((\d+)\)/.exec(row.column_type)?.[1];
      const value = onUpdate[1]!.toLowerCase().replace(/\(\)$/, '');
      raw += ` on update ${value.includes('(') || precision === undefined ? value : `${value}(${precision})`}`;
    }
    const type = mariadbJson ? { type: 'json' as const, raw: 'json' } : this.#types.parseType(raw);
    return {
      name: row.name,
      type,
      nullable: row.is_nullable === 'YES',
      default: catalogDefault(row.dflt, row.extra, row.data_type, this.#o.flavor),
      autoIncrement: /\bauto_increment\b/i.test(row.extra),
    };
  }
}

function groupBy<T>(rows: readonly T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    const group = groups.get(k);
    if (group === undefined) groups.set(k, [row]);
    else group.push(row);
  }
  return groups;
}

/**
 * One entry per index. The index InnoDB creates for a foreign key (named
 * after the constraint, or after its column when the constraint is unnamed)
 * is an ordinary non-unique index here: it serves lookups like any other, so
 * createIndex on the same columns finds it, and no unique test counts it.
 * https://dev.mysql.com/doc/refman/8.0/en/create-table-foreign-keys.html
 */
function buildIndexes(rows: readonly IndexRow[]): CatalogIndex[] {
  const indexes: CatalogIndex[] = [];
  for (const group of groupBy(rows, (r) => r.name).values()) {
    const first = group[0]!;
    const origin: CatalogIndex['origin'] = first.name === 'PRIMARY' ? 'primaryKey' : first.constraint_type === 'UNIQUE' ? 'unique' : 'index';
    // A prefix (SUB_PART) other than MariaDB's whole-column one, a functional part (no column)
    // or a FULLTEXT/SPATIAL index: not a plain index on those columns.
    const prefixed = (r: IndexRow) => r.sub_part !== null && (r.whole_prefix === null || Number(r.sub_part) !== Number(r.whole_prefix));
    const partial = group.some((r) => prefixed(r) || r.col === null || r.expression !== null) || SPECIAL_INDEX_TYPES.has(first.index_type);
    indexes.push({
      name: first.name,
      columns: group.map((r) => r.col ?? '<expr>'),
      unique: Number(first.non_unique) === 0,
      origin,
      partial,
    });
  }
  return indexes;
}

/** A key to another database is named `db.table`; InnoDB allows that. */
function buildForeignKeys(rows: readonly ForeignKeyRow[], database: string): CatalogForeignKey[] {
  const keys: CatalogForeignKey[] = [];
  for (const group of groupBy(rows, (r) => r.name).values()) {
    const first = group[0]!;
    keys.push({
      name: first.name,
      columns: group.map((r) => r.col),
      refTable: first.ref_schema === database ? first.ref_table : `${first.ref_schema}.${first.ref_table}`,
      refColumns: group.map((r) => r.ref_col),
      onDelete: first.delete_rule.toLowerCase() as ReferentialAction,
      onUpdate: first.update_rule.toLowerCase() as ReferentialAction,
    });
  }
  return keys;
}
