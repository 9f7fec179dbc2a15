/**
 * What a random migration chain has built so far, as the generator in
 * random-chain.ts tracks it: tables, their columns, keys and rows, and every
 * index and constraint name in use. The generator consults it to emit only
 * operations a clean run applies without error (drop only what exists, rename
 * to free names, unique keys only over distinct values, foreign keys only over
 * values the parent has), then updates it as the operation would.
 *
 * It is deliberately conservative where the engines differ: index and
 * constraint names are unique across the whole database (PostgreSQL and
 * SQLite index names, MariaDB foreign key names are per database), and the
 * columns that carry foreign keys are never indexed, altered or updated
 * (MariaDB lends a foreign key any index that starts with its column and then
 * refuses to drop that index).
 */
import type { ReferentialAction } from '../../src/plan/column-spec.ts';

export type ColumnKind = 'string' | 'text' | 'integer' | 'bigint' | 'boolean' | 'decimal' | 'date';

/** A value as SQL spells it (`'v3'`, `7`, `TRUE`) and as a bound parameter carries it. */
export interface Literal {
  sql: string;
  js: string | number | boolean;
}

export interface ModelColumn {
  name: string;
  kind: ColumnKind;
  /** `string` only. */
  length?: number;
  nullable: boolean;
  default?: Literal;
  /** Holds ids of a table (an integer, nullable): the column foreign keys are declared on. */
  ref: boolean;
}

export interface ModelIndex {
  name: string;
  columns: string[];
  unique: boolean;
  /** A unique constraint (addUnique, `unique: true`) rather than an index (createIndex). */
  constraint: boolean;
}

export interface ModelForeignKey {
  name: string;
  column: string;
  refTable: string;
  onDelete?: ReferentialAction;
}

export type Row = Map<string, Literal | null>;

export interface ModelTable {
  name: string;
  /** Every table has an integer primary key `id`; inserts always give it. */
  autoIncrement: boolean;
  columns: ModelColumn[];
  indexes: ModelIndex[];
  foreignKeys: ModelForeignKey[];
  /** By id. */
  rows: Map<number, Row>;
}

export const TABLE_NAMES = ['t1', 't2', 't3', 't4', 't5'] as const;
export const DATA_COLUMN_NAMES = ['a', 'b', 'c', 'd', 'e'] as const;
export const REF_COLUMN_NAMES = ['p_id', 'q_id'] as const;
/** Every string column is at least 8 long and every string value at most 6: a length change never truncates. */
export const STRING_LENGTHS = [8, 20, 64, 255] as const;

export class ChainModel {
  readonly tables = new Map<string, ModelTable>();
  /** Index and constraint names in use, database-wide. */
  readonly names = new Set<string>();

  table(name: string): ModelTable {
    const t = this.tables.get(name);
    if (!t) throw new Error(`model: no table ${name}`);
    return t;
  }

  freeTableNames(): string[] {
    return TABLE_NAMES.filter((n) => !this.tables.has(n));
  }

  addTable(t: ModelTable): void {
    this.tables.set(t.name, t);
    for (const i of t.indexes) this.names.add(i.name);
    for (const f of t.foreignKeys) this.names.add(f.name);
  }

  dropTable(name: string): void {
    const t = this.table(name);
    for (const i of t.indexes) this.names.delete(i.name);
    for (const f of t.foreignKeys) this.names.delete(f.name);
    this.tables.delete(name);
  }

  /** Tables whose foreign keys point at `name` (itself excluded). */
  referencedBy(name: string): ModelTable[] {
    return [...this.tables.values()].filter((t) => t.name !== name && t.foreignKeys.some((f) => f.refTable === name));
  }

  renameTable(from: string, to: string): void {
    const t = this.table(from);
    this.tables.delete(from);
    t.name = to;
    this.tables.set(to, t);
    for (const other of this.tables.values()) for (const f of other.foreignKeys) if (f.refTable === from) f.refTable = to;
  }

  addColumn(table: string, column: ModelColumn): void {
    const t = this.table(table);
    t.columns.push(column);
    for (const row of t.rows.values()) row.set(column.name, column.default ?? null);
  }

  /** The column goes with every index, key and foreign key that uses it, as idem drops it on every engine. */
  dropColumn(table: string, column: string): void {
    const t = this.table(table);
    t.columns = t.columns.filter((c) => c.name !== column);
    for (const i of t.indexes.filter((i) => i.columns.includes(column))) this.dropIndex(table, i.name);
    for (const f of t.foreignKeys.filter((f) => f.column === column)) this.dropForeignKey(table, f.name);
    for (const row of t.rows.values()) row.delete(column);
  }

  renameColumn(table: string, from: string, to: string): void {
    const t = this.table(table);
    column(t, from).name = to;
    for (const i of t.indexes) i.columns = i.columns.map((c) => (c === from ? to : c));
    for (const f of t.foreignKeys) if (f.column === from) f.column = to;
    for (const row of t.rows.values()) {
      row.set(to, row.get(from) ?? null);
      row.delete(from);
    }
  }

  addIndex(table: string, index: ModelIndex): void {
    this.table(table).indexes.push(index);
    this.names.add(index.name);
  }

  dropIndex(table: string, name: string): void {
    const t = this.table(table);
    t.indexes = t.indexes.filter((i) => i.name !== name);
    this.names.delete(name);
  }

  addForeignKey(table: string, fk: ModelForeignKey): void {
    this.table(table).foreignKeys.push(fk);
    this.names.add(fk.name);
  }

  dropForeignKey(table: string, name: string): void {
    const t = this.table(table);
    t.foreignKeys = t.foreignKeys.filter((f) => f.name !== name);
    this.names.delete(name);
  }
}

export function column(t: ModelTable, name: string): ModelColumn {
  const c = t.columns.find((c) => c.name === name);
  if (!c) throw new Error(`model: no column ${t.name}.${name}`);
  return c;
}

/** Columns an index or unique key may use: not the foreign-key columns, not text (MariaDB cannot index it without a prefix). */
export function indexableColumns(t: ModelTable): ModelColumn[] {
  return t.columns.filter((c) => !c.ref && c.kind !== 'text');
}

/** An index or key over the same set of columns already exists (idem would skip a second one as present by shape). */
export function hasKeyOn(t: ModelTable, columns: readonly string[]): boolean {
  const key = [...columns].sort().join(',');
  return t.indexes.some((i) => [...i.columns].sort().join(',') === key);
}

/** Whether the rows' values over `columns` are distinct (NULLs never collide, on every engine). */
export function distinctOver(rows: Iterable<Row>, columns: readonly string[]): boolean {
  const seen = new Set<string>();
  for (const row of rows) {
    const values = columns.map((c) => row.get(c) ?? null);
    if (values.some((v) => v === null)) continue;
    const key = values.map((v) => v!.sql).join('\u0000');
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

/** The row a table would hold with `row` added: omitted columns take their default, or NULL. */
export function completeRow(t: ModelTable, given: Map<string, Literal | null>): Row {
  const row: Row = new Map();
  for (const c of t.columns) row.set(c.name, given.has(c.name) ? given.get(c.name)! : c.default ?? null);
  return row;
}

/** Whether adding `row` keeps every unique key of the table satisfied. */
export function keepsUnique(t: ModelTable, row: Row): boolean {
  return t.indexes.filter((i) => i.unique).every((i) => distinctOver([...t.rows.values(), row], i.columns));
}

/** The value `n` in a column of this kind. Strings stay within 6 characters (see STRING_LENGTHS). */
export function literal(kind: ColumnKind, n: number): Literal {
  switch (kind) {
    case 'string': case 'text': return { sql: `'v${n}'`, js: `v${n}` };
    case 'integer': case 'bigint': return { sql: String(n), js: n };
    case 'boolean': return n % 2 === 0 ? { sql: 'TRUE', js: true } : { sql: 'FALSE', js: false };
    case 'decimal': return { sql: `${n}.25`, js: n + 0.25 };
    case 'date': {
      const day = `2024-01-${String((n % 28) + 1).padStart(2, '0')}`;
      return { sql: `'${day}'`, js: day };
    }
  }
}
