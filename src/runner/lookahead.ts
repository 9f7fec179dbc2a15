/**
 * Drift is judged where the run ends, not midway. An init script usually
 * creates tables in their newest shape, so an old createTable meets a table
 * that later migrations of the same run already shaped. Before the run, each
 * pending migration's `up` is recorded (no SQL sent); an operation then asks
 * whether a later one declares the object that differs, and leaves the
 * judgement to it.
 */
import type { Operation } from '../plan/operations.ts';
import type { Lookahead } from './classify.ts';

export interface RecordedOperation {
  /** Order in the run: migration index, then operation index. */
  position: number;
  revision: string;
  op: Operation;
}

export const POSITIONS_PER_MIGRATION = 1_000_000;

export class RunLookahead {
  readonly #records: RecordedOperation[];

  constructor(records: RecordedOperation[]) {
    this.#records = [...records].sort((a, b) => a.position - b.position);
  }

  get size(): number {
    return this.#records.length;
  }

  /** What comes after `position`. */
  after(position: number): Lookahead {
    const later = this.#records.filter((r) => r.position > position);
    return {
      laterDeclaration: (object) => later.find((r) => declaredObjects(r.op).some((key) => covers(key, object)))?.revision,
      laterTableName: (table) => {
        let name = table;
        for (const r of later) if (r.op.kind === 'renameTable' && r.op.from === name) name = r.op.to;
        return name === table ? undefined : name;
      },
      laterColumnName: (table, column) => {
        let name = column;
        for (const r of later) if (r.op.kind === 'renameColumn' && r.op.table === table && r.op.from === name) name = r.op.to;
        return name === column ? undefined : name;
      },
    };
  }
}

/** `users.*` covers the table and everything in it; `users.email` covers that column or key. */
function covers(key: string, object: string): boolean {
  if (key === object) return true;
  if (!key.endsWith('.*')) return false;
  const table = key.slice(0, -2);
  return object === table || object.startsWith(`${table}.`);
}

/** The objects whose final shape an operation declares. */
export function declaredObjects(op: Operation): string[] {
  switch (op.kind) {
    case 'createTable': case 'dropTable': return [`${op.table}.*`];
    case 'renameTable': return [`${op.from}.*`, `${op.to}.*`];
    case 'addColumn': case 'dropColumn': case 'alterColumn': return [`${op.table}.${op.column}`];
    case 'renameColumn': return [`${op.table}.${op.from}`, `${op.table}.${op.to}`];
    case 'createIndex': return keyObjects(op.table, op.index.name, op.index.columns);
    case 'addUnique': return keyObjects(op.table, op.unique.name, op.unique.columns);
    case 'addForeignKey': return [`${op.table}.${op.foreignKey.name}`];
    case 'dropIndex': case 'dropUnique': case 'dropForeignKey': return [`${op.table}.${op.name}`];
    case 'executeIf': case 'sql': return [];
  }
}

function keyObjects(table: string, name: string, columns: string[]): string[] {
  // A single-column key also settles the column's own `unique`.
  return columns.length === 1 ? [`${table}.${name}`, `${table}.${columns[0]}`] : [`${table}.${name}`];
}
