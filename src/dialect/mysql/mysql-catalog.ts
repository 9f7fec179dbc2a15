/**
 * What a MySQL or MariaDB database has, read from information_schema for the
 * connection's database: four queries for any number of tables, and one more
 * each when there are unique keys, foreign keys, a longtext column that may
 * be MariaDB's JSON, or a TEXT/BLOB index prefix to judge, and one per
 * table whose character default the catalog cannot spell (an emoji).
 * https://dev.mysql.com/doc/refman/8.0/en/information-schema-introduction.html
 *
 * The schema name is bound as a constant rather than written DATABASE():
 * MariaDB then opens only that schema's tables instead of every table on the
 * server. https://mariadb.com/kb/en/information-schema-optimization/
 */
import type { CatalogColumn, CatalogForeignKey, CatalogIndex, CatalogSnapshot, CatalogTable } from '../../catalog/snapshot.ts';
import type { ReferentialAction } from '../../plan/column-spec.ts';
import type { CatalogReader, Driver } from '../dialect.ts';
import { catalogDefault, quoteMysqlString, tokenizeMysqlDefault } from './mysql-defaults.ts';
import { quoteMysqlIdentifier } from './mysql-quote.ts';
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
  dflt: string | null; extra: string; collation: string | null; charset: string | null; char_max: number | string | null;
}
interface IndexRow {
  tbl: string; name: string; non_unique: number | string; seq: number; col: string | null;
  sub_part: number | string | null; index_type: string; expression: string | null;
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
const TEXT_AND_BLOB = new Set(['tinytext', 'text', 'mediumtext', 'longtext', 'tinyblob', 'blob', 'mediumblob', 'longblob']);
const INNODB_MAX_KEY_BYTES = 3072;

export class MysqlCatalogReader implements CatalogReader {
  readonly #driver: Driver;
  readonly #types: MysqlTypeMapper;
  readonly #o: MysqlCatalogOptions;
  /** information_schema.CHARACTER_SETS's MAXLEN, read once when a prefix needs it. */
  #charsetMaxLength: Map<string, number> | undefined;
  /** Whether lower_case_table_names folds table names; read once, by the first readAll(). */
  #tableNamesFoldCase: boolean | undefined;

  constructor(driver: Driver, types: MysqlTypeMapper, options: MysqlCatalogOptions) {
    this.#driver = driver;
    this.#types = types;
    this.#o = options;
  }

  /**
   * Column names match without regard to case on every server; table names
   * as lower_case_table_names says: 0 keeps them exact (case-sensitive file
   * names), 1 and 2 compare them in lower case. Read once, with the first
   * catalog read. https://dev.mysql.com/doc/refman/8.0/en/identifier-case-sensitivity.html
   */
  async readAll(): Promise<CatalogSnapshot> {
    const tables = await this.#read(null);
    if (this.#tableNamesFoldCase === undefined) {
      const [row] = await this.#driver.query<{ v: number | string | null }>('SELECT @@lower_case_table_names AS v');
      this.#tableNamesFoldCase = Number(row?.v ?? 0) !== 0;
    }
    return { tables, ...(this.#tableNamesFoldCase ? { tableNamesFoldCase: true } : {}) };
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

  /** `AND TABLE_NAME ...` for idem's tables and the requested ones; an empty IN () would be a syntax error. */
  #filter(names: readonly string[] | null, schemaColumn = 'TABLE_SCHEMA'): { sql: string; params: unknown[] } {
    const params: unknown[] = [this.#o.database];
    let sql = `${schemaColumn} = ?`;
    if (this.#o.excludeTables.length > 0) {
      sql += ' AND TABLE_NAME NOT IN (?)';
      params.push(this.#o.excludeTables);
    }
    if (names !== null) {
      sql += ' AND TABLE_NAME IN (?)';
      params.push(names);
    }
    return { sql, params };
  }

  /**
   * One information_schema table per query, each filtered by constants, and
   * joined here: MariaDB fills an information_schema table joined to another
   * without such constants from every table of the schema (16 ms instead of
   * 0.3 for two tables among 200, and growing with the schema).
   */
  async #read(names: readonly string[] | null): Promise<Map<string, CatalogTable>> {
    const mariadb = this.#o.flavor === 'mariadb';
    const f = this.#filter(names);
    // Views have columns too; only base tables (and MariaDB's system-versioned ones) are ours to migrate.
    const tableRows = await this.#driver.query<{ tbl: string; collation: string | null }>(
      `SELECT TABLE_NAME AS tbl, TABLE_COLLATION AS collation FROM information_schema.TABLES
        WHERE ${f.sql} AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')`,
      f.params,
    );
    if (tableRows.length === 0) return new Map();
    const collations = new Map(tableRows.map((r) => [r.tbl, r.collation]));
    const g = f;
    const columnRows = (await this.#driver.query<ColumnRow>(
      `SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, COLUMN_TYPE AS column_type, DATA_TYPE AS data_type,
          IS_NULLABLE AS is_nullable, COLUMN_DEFAULT AS dflt, EXTRA AS extra, COLLATION_NAME AS collation,
          CHARACTER_SET_NAME AS charset, CHARACTER_MAXIMUM_LENGTH AS char_max
        FROM information_schema.COLUMNS WHERE ${g.sql}
        ORDER BY TABLE_NAME, ORDINAL_POSITION`,
      g.params,
    )).filter((r) => collations.has(r.tbl));
    // EXPRESSION (a functional index part) exists on MySQL 8.0.13+ only.
    const indexRows = (await this.#driver.query<IndexRow>(
      `SELECT TABLE_NAME AS tbl, INDEX_NAME AS name, NON_UNIQUE AS non_unique, SEQ_IN_INDEX AS seq,
          COLUMN_NAME AS col, SUB_PART AS sub_part, INDEX_TYPE AS index_type, ${mariadb ? 'NULL' : 'EXPRESSION'} AS expression
        FROM information_schema.STATISTICS WHERE ${g.sql}
        ORDER BY TABLE_NAME, INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`,
      g.params,
    )).filter((r) => collations.has(r.tbl));
    const declaredUnique = await this.#declaredUniques(indexRows, g);
    const foreignKeyRows = await this.#foreignKeys(g);
    const jsonColumns = mariadb && columnRows.some((r) => r.data_type.toLowerCase() === 'longtext') ? await this.#mariadbJsonColumns(names) : new Set<string>();
    const wholePrefix = mariadb ? await this.#mariadbWholePrefix(indexRows, columnRows) : () => null;

    const tables = new Map<string, CatalogTable>();
    for (const row of columnRows) {
      let table = tables.get(row.tbl);
      if (table === undefined) {
        table = { name: row.tbl, columns: [], primaryKey: [], indexes: [], foreignKeys: [], columnNamesFoldCase: true };
        tables.set(row.tbl, table);
      }
      table.columns.push(this.#column(row, collations.get(row.tbl) ?? null, jsonColumns.has(`${row.tbl}\u0000${row.name}`)));
    }
    await this.#defaultsBeyondTheCatalog(tables, columnRows);
    for (const [name, rows] of groupBy(indexRows, (r) => r.tbl)) {
      const table = tables.get(name);
      if (table === undefined) continue;
      table.indexes = buildIndexes(rows, (r) => declaredUnique.has(`${r.tbl}\u0000${r.name}`), wholePrefix);
      table.primaryKey = table.indexes.find((i) => i.origin === 'primaryKey')?.columns ?? [];
    }
    for (const [name, rows] of groupBy(foreignKeyRows, (r) => r.tbl)) {
      const table = tables.get(name);
      if (table !== undefined) table.foreignKeys = buildForeignKeys(rows, this.#o.database);
    }
    return tables;
  }

  /**
   * A UNIQUE constraint is a unique index here; TABLE_CONSTRAINTS tells a
   * declared one from CREATE UNIQUE INDEX on MySQL (MariaDB lists both).
   * Asked only when some index is unique and not the primary key.
   */
  async #declaredUniques(indexRows: readonly IndexRow[], g: { sql: string; params: unknown[] }): Promise<Set<string>> {
    if (!indexRows.some((r) => Number(r.non_unique) === 0 && r.name !== 'PRIMARY')) return new Set();
    const rows = await this.#driver.query<{ tbl: string; name: string }>(
      `SELECT TABLE_NAME AS tbl, CONSTRAINT_NAME AS name FROM information_schema.TABLE_CONSTRAINTS
        WHERE ${g.sql} AND CONSTRAINT_TYPE = 'UNIQUE'`,
      g.params,
    );
    return new Set(rows.map((r) => `${r.tbl}\u0000${r.name}`));
  }

  /** KEY_COLUMN_USAGE has the columns in order; REFERENTIAL_CONSTRAINTS (asked only when there are keys) the ON DELETE / ON UPDATE rules. */
  async #foreignKeys(g: { sql: string; params: unknown[] }): Promise<ForeignKeyRow[]> {
    const keyRows = await this.#driver.query<Omit<ForeignKeyRow, 'update_rule' | 'delete_rule'>>(
      `SELECT TABLE_NAME AS tbl, CONSTRAINT_NAME AS name, COLUMN_NAME AS col, REFERENCED_TABLE_SCHEMA AS ref_schema,
          REFERENCED_TABLE_NAME AS ref_table, REFERENCED_COLUMN_NAME AS ref_col
        FROM information_schema.KEY_COLUMN_USAGE WHERE ${g.sql} AND REFERENCED_TABLE_NAME IS NOT NULL
        ORDER BY TABLE_NAME, CONSTRAINT_NAME, ORDINAL_POSITION`,
      g.params,
    );
    if (keyRows.length === 0) return [];
    const r = this.#filter([...new Set(keyRows.map((k) => k.tbl))], 'CONSTRAINT_SCHEMA');
    const rules = await this.#driver.query<{ tbl: string; name: string; update_rule: string; delete_rule: string }>(
      `SELECT TABLE_NAME AS tbl, CONSTRAINT_NAME AS name, UPDATE_RULE AS update_rule, DELETE_RULE AS delete_rule
        FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE ${r.sql}`,
      r.params,
    );
    const byKey = new Map(rules.map((rule) => [`${rule.tbl}\u0000${rule.name}`, rule]));
    return keyRows.flatMap((k) => {
      const rule = byKey.get(`${k.tbl}\u0000${k.name}`);
      return rule ? [{ ...k, update_rule: rule.update_rule, delete_rule: rule.delete_rule }] : [];
    });
  }

  /** The prefix MariaDB gives a TEXT/BLOB column indexed whole (see TEXT_AND_BLOB), per index row; null for other columns. */
  async #mariadbWholePrefix(indexRows: readonly IndexRow[], columnRows: readonly ColumnRow[]): Promise<(row: IndexRow) => number | null> {
    const columns = new Map(columnRows.map((c) => [`${c.tbl}\u0000${c.name}`, c]));
    const textual = (row: IndexRow) => {
      const column = row.col === null ? undefined : columns.get(`${row.tbl}\u0000${row.col}`);
      return column && TEXT_AND_BLOB.has(column.data_type.toLowerCase()) ? column : undefined;
    };
    if (!indexRows.some((row) => row.sub_part !== null && textual(row))) return () => null;
    this.#charsetMaxLength ??= new Map((await this.#driver.query<{ name: string; maxlen: number | string }>(
      'SELECT CHARACTER_SET_NAME AS name, MAXLEN AS maxlen FROM information_schema.CHARACTER_SETS',
    )).map((r) => [r.name, Number(r.maxlen)]));
    const maxLength = this.#charsetMaxLength;
    return (row) => {
      const column = textual(row);
      if (!column) return null;
      const bytesPerChar = (column.charset === null ? undefined : maxLength.get(column.charset)) ?? 1;
      return Math.min(Number(column.char_max), Math.floor(INNODB_MAX_KEY_BYTES / bytesPerChar));
    };
  }

  /**
   * The catalog keeps column defaults in utf8mb3 (MariaDB's
   * information_schema and SHOW CREATE TABLE alike), so a character outside
   * the Basic Multilingual Plane, an emoji, reads as `?` (one per character
   * in a varchar, one per byte in a text) while the column holds it whole.
   * DEFAULT(col) gives the stored value in the connection's utf8mb4: asked
   * only for a character column whose literal default shows a `?`, one query
   * per such table (a LEFT JOIN on nothing, so an empty table answers too).
   * https://mariadb.com/kb/en/default/
   */
  async #defaultsBeyondTheCatalog(tables: Map<string, CatalogTable>, columnRows: readonly ColumnRow[]): Promise<void> {
    const suspect = columnRows.filter((r) => r.charset !== null && r.dflt !== null && r.dflt.includes('?'));
    for (const [name, rows] of groupBy(suspect, (r) => r.tbl)) {
      const columns = (tables.get(name)?.columns ?? []).filter((c) => rows.some((r) => r.name === c.name) && isStringLiteral(c.default));
      if (columns.length === 0) continue;
      const select = columns.map((c, i) => `DEFAULT(t.${quoteMysqlIdentifier(c.name)}) AS d${i}`).join(', ');
      const [values] = await this.#driver.query<Record<string, unknown>>(
        `SELECT ${select} FROM (SELECT 1 AS one) AS one LEFT JOIN ${quoteMysqlIdentifier(name)} AS t ON FALSE`,
      );
      columns.forEach((c, i) => {
        const value = values?.[`d${i}`];
        if (typeof value === 'string') c.default = quoteMysqlString(value);
      });
    }
  }

  /**
   * MariaDB's JSON is an alias: LONGTEXT with a CHECK (json_valid(`col`))
   * constraint it adds itself, and renames along with the column.
   * https://mariadb.com/kb/en/json-data-type/
   */
  async #mariadbJsonColumns(names: readonly string[] | null): Promise<Set<string>> {
    const c = this.#filter(names, 'CONSTRAINT_SCHEMA');
    const rows = await this.#driver.query<{ tbl: string; clause: string }>(
      `SELECT TABLE_NAME AS tbl, CHECK_CLAUSE AS clause FROM information_schema.CHECK_CONSTRAINTS
        WHERE ${c.sql} AND CHECK_CLAUSE LIKE 'json\\_valid(%'`,
      c.params,
    );
    const found = new Set<string>();
    for (const row of rows) {
      const m = /^json_valid\((`(?:[^`]|``)+`)\)$/.exec(row.clause.trim());
      if (m) found.add(`${row.tbl}\u0000${m[1]!.slice(1, -1).replaceAll('``', '`')}`);
    }
    return found;
  }

  #column(row: ColumnRow, tableCollation: string | null, mariadbJson: boolean): CatalogColumn {
    let raw = row.column_type;
    // A collation other than the table's is part of the column: MODIFY must restate it. JSON's is fixed.
    if (row.collation !== null && row.collation !== tableCollation && !mariadbJson && row.data_type.toLowerCase() !== 'json') {
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

/** One quoted string and nothing else: a literal default, not an expression. */
function isStringLiteral(sql: string | null): boolean {
  if (sql === null) return false;
  const tokens = tokenizeMysqlDefault(sql);
  return tokens.length === 1 && tokens[0]!.kind === 'string';
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
function buildIndexes(rows: readonly IndexRow[], declaredUnique: (row: IndexRow) => boolean, wholePrefix: (row: IndexRow) => number | null): CatalogIndex[] {
  const indexes: CatalogIndex[] = [];
  for (const group of groupBy(rows, (r) => r.name).values()) {
    const first = group[0]!;
    const origin: CatalogIndex['origin'] = first.name === 'PRIMARY' ? 'primaryKey' : declaredUnique(first) ? 'unique' : 'index';
    // A prefix (SUB_PART) other than MariaDB's whole-column one, a functional part (no column)
    // or a FULLTEXT/SPATIAL index: not a plain index on those columns.
    const prefixed = (r: IndexRow) => {
      const whole = wholePrefix(r);
      return r.sub_part !== null && (whole === null || Number(r.sub_part) !== whole);
    };
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
