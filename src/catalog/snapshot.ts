/**
 * What the database has, read from its catalog, in portable terms. Each
 * dialect's catalog reader fills these; `compare-shape.ts` judges declared
 * against actual with them. Names are as the engine stores them.
 */
import type { ColumnType, ReferentialAction } from '../plan/column-spec.ts';

/** A column type in portable terms plus the engine's own spelling. */
export interface ColumnTypeInfo {
  /** null when the engine's type has no portable name (the raw text still compares). */
  type: ColumnType | null;
  length?: number;
  /** decimal: total digits; timestamp: fractional-second digits, where the engine has a default (undefined on SQLite without one written). */
  precision?: number;
  scale?: number;
  withTimezone?: boolean;
  /** Integer types: set where the engine has unsigned integers (MySQL, MariaDB). */
  unsigned?: boolean;
  /** The engine's own spelling, lower-cased: `varchar(255)`, `int`, `timestamptz`. */
  raw: string;
}

export interface CatalogColumn {
  name: string;
  type: ColumnTypeInfo;
  nullable: boolean;
  /** The default as SQL text, as the engine reports it; null when none. */
  default: string | null;
  autoIncrement: boolean;
}

export interface CatalogIndex {
  name: string;
  columns: string[];
  unique: boolean;
  /**
   * Where the index comes from: created by CREATE INDEX, backing a UNIQUE
   * constraint, or backing the primary key. Only `index` can be dropped with
   * DROP INDEX everywhere.
   */
  origin: 'index' | 'unique' | 'primaryKey';
  /** The engine's CREATE INDEX text where it keeps one (SQLite), to recreate it verbatim on a rebuild. */
  sql?: string;
  /** A partial or expression index: never equal by shape to a plain declared one. */
  partial?: boolean;
  /**
   * The engine's own name when `name` is the constraint's instead: SQLite
   * names the index behind `CONSTRAINT uq_x UNIQUE (a)` `sqlite_autoindex_t_1`.
   */
  engineName?: string;
}

export interface CatalogForeignKey {
  /** null where the engine keeps no name (SQLite foreign keys declared without CONSTRAINT). */
  name: string | null;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface CatalogTable {
  name: string;
  columns: CatalogColumn[];
  primaryKey: string[];
  /** Every index, including those backing unique constraints and the primary key. */
  indexes: CatalogIndex[];
  foreignKeys: CatalogForeignKey[];
  /** The table's own DDL where the engine keeps it (SQLite); used by table rebuilds. */
  sql?: string;
  /**
   * The engine resolves this table's column names without regard to ASCII
   * case (SQLite, MySQL/MariaDB): `nickname` names the column `NickName`
   * there. Absent where names are exact (PostgreSQL's quoted identifiers).
   */
  columnNamesFoldCase?: boolean;
}

export interface CatalogSnapshot {
  tables: Map<string, CatalogTable>;
  /**
   * The engine resolves table names without regard to ASCII case: SQLite,
   * and MySQL/MariaDB with lower_case_table_names 1 or 2 (read with the
   * catalog). Absent where `users` and `Users` are two tables.
   */
  tableNamesFoldCase?: boolean;
}

/**
 * Tables by name. Where the holder keeps an index of the relation names in
 * them (IndexedTables: a run's snapshot), relationNamed() answers whether a
 * table or an index has this name without looking at every table.
 */
export type TablesByName = ReadonlyMap<string, CatalogTable> & {
  relationNamed?(name: string): boolean;
  /** The name a table is kept under that equals `name` but for ASCII case (IndexedTables keeps an index of them). */
  nameFolded?(name: string): string | undefined;
  /** Whether a foreign key of any table has this name. */
  foreignKeyNamed?(name: string): boolean;
};

/** Which names the schema's objects hold, for a generated name to keep clear of them. */
export interface NamesInUse {
  /** A table, or an index or unique constraint of any table. */
  relation(name: string): boolean;
  /** A foreign key of any table. */
  foreignKey(name: string): boolean;
}

/** NamesInUse of a set of tables: from its indexes where it keeps them (IndexedTables), else by looking. */
export function namesInUse(tables: TablesByName): NamesInUse {
  return {
    relation: (name) => tables.relationNamed?.(name)
      ?? [...tables.values()].some((t) => t.name === name || t.indexes.some((i) => i.name === name)),
    foreignKey: (name) => tables.foreignKeyNamed?.(name)
      ?? [...tables.values()].some((t) => t.foreignKeys.some((f) => f.name === name)),
  };
}

/**
 * A name with A-Z lowered, nothing else: what SQLite compares (its
 * sqlite3StrICmp folds ASCII only) and what MySQL's lower_case_table_names
 * and column matching agree on for the names migrations write.
 */
export function foldCase(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/** The column `name` resolves to: exactly, else, where the engine folds case, the one that differs from it only in case. */
export function findColumn(table: CatalogTable, name: string): CatalogColumn | undefined {
  const exact = table.columns.find((c) => c.name === name);
  if (exact || table.columnNamesFoldCase !== true) return exact;
  const folded = foldCase(name);
  return table.columns.find((c) => foldCase(c.name) === folded);
}

/** The table `name` resolves to, as findColumn does for columns; `foldCase` is the snapshot's tableNamesFoldCase. */
export function tableNamed(tables: TablesByName, name: string, foldsCase: boolean | undefined): CatalogTable | undefined {
  const exact = tables.get(name);
  if (exact || foldsCase !== true) return exact;
  if (tables.nameFolded) {
    const kept = tables.nameFolded(name);
    return kept === undefined ? undefined : tables.get(kept);
  }
  const folded = foldCase(name);
  for (const [kept, table] of tables) if (foldCase(kept) === folded) return table;
  return undefined;
}

/** Unique indexes and constraints, the primary key included, as column sets. */
export function uniqueKeys(table: CatalogTable): CatalogIndex[] {
  return table.indexes.filter((i) => i.unique);
}

export function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c, i) => c === b[i]);
}

export function sameColumnSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((c) => set.has(c));
}
