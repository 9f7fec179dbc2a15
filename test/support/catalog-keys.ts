/**
 * Every index and key of some tables, read from the engine's own catalog
 * (not through idem's reader, whose judgement is what is under test), one
 * line each: `index posts (user_id, slug) unique`, `foreign key user_groups
 * (user_id) -> users (id)`, `unique constraint users (email)`. Taken before
 * and after an adoption, the two lists show any index or key it added: a
 * duplicate of what an ORM made under its own name.
 */
import type { TestProject } from './project.ts';

export async function catalogKeys(p: TestProject, tables: readonly string[]): Promise<string[]> {
  const lines: string[] = [];
  for (const table of tables) lines.push(...await keysOf(p, table));
  return lines.sort();
}

/** What `after` has more of than `before` (a line counted as often as it occurs). */
export function addedKeys(before: readonly string[], after: readonly string[]): string[] {
  const left = [...before];
  return after.filter((line) => {
    const i = left.indexOf(line);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

const list = (columns: string[]): string => `(${columns.join(', ')})`;

async function keysOf(p: TestProject, table: string): Promise<string[]> {
  switch (p.engine.name) {
    case 'sqlite': return sqliteKeys(p, table);
    case 'postgres': return postgresKeys(p, table);
    case 'mariadb': return mariadbKeys(p, table);
  }
}

/**
 * SQLite: every index (`PRAGMA index_list`, which also lists the automatic
 * indexes behind PRIMARY KEY and UNIQUE constraints, origin `pk` / `u`) and
 * every foreign key (`PRAGMA foreign_key_list`, one row per column, grouped
 * by id). A rowid table's INTEGER PRIMARY KEY has no index: it is the rowid.
 * https://www.sqlite.org/pragma.html#pragma_index_list
 */
async function sqliteKeys(p: TestProject, table: string): Promise<string[]> {
  const out: string[] = [];
  const indexes = await p.query<{ name: string; unique: number; origin: string }>(
    'SELECT name, "unique", origin FROM pragma_index_list(?)', [table]);
  for (const index of indexes) {
    const columns = await p.query<{ name: string }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [index.name]);
    out.push(`index ${table} ${list(columns.map((c) => c.name))}${index.unique ? ' unique' : ''} (${index.origin})`);
  }
  const keys = await p.query<{ id: number; table: string; from: string; to: string }>(
    'SELECT id, "table", "from", "to" FROM pragma_foreign_key_list(?) ORDER BY id, seq', [table]);
  const byId = new Map<number, { ref: string; from: string[]; to: string[] }>();
  for (const k of keys) {
    const key = byId.get(k.id) ?? { ref: k.table, from: [], to: [] };
    key.from.push(k.from);
    key.to.push(k.to);
    byId.set(k.id, key);
  }
  for (const k of byId.values()) out.push(`foreign key ${table} ${list(k.from)} -> ${k.ref} ${list(k.to)}`);
  return out;
}

/**
 * PostgreSQL: every index on the table (pg_index, which includes those
 * behind primary key and unique constraints) and every constraint
 * (pg_constraint: p, u, f), each with its columns in key order.
 * https://www.postgresql.org/docs/current/catalog-pg-index.html
 */
async function postgresKeys(p: TestProject, table: string): Promise<string[]> {
  const indexes = await p.query<{ columns: string[]; unique: boolean }>(`
    SELECT ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns,
           i.indisunique AS unique
    FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
    WHERE t.relname = ? AND t.relnamespace = current_schema()::regnamespace`, [table]);
  const constraints = await p.query<{ type: string; columns: string[]; ref: string | null; ref_columns: string[] | null }>(`
    SELECT c.contype::text AS type,
           ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns,
           r.relname AS ref,
           ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS ref_columns
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid LEFT JOIN pg_class r ON r.oid = c.confrelid
    WHERE t.relname = ? AND t.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u', 'f')`, [table]);
  const kinds: Record<string, string> = { p: 'primary key', u: 'unique constraint', f: 'foreign key' };
  return [
    ...indexes.map((i) => `index ${table} ${list(i.columns)}${i.unique ? ' unique' : ''}`),
    ...constraints.map((c) => `${kinds[c.type]} ${table} ${list(c.columns)}${c.type === 'f' ? ` -> ${c.ref} ${list(c.ref_columns ?? [])}` : ''}`),
  ];
}

/**
 * MariaDB/MySQL: every index (information_schema.STATISTICS, one row per
 * column; PRIMARY, unique keys and the indexes InnoDB adds for foreign keys
 * among them) and every foreign key (KEY_COLUMN_USAGE rows that reference a
 * table), grouped by name in column order.
 * https://mariadb.com/kb/en/information-schema-statistics-table/
 */
async function mariadbKeys(p: TestProject, table: string): Promise<string[]> {
  const indexRows = await p.query<{ name: string; column_name: string; non_unique: number | string }>(`
    SELECT INDEX_NAME AS name, COLUMN_NAME AS column_name, NON_UNIQUE AS non_unique FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX`, [table]);
  const indexes = new Map<string, { columns: string[]; unique: boolean }>();
  for (const r of indexRows) {
    const index = indexes.get(r.name) ?? { columns: [], unique: Number(r.non_unique) === 0 };
    index.columns.push(r.column_name);
    indexes.set(r.name, index);
  }
  const keyRows = await p.query<{ name: string; column_name: string; ref: string; ref_column: string }>(`
    SELECT CONSTRAINT_NAME AS name, COLUMN_NAME AS column_name, REFERENCED_TABLE_NAME AS ref, REFERENCED_COLUMN_NAME AS ref_column
    FROM information_schema.KEY_COLUMN_USAGE
    WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND REFERENCED_TABLE_NAME IS NOT NULL
    ORDER BY CONSTRAINT_NAME, ORDINAL_POSITION`, [table]);
  const keys = new Map<string, { ref: string; from: string[]; to: string[] }>();
  for (const r of keyRows) {
    const key = keys.get(r.name) ?? { ref: r.ref, from: [], to: [] };
    key.from.push(r.column_name);
    key.to.push(r.ref_column);
    keys.set(r.name, key);
  }
  return [
    ...[...indexes.values()].map((i) => `index ${table} ${list(i.columns)}${i.unique ? ' unique' : ''}`),
    ...[...keys.values()].map((k) => `foreign key ${table} ${list(k.from)} -> ${k.ref} ${list(k.to)}`),
  ];
}
