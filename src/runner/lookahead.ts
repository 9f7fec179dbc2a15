/**
 * Drift is judged where the run ends, not midway. An init script usually
 * creates tables in their newest shape, so an old createTable meets a table
 * that later migrations of the same run already shaped. Before the run, each
 * pending migration's `up` is recorded (no SQL sent); an operation then asks
 * whether a later one declares the object that differs, and leaves the
 * judgement to it.
 */
import { TYPE_FIELDS } from '../catalog/compare-shape.ts';
import { foldCase } from '../catalog/snapshot.ts';
import type { ColumnSpec } from '../plan/column-spec.ts';
import type { Operation } from '../plan/operations.ts';
import type { Lookahead, SchemaOperation } from './classify.ts';
import { LeftAbsent } from './left-absent.ts';

export interface RecordedOperation {
  /** Order in the run: migration index, then operation index. */
  position: number;
  revision: string;
  op: Operation;
}

export const POSITIONS_PER_MIGRATION = 1_000_000;

export class RunLookahead {
  /** Sorted by position; each operation's declared objects computed once. */
  readonly #declarations: Array<{ position: number; revision: string; objects: DeclaredObject[] }>;
  /** Renames only: usually none, and every absent table or column asks about them. */
  readonly #renames: RecordedOperation[];
  /** Operations that take a name away from what holds it now (renames from it, drops), for the same questions. */
  readonly #vacating: RecordedOperation[];
  /** Revisions recorded only, never run now: applied migrations after the ones a reapply runs again. */
  readonly #recordedOnly: ReadonlySet<string>;
  /** Schema operations that create, remove or move an object, by the tables they touch, for laterRemoval and laterRecreation. */
  readonly #lifecycleByTable = new Map<string, RecordedOperation[]>();
  /** What this run left absent because a later migration removes it: the data operations between ask. */
  readonly leftAbsent = new LeftAbsent();

  constructor(records: RecordedOperation[], recordedOnly: ReadonlySet<string> = new Set()) {
    const sorted = [...records].sort((a, b) => a.position - b.position);
    this.#declarations = sorted.map((r) => ({ position: r.position, revision: r.revision, objects: declaredObjects(r.op) }));
    this.#renames = sorted.filter((r) => r.op.kind === 'renameTable' || r.op.kind === 'renameColumn');
    this.#vacating = sorted.filter((r) => ['renameTable', 'renameColumn', 'dropTable', 'dropColumn'].includes(r.op.kind));
    this.#recordedOnly = recordedOnly;
    for (const r of sorted) {
      if (r.op.kind === 'executeIf' || r.op.kind === 'sql' || r.op.kind === 'alterColumn') continue;
      const tables = r.op.kind === 'renameTable' ? [r.op.from, r.op.to] : [r.op.table];
      for (const table of tables) {
        const list = this.#lifecycleByTable.get(table);
        if (list) list.push(r);
        else this.#lifecycleByTable.set(table, [r]);
      }
    }
  }

  get size(): number {
    return this.#declarations.length;
  }

  /** What comes after `position`. Questions are answered lazily: most operations ask none. */
  after(position: number): Lookahead {
    const declarations = this.#declarations;
    const renames = this.#renames.filter((r) => r.position > position);
    // What holds a later name now is another table (column) when a later operation moves or drops it
    // before the rename into that name: `t1 -> t5, then t2 -> t1` does not make today's t1 a t2.
    const vacatedBefore = (until: number, table: string, column?: string) => this.#vacating.some((r) => {
      if (r.position <= position || r.position >= until) return false;
      const op = r.op;
      if (column === undefined) return (op.kind === 'renameTable' && op.from === table) || (op.kind === 'dropTable' && op.table === table);
      return (op.kind === 'renameColumn' && op.table === table && op.from === column) || (op.kind === 'dropColumn' && op.table === table && op.column === column)
        || (op.kind === 'renameTable' && op.from === table) || (op.kind === 'dropTable' && op.table === table);
    });
    return {
      laterDeclaration: (object, field, foldsCase) => {
        for (let i = firstAfter(declarations, position); i < declarations.length; i++) {
          const d = declarations[i]!;
          if (d.objects.some((key) => covers(key, object, field) || (foldsCase === true && covers(key, object, field, true)))) return d.revision;
        }
        return undefined;
      },
      laterTableName: (table) => {
        let name = table;
        let entered = position;
        for (const r of renames) {
          if (r.op.kind === 'renameTable' && r.op.from === name) {
            name = r.op.to;
            entered = r.position;
          }
        }
        return name === table || vacatedBefore(entered, name) ? undefined : name;
      },
      laterColumnName: (table, column) => {
        let name = column;
        let entered = position;
        for (const r of renames) {
          if (r.op.kind === 'renameColumn' && r.op.table === table && r.op.from === name) {
            name = r.op.to;
            entered = r.position;
          }
        }
        return name === column || vacatedBefore(entered, table, name) ? undefined : name;
      },
      laterRemoval: (object) => this.#laterRemoval(object, position)?.revision,
      removalOf: (object) => {
        const removal = this.#laterRemoval(object, position);
        return removal && { revision: removal.revision, op: removal.op as SchemaOperation, lookahead: this.after(removal.position) };
      },
      laterCreation: (object) => this.#laterCreation(object, position)?.revision,
      laterRecreation: (op) => this.#laterRecreation(op, position),
      ...(this.#recordedOnly.size > 0 ? { ownedLater: (op: SchemaOperation) => this.#ownedLater(op, position) } : {}),
    };
  }

  /** The lifecycle operations that touch a table (under either name, for a rename), in run order. */
  #onTable(table: string): RecordedOperation[] {
    return this.#lifecycleByTable.get(table) ?? [];
  }

  /**
   * The first later operation of this run that removes the object, when
   * nothing moves its name before: an object a later migration drops need
   * not exist in between, so an absent one is left absent. A rename from or
   * into the name ends the search (what is dropped then is another object).
   */
  #laterRemoval(object: ObjectName, position: number): RecordedOperation | undefined {
    const list = this.#onTable(object.table);
    for (let i = firstAfter(list, position); i < list.length; i++) {
      const effect = effectOn(list[i]!.op, object);
      if (effect === 'removes') return list[i];
      if (effect === 'moves') return undefined;
    }
    return undefined;
  }

  /** The first later operation of this run that creates the object, when nothing removes or moves it before. */
  #laterCreation(object: ObjectName, position: number): RecordedOperation | undefined {
    const list = this.#onTable(object.table);
    for (let i = firstAfter(list, position); i < list.length; i++) {
      const effect = effectOn(list[i]!.op, object);
      if (effect === 'creates') return list[i];
      if (effect !== undefined) return undefined;
    }
    return undefined;
  }

  /**
   * For a drop of an object that this run also creates earlier: the next
   * later operation that creates it again, with the look-ahead from there.
   * The database may hold the object in that last declared shape (an init
   * script made the newest schema), and then the drop in between would only
   * throw its rows away.
   */
  #laterRecreation(drop: SchemaOperation, position: number): ReturnType<Lookahead['laterRecreation']> {
    const object = removedObject(drop);
    if (!object) return undefined;
    const list = this.#onTable(object.table);
    const createdEarlier = list.some((r) => r.position < position && !this.#recordedOnly.has(r.revision) && effectOn(r.op, object) === 'creates');
    if (!createdEarlier) return undefined;
    const again = this.#laterCreation(object, position);
    return again && { revision: again.revision, op: again.op as SchemaOperation, lookahead: this.after(again.position) };
  }

  /**
   * What an already-applied later migration declares is its own: a reapply
   * leaves it alone, so running an old migration again never undoes a later
   * one (re-creating a table it dropped, shrinking a column it widened).
   */
  #ownedLater(op: SchemaOperation, position: number): { op: SchemaOperation } | { owner: string } | undefined {
    const owner = (object: string, field?: string): string | undefined => {
      for (let i = firstAfter(this.#declarations, position); i < this.#declarations.length; i++) {
        const d = this.#declarations[i]!;
        if (this.#recordedOnly.has(d.revision) && d.objects.some((key) => covers(key, object, field))) return d.revision;
      }
      return undefined;
    };
    if (op.kind === 'alterColumn') {
      // Only the fields a later migration declares are its; the others are still this one's to apply.
      const object = `${op.table}.${op.column}`;
      const owners = alteredFields(op.changes).flatMap((field) => {
        const revision = owner(object, field);
        return revision === undefined ? [] : [{ field, revision }];
      });
      if (owners.length === 0) return undefined;
      const changes = withoutFields(op.changes, owners.map((o) => o.field));
      return alteredFields(changes).length === 0 ? { owner: owners[0]!.revision } : { op: { ...op, changes } };
    }
    for (const key of declaredObjects(op)) {
      const revision = (key.fields ?? [undefined]).map((field) => owner(key.object, field)).find((r) => r !== undefined);
      if (revision !== undefined) return { owner: revision };
    }
    return undefined;
  }
}

/** A table, a column of it, or a key (index, unique key, foreign key) of it by name. */
export type ObjectName = { table: string; column?: string; key?: string };

/** The object a drop removes. */
function removedObject(op: SchemaOperation): ObjectName | undefined {
  switch (op.kind) {
    case 'dropTable': return { table: op.table };
    case 'dropColumn': return { table: op.table, column: op.column };
    case 'dropIndex': case 'dropUnique': case 'dropForeignKey': return { table: op.table, key: op.name };
    default: return undefined;
  }
}

/**
 * What an operation does to an object's existence: creates it (createTable
 * creates everything in the table), removes it (a drop of it or of its
 * table), moves its name (a rename from or into it), or nothing.
 */
function effectOn(op: Operation, object: ObjectName): 'creates' | 'removes' | 'moves' | undefined {
  const { table } = object;
  switch (op.kind) {
    // A column is created with the table only if the table declares it; a key is taken to be.
    case 'createTable': return op.table === table && (object.column === undefined || object.column in op.columns) ? 'creates' : undefined;
    case 'dropTable': return op.table === table ? 'removes' : undefined;
    case 'renameTable': return op.from === table || op.to === table ? 'moves' : undefined;
    default: break;
  }
  if (object.column === undefined && object.key === undefined) return undefined;
  if (!('table' in op) || op.table !== table) return undefined;
  if (object.column !== undefined) {
    const column = object.column;
    switch (op.kind) {
      case 'addColumn': return op.column === column ? 'creates' : undefined;
      case 'dropColumn': return op.column === column ? 'removes' : undefined;
      case 'renameColumn': return op.from === column || op.to === column ? 'moves' : undefined;
      default: return undefined;
    }
  }
  const key = object.key;
  switch (op.kind) {
    case 'createIndex': return op.index.name === key ? 'creates' : undefined;
    case 'addUnique': return op.unique.name === key ? 'creates' : undefined;
    case 'addForeignKey': return op.foreignKey.name === key ? 'creates' : undefined;
    case 'dropIndex': case 'dropUnique': case 'dropForeignKey': return op.name === key ? 'removes' : undefined;
    default: return undefined;
  }
}

/** An alterColumn's changes without the given difference fields (`type` stands for every type field). */
function withoutFields(changes: ColumnSpec, fields: readonly string[]): ColumnSpec {
  const rest: ColumnSpec = { ...changes };
  for (const field of fields) {
    const keys = field === 'type' ? TYPE_FIELDS : [field as keyof ColumnSpec];
    for (const key of keys) delete (rest as Record<string, unknown>)[key];
  }
  return rest;
}

/** Index of the first entry past `position` (binary search: the list is sorted). */
function firstAfter(list: ReadonlyArray<{ position: number }>, position: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.position <= position) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * An object whose final shape an operation declares: `users.*` (the table and
 * everything in it), `users.email` (that column or key). `fields`, when set,
 * limits it to those fields: `alterColumn(t, c, { nullable: false })`
 * settles the column's nullability, not a type it leaves alone.
 */
export interface DeclaredObject {
  object: string;
  fields?: readonly string[];
}

function covers(key: DeclaredObject, declared: string, field: string | undefined, foldsCase = false): boolean {
  if (key.fields && field !== undefined && !key.fields.includes(field)) return false;
  const [keyObject, object] = foldsCase ? [foldCase(key.object), foldCase(declared)] : [key.object, declared];
  if (keyObject === object) return true;
  if (!keyObject.endsWith('.*')) return false;
  const table = keyObject.slice(0, -2);
  return object === table || object.startsWith(`${table}.`);
}

/** The objects whose final shape an operation declares. */
export function declaredObjects(op: Operation): DeclaredObject[] {
  const all = (...objects: string[]): DeclaredObject[] => objects.map((object) => ({ object }));
  switch (op.kind) {
    case 'createTable': case 'dropTable': return all(`${op.table}.*`);
    case 'renameTable': return all(`${op.from}.*`, `${op.to}.*`);
    case 'addColumn': case 'dropColumn': return all(`${op.table}.${op.column}`);
    case 'alterColumn': return [{ object: `${op.table}.${op.column}`, fields: alteredFields(op.changes) }];
    case 'renameColumn': return all(`${op.table}.${op.from}`, `${op.table}.${op.to}`);
    case 'createIndex': return keyObjects(op.table, op.index.name, op.index.columns, op.index.unique);
    case 'addUnique': return keyObjects(op.table, op.unique.name, op.unique.columns, true);
    case 'addForeignKey': return all(`${op.table}.${op.foreignKey.name}`);
    case 'dropIndex': case 'dropUnique': case 'dropForeignKey': return all(`${op.table}.${op.name}`);
    case 'executeIf': case 'sql': return [];
  }
}

/** The difference fields (as compare-shape names them) an alterColumn decides; it applies only these. */
function alteredFields(changes: ColumnSpec): string[] {
  const fields: string[] = [];
  if (TYPE_FIELDS.some((f) => changes[f] !== undefined)) fields.push('type');
  for (const f of ['nullable', 'default', 'unique'] as const) if (changes[f] !== undefined) fields.push(f);
  return fields;
}

function keyObjects(table: string, name: string, columns: string[], unique: boolean): DeclaredObject[] {
  // A single-column unique key also settles the column's own `unique`, and nothing else about it.
  const key: DeclaredObject[] = [{ object: `${table}.${name}` }];
  if (unique && columns.length === 1) key.push({ object: `${table}.${columns[0]}`, fields: ['unique'] });
  return key;
}
