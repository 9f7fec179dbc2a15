/**
 * What a database holds, for comparing two of them: the schema as `schema()`
 * describes it (with its fingerprint), every table's rows (contents, sorted,
 * each row's columns by name, since ALTER TABLE order may differ), and the
 * version table's revisions as recorded (duplicates kept).
 */
import { schema, type SchemaTable } from '../../src/api/schema.ts';
import { VERSION_TABLE } from '../../src/runner/version-table.ts';
import type { TestProject } from './project.ts';

export interface DatabaseState {
  fingerprint: string;
  tables: Map<string, { schema: SchemaTable; rows: string[] }>;
  /** Sorted; a revision recorded twice appears twice. */
  revisions: string[];
}

export async function readState(p: TestProject): Promise<DatabaseState> {
  const described = await schema({ url: p.url });
  const tables: DatabaseState['tables'] = new Map();
  const session = await p.session();
  try {
    for (const t of described.tables) {
      const rows = await session.driver.query(`SELECT * FROM ${session.quoteIdentifier(t.name)}`);
      tables.set(t.name, { schema: t, rows: rows.map(canonicalRow).sort() });
    }
    const versions = await session.driver.query<{ revision: string }>(`SELECT revision FROM ${session.quoteIdentifier(VERSION_TABLE)}`);
    return { fingerprint: described.fingerprint, tables, revisions: versions.map((r) => r.revision).sort() };
  } finally {
    await session.close();
  }
}

function canonicalRow(row: Record<string, unknown>): string {
  const entries = Object.entries(row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify(Object.fromEntries(entries.map(([k, v]) => [k, canonicalValue(v)])));
}

function canonicalValue(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v;
}

/** What differs between the expected state and the actual one, a line per fact; empty when equal. */
export function stateDifferences(expected: DatabaseState, actual: DatabaseState): string[] {
  const out: string[] = [];
  if (expected.fingerprint !== actual.fingerprint) out.push(`schema fingerprint ${actual.fingerprint.slice(0, 12)}, expected ${expected.fingerprint.slice(0, 12)}`);
  const names = [...new Set([...expected.tables.keys(), ...actual.tables.keys()])].sort();
  for (const name of names) {
    const e = expected.tables.get(name);
    const a = actual.tables.get(name);
    if (!a) { out.push(`table ${name}: missing`); continue; }
    if (!e) { out.push(`table ${name}: not expected (${JSON.stringify(a.schema)})`); continue; }
    for (const part of ['columns', 'primaryKey', 'uniqueKeys', 'indexes', 'foreignKeys'] as const) {
      const [es, as] = [JSON.stringify(e.schema[part]), JSON.stringify(a.schema[part])];
      if (es !== as) out.push(`table ${name} ${part}:\n    expected ${es}\n    actual   ${as}`);
    }
    const missing = e.rows.filter((r) => !a.rows.includes(r));
    const extra = a.rows.filter((r) => !e.rows.includes(r));
    if (missing.length) out.push(`table ${name}: rows missing: ${missing.join(' ')}`);
    if (extra.length) out.push(`table ${name}: rows not expected: ${extra.join(' ')}`);
    if (!missing.length && !extra.length && e.rows.length !== a.rows.length) out.push(`table ${name}: ${a.rows.length} rows, expected ${e.rows.length}`);
  }
  if (JSON.stringify(expected.revisions) !== JSON.stringify(actual.revisions)) {
    out.push(`version table: ${JSON.stringify(actual.revisions)}, expected ${JSON.stringify(expected.revisions)}`);
  }
  return out;
}
