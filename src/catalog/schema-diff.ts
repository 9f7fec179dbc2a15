/**
 * What differs between two states of a database, as data: which table, which
 * part of it (column, key, index, foreign key, its rows), which field, what
 * was expected and what is there. `idem verify` compares the state after a
 * step with the state it should equal; the messages name the object and the
 * field, never "the fingerprints differ".
 *
 * Pure: no database. The schema side takes the normalized description
 * `idem schema` prints (src/api/schema.ts); it is typed structurally here
 * because this layer sits above the API that builds it.
 */

/** The parts of a normalized table description the diff reads. */
export interface DescribedTable {
  name: string;
  columns: ReadonlyArray<{ name: string }>;
  primaryKey: readonly string[];
  uniqueKeys: ReadonlyArray<{ name: string }>;
  indexes: ReadonlyArray<{ name: string }>;
  foreignKeys: ReadonlyArray<{ name: string | null; columns: readonly string[]; refTable: string; refColumns: readonly string[] }>;
}

export interface DescribedSchema {
  tables: readonly DescribedTable[];
}

/** One table's rows, summarised: how many, and a checksum of their values (order-independent). */
export interface TableData {
  table: string;
  rows: number;
  checksum: string;
}

export type DifferenceObject = 'table' | 'column' | 'primary key' | 'unique key' | 'index' | 'foreign key' | 'rows';

export interface StateDifference {
  table: string;
  object: DifferenceObject;
  /** The column, key or index; absent for the table itself, its primary key and its rows. */
  name?: string;
  /** `present` for existence; otherwise the field that differs (`type`, `nullable`, `columns`, `checksum` …). */
  field: string;
  expected: unknown;
  actual: unknown;
}

/** The named parts of a table, each with the word a message uses for it. */
const PARTS = [
  ['columns', 'column'],
  ['uniqueKeys', 'unique key'],
  ['indexes', 'index'],
  ['foreignKeys', 'foreign key'],
] as const;

/** Differences from `expected` to `actual`, tables in name order, parts in the order of PARTS. */
export function diffSchema(expected: DescribedSchema, actual: DescribedSchema): StateDifference[] {
  const differences: StateDifference[] = [];
  const before = new Map(expected.tables.map((t) => [t.name, t]));
  const after = new Map(actual.tables.map((t) => [t.name, t]));
  for (const name of sortedUnion(before.keys(), after.keys())) {
    const a = before.get(name);
    const b = after.get(name);
    if (!a || !b) {
      differences.push({ table: name, object: 'table', field: 'present', expected: a !== undefined, actual: b !== undefined });
      continue;
    }
    for (const [key, object] of PARTS) {
      differences.push(...diffParts(name, object, a[key], b[key]));
    }
    if (!same(a.primaryKey, b.primaryKey)) {
      differences.push({ table: name, object: 'primary key', field: 'columns', expected: [...a.primaryKey], actual: [...b.primaryKey] });
    }
  }
  return differences;
}

/** Row counts and checksums of the tables both states have (a table present on one side only is a schema difference). */
export function diffData(expected: readonly TableData[], actual: readonly TableData[]): StateDifference[] {
  const after = new Map(actual.map((t) => [t.table, t]));
  const differences: StateDifference[] = [];
  for (const a of [...expected].sort((x, y) => compare(x.table, y.table))) {
    const b = after.get(a.table);
    if (!b) continue;
    if (a.rows !== b.rows) differences.push({ table: a.table, object: 'rows', field: 'count', expected: a.rows, actual: b.rows });
    else if (a.checksum !== b.checksum) differences.push({ table: a.table, object: 'rows', field: 'checksum', expected: a.rows, actual: b.rows });
  }
  return differences;
}

/**
 * One line a person reads: `table posts: column extra present after down
 * (expected absent)`, `table users: column email type varchar(100) ->
 * varchar(200)`, `table users: rows 3 -> 6 (checksum changed)`. `when` says
 * after what the state was read (`after down`).
 */
export function describeDifference(d: StateDifference, when?: string): string {
  const after = when ? ` ${when}` : '';
  if (d.object === 'table') {
    return `table ${d.table} ${presence(d.actual)}${after} (expected ${presence(d.expected)})`;
  }
  if (d.object === 'rows') {
    return d.field === 'count'
      ? `table ${d.table}: rows ${String(d.expected)} -> ${String(d.actual)}${after} (checksum changed)`
      : `table ${d.table}: rows changed${after} (${String(d.actual)} row(s), same count, checksum changed)`;
  }
  const part = d.name === undefined ? d.object : `${d.object} ${d.name}`;
  if (d.field === 'present') return `table ${d.table}: ${part} ${presence(d.actual)}${after} (expected ${presence(d.expected)})`;
  const field = d.object === 'primary key' ? '' : ` ${FIELD_WORDS[d.field] ?? d.field}`;
  return `table ${d.table}: ${part}${field} ${show(d.expected)} -> ${show(d.actual)}${after}`;
}

/** Field names as a message says them. */
const FIELD_WORDS: Record<string, string> = {
  autoIncrement: 'auto increment', onDelete: 'on delete', onUpdate: 'on update', refTable: 'references', refColumns: 'referenced columns',
};

function diffParts(table: string, object: DifferenceObject, expected: ReadonlyArray<object>, actual: ReadonlyArray<object>): StateDifference[] {
  const before = new Map(expected.map((p) => [partKey(p), p]));
  const after = new Map(actual.map((p) => [partKey(p), p]));
  const differences: StateDifference[] = [];
  for (const key of sortedUnion(before.keys(), after.keys())) {
    const a = before.get(key);
    const b = after.get(key);
    if (!a || !b) {
      differences.push({ table, object, name: key, field: 'present', expected: a !== undefined, actual: b !== undefined });
      continue;
    }
    const fa = a as Record<string, unknown>;
    const fb = b as Record<string, unknown>;
    for (const field of sortedUnion(Object.keys(fa), Object.keys(fb))) {
      if (field === 'name' || same(fa[field], fb[field])) continue;
      differences.push({ table, object, name: key, field, expected: fa[field] ?? null, actual: fb[field] ?? null });
    }
  }
  return differences;
}

/**
 * Parts match by name. A foreign key the engine keeps no name for (SQLite's
 * `REFERENCES` without CONSTRAINT) matches by its shape instead.
 */
function partKey(part: object): string {
  const p = part as { name: string | null; columns?: readonly string[]; refTable?: string; refColumns?: readonly string[] };
  if (p.name !== null && p.name !== undefined) return p.name;
  return `(${(p.columns ?? []).join(', ')}) -> ${p.refTable ?? '?'} (${(p.refColumns ?? []).join(', ')})`;
}

function presence(present: unknown): string {
  return present ? 'present' : 'absent';
}

function show(value: unknown): string {
  if (Array.isArray(value)) return `(${value.join(', ')})`;
  if (value === null || value === undefined) return 'none';
  return String(value);
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function sortedUnion(a: Iterable<string>, b: Iterable<string>): string[] {
  return [...new Set([...a, ...b])].sort(compare);
}

/** Code-point order: the same on every machine, whatever its locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
