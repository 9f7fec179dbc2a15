/**
 * What a SQLite database has, read from sqlite_schema and the table-valued
 * pragma functions, three queries for any number of tables:
 * https://www.sqlite.org/pragma.html#pragfunc
 *
 * The pragmas leave out constraint names (foreign keys have none in
 * pragma_foreign_key_list; UNIQUE constraints appear as
 * `sqlite_autoindex_<table>_<n>`), so those are read from the CREATE TABLE
 * text SQLite keeps verbatim.
 */
import type { CatalogColumn, CatalogForeignKey, CatalogIndex, CatalogSnapshot, CatalogTable } from '../../catalog/snapshot.ts';
import type { ReferentialAction } from '../../plan/column-spec.ts';
import type { CatalogReader } from '../dialect.ts';
import type { SqliteDriver } from './sqlite-driver.ts';
import { parseCreateTable } from './sqlite-table-sql.ts';
import type { ParsedCreateTable } from './sqlite-table-sql.ts';
import type { SqliteTypeMapper } from './sqlite-types.ts';

/**
 * The tables to read: `main` only (a TEMP table of the same name would
 * otherwise shadow it in the pragmas, which search temp first), no
 * `sqlite_`-prefixed internal tables (sqlite_sequence, sqlite_stat1; `_` is a
 * LIKE wildcard, hence the ESCAPE), not idem's own tables (first parameter),
 * optionally only the named ones (second parameter, a JSON array).
 */
function tableFilter(only: boolean): string {
  return `m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
    AND lower(m.name) NOT IN (SELECT lower(value) FROM json_each(?))
    ${only ? 'AND m.name IN (SELECT value FROM json_each(?))' : ''}`;
}

// A virtual table's pragma_table_xinfo loads its module and fails the whole
// query with "no such module" when the extension is not loaded; virtual
// tables (rootpage 0) are left out here and read one by one, guarded.
function columnsSql(only: boolean): string {
  return `SELECT m.name AS tbl, m.sql AS tbl_sql, m.rootpage AS rootpage, c.cid AS cid, c.name AS name, c.type AS type,
      c."notnull" AS not_null, c.dflt_value AS dflt, c.pk AS pk, c.hidden AS hidden
    FROM main.sqlite_schema AS m
    LEFT JOIN pragma_table_xinfo(CASE WHEN coalesce(m.rootpage, 0) = 0 THEN NULL ELSE m.name END, 'main') AS c
    WHERE ${tableFilter(only)}
    ORDER BY m.name, c.cid`;
}

// pragma_index_info lists key columns only; an expression column has cid -2
// and no name. Autoindexes (UNIQUE and PRIMARY KEY constraints) have no sql.
function indexesSql(only: boolean): string {
  return `SELECT m.name AS tbl, il.seq AS seq, il.name AS name, il."unique" AS is_unique, il.origin AS origin,
      il.partial AS partial, ii.seqno AS seqno, ii.cid AS cid, ii.name AS col, s.sql AS sql
    FROM main.sqlite_schema AS m
    JOIN pragma_index_list(m.name, 'main') AS il
    JOIN pragma_index_info(il.name, 'main') AS ii
    LEFT JOIN main.sqlite_schema AS s ON s.type = 'index' AND s.name = il.name
    WHERE ${tableFilter(only)}
    ORDER BY m.name, il.seq DESC, ii.seqno`;
}

// A REFERENCES clause without columns means the parent's primary key; SQLite
// reports `to` as NULL then, and the subquery resolves it (NULL when the
// parent is missing, which SQLite allows until rows are written).
// https://www.sqlite.org/foreignkeys.html#fk_indexes
function foreignKeysSql(only: boolean): string {
  return `SELECT m.name AS tbl, f.id AS id, f.seq AS seq, f."table" AS ref_table, f."from" AS col, f."to" AS ref_col,
      coalesce(f."to", (SELECT p.name FROM pragma_table_info(f."table", 'main') AS p WHERE p.pk = f.seq + 1)) AS resolved,
      f.on_update AS on_update, f.on_delete AS on_delete
    FROM main.sqlite_schema AS m
    JOIN pragma_foreign_key_list(m.name, 'main') AS f
    WHERE ${tableFilter(only)}
    ORDER BY m.name, f.id DESC, f.seq`;
}

interface ColumnRow {
  tbl: string; tbl_sql: string | null; rootpage: number | null; cid: number | null; name: string | null; type: string | null;
  not_null: number; dflt: string | null; pk: number; hidden: number;
}
interface IndexRow {
  tbl: string; seq: number; name: string; is_unique: number; origin: string; partial: number;
  seqno: number; cid: number; col: string | null; sql: string | null;
}
interface ForeignKeyRow {
  tbl: string; id: number; seq: number; ref_table: string; col: string; ref_col: string | null;
  resolved: string | null; on_update: string; on_delete: string;
}

const ORIGINS: Record<string, CatalogIndex['origin']> = { c: 'index', u: 'unique', pk: 'primaryKey' };

export class SqliteCatalogReader implements CatalogReader {
  readonly #driver: SqliteDriver;
  readonly #types: SqliteTypeMapper;
  readonly #exclude: string;

  constructor(driver: SqliteDriver, types: SqliteTypeMapper, excludeTables: readonly string[]) {
    this.#driver = driver;
    this.#types = types;
    this.#exclude = JSON.stringify(excludeTables);
  }

  /** SQLite resolves table and column names without regard to ASCII case: `Users` is `users`. */
  async readAll(): Promise<CatalogSnapshot> {
    return { tables: await this.#read(null), tableNamesFoldCase: true };
  }

  async readTables(names: readonly string[]): Promise<Map<string, CatalogTable>> {
    if (names.length === 0) return new Map();
    return this.#read(names);
  }

  /** Case-insensitive, as SQLite's own name lookup is (ASCII only, like NOCASE). */
  async hasTable(name: string): Promise<boolean> {
    const rows = await this.#driver.query(
      `SELECT 1 AS found FROM main.sqlite_schema WHERE type = 'table' AND name = ? COLLATE NOCASE`,
      [name],
    );
    return rows.length > 0;
  }

  async #read(names: readonly string[] | null): Promise<Map<string, CatalogTable>> {
    const only = names !== null;
    const params = only ? [this.#exclude, JSON.stringify(names)] : [this.#exclude];
    const columnRows = await this.#driver.query<ColumnRow>(columnsSql(only), params);
    const indexRows = await this.#driver.query<IndexRow>(indexesSql(only), params);
    const foreignKeyRows = await this.#driver.query<ForeignKeyRow>(foreignKeysSql(only), params);

    const tables = new Map<string, CatalogTable>();
    const virtual: CatalogTable[] = [];
    for (const row of columnRows) {
      let table = tables.get(row.tbl);
      if (table === undefined) {
        table = { name: row.tbl, columns: [], primaryKey: [], indexes: [], foreignKeys: [], columnNamesFoldCase: true };
        if (row.tbl_sql !== null) table.sql = row.tbl_sql;
        tables.set(row.tbl, table);
        if ((row.rootpage ?? 0) === 0) virtual.push(table);
      }
      // hidden 1 is a virtual table's hidden column; 2 and 3 are generated columns, which are real.
      if (row.name === null || row.hidden === 1) continue;
      table.columns.push(this.#column(row));
      if (row.pk > 0) table.primaryKey[row.pk - 1] = row.name;
    }
    for (const table of virtual) await this.#readVirtualColumns(table);

    const parsed = new Map<string, ParsedCreateTable | null>();
    const parsedFor = (table: CatalogTable): ParsedCreateTable | null => {
      if (!parsed.has(table.name)) parsed.set(table.name, tryParse(table.sql));
      return parsed.get(table.name)!;
    };

    for (const [name, rows] of groupBy(indexRows, (r) => r.tbl)) {
      const table = tables.get(name);
      if (table !== undefined) table.indexes = buildIndexes(rows, parsedFor(table));
    }
    for (const [name, rows] of groupBy(foreignKeyRows, (r) => r.tbl)) {
      const table = tables.get(name);
      if (table !== undefined) table.foreignKeys = buildForeignKeys(rows, parsedFor(table));
    }
    for (const table of tables.values()) markRowidAlias(table);
    return tables;
  }

  #column(row: ColumnRow): CatalogColumn {
    return {
      name: row.name!,
      type: this.#types.parseType(row.type ?? ''),
      nullable: row.not_null === 0,
      default: row.dflt,
      autoIncrement: false,
    };
  }

  /** A virtual table whose module is not loaded keeps no columns rather than failing the read. */
  async #readVirtualColumns(table: CatalogTable): Promise<void> {
    try {
      const rows = await this.#driver.query<ColumnRow>(
        `SELECT cid, name, type, "notnull" AS not_null, dflt_value AS dflt, pk, hidden FROM pragma_table_xinfo(?, 'main') ORDER BY cid`,
        [table.name],
      );
      table.columns = rows.filter((r) => r.hidden !== 1).map((r) => this.#column(r));
    } catch {
      table.columns = [];
    }
  }
}

function tryParse(sql: string | undefined): ParsedCreateTable | null {
  if (sql === undefined) return null;
  try {
    return parseCreateTable(sql);
  } catch {
    return null;
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

const sameNames = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i]!.toLowerCase());

/**
 * The rowid alias: a rowid table's single-column primary key declared exactly
 * INTEGER. It is never NULL and assigns itself. SQLite gives every other
 * primary key (WITHOUT ROWID tables, `INTEGER PRIMARY KEY DESC`, `INT`) a
 * `pk` autoindex, so its absence is the reliable test.
 * https://www.sqlite.org/lang_createtable.html#rowid
 */
function markRowidAlias(table: CatalogTable): void {
  if (table.primaryKey.length !== 1 || table.indexes.some((i) => i.origin === 'primaryKey')) return;
  const column = table.columns.find((c) => c.name === table.primaryKey[0]);
  if (column === undefined || column.type.raw !== 'integer') return;
  column.autoIncrement = true;
  column.nullable = false;
}

function buildIndexes(rows: readonly IndexRow[], parsed: ParsedCreateTable | null): CatalogIndex[] {
  // Named UNIQUE constraints in declaration order, each matched at most once.
  const uniques: { name: string | null; columns: string[]; used: boolean }[] = [];
  for (const item of parsed?.items ?? []) {
    if (item.kind === 'column' && item.inlineUnique !== null) uniques.push({ name: item.inlineUnique.name, columns: [item.name], used: false });
    if (item.kind === 'constraint' && item.type === 'unique') uniques.push({ name: item.constraintName, columns: item.columns, used: false });
  }
  const indexes: CatalogIndex[] = [];
  for (const group of groupBy(rows, (r) => r.name).values()) {
    const first = group[0]!;
    const origin = ORIGINS[first.origin] ?? 'index';
    // An expression (cid -2) or rowid (-1) key column: never equal by shape to a declared index.
    const hasExpression = group.some((r) => r.col === null || r.cid < 0);
    const index: CatalogIndex = {
      name: first.name,
      columns: group.map((r) => r.col ?? '<expr>'),
      unique: first.is_unique === 1,
      origin,
      partial: first.partial === 1 || hasExpression,
    };
    if (origin === 'index' && first.sql !== null) index.sql = first.sql;
    if (origin !== 'index') index.engineName = first.name;
    if (origin === 'unique') {
      const match = uniques.find((u) => !u.used && sameNames(u.columns, index.columns));
      if (match !== undefined) {
        match.used = true;
        if (match.name !== null) index.name = match.name;
      }
    }
    indexes.push(index);
  }
  return indexes;
}

function buildForeignKeys(rows: readonly ForeignKeyRow[], parsed: ParsedCreateTable | null): CatalogForeignKey[] {
  const declared: { name: string | null; columns: string[]; refTable: string; refColumns: string[]; used: boolean }[] = [];
  for (const item of parsed?.items ?? []) {
    if (item.kind === 'column' && item.inlineReferences !== null) {
      declared.push({ ...item.inlineReferences, columns: [item.name], used: false });
    }
    if (item.kind === 'constraint' && item.type === 'foreignKey') {
      declared.push({ name: item.constraintName, columns: item.columns, refTable: item.refTable ?? '', refColumns: item.refColumns ?? [], used: false });
    }
  }
  const keys: CatalogForeignKey[] = [];
  for (const group of groupBy(rows, (r) => String(r.id)).values()) {
    const first = group[0]!;
    const columns = group.map((r) => r.col);
    // Written columns as SQLite reports them: empty when the clause named none.
    const written = group.every((r) => r.ref_col === null) ? [] : group.map((r) => r.ref_col ?? '');
    const resolved = group.map((r) => r.resolved);
    const match = declared.find((d) =>
      !d.used && sameNames(d.columns, columns) && d.refTable.toLowerCase() === first.ref_table.toLowerCase() && sameNames(d.refColumns, written));
    if (match !== undefined) match.used = true;
    keys.push({
      name: match?.name ?? null,
      columns,
      refTable: first.ref_table,
      refColumns: resolved.every((c) => c !== null) ? resolved : [],
      onDelete: first.on_delete.toLowerCase() as ReferentialAction,
      onUpdate: first.on_update.toLowerCase() as ReferentialAction,
    });
  }
  return keys;
}
