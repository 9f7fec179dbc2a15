/**
 * Random chains of valid migrations, for the kill-and-rerun property test.
 *
 * fast-check generates plain choices (per migration, per operation, a list of
 * small numbers); `buildChain` reads them against a model of what the chain
 * has built so far (chain-model.ts) and emits only operations a clean run
 * applies without error. A choice that fits nothing the model holds (drop an
 * index when there is none) is left out. Shrinking therefore only ever sees
 * valid chains: fewer migrations, fewer operations, smaller numbers (0 always
 * means the simplest option: the first table, no default, nullable).
 */
import fc from 'fast-check';
import type { ReferentialAction } from '../../src/plan/column-spec.ts';
import { defaultConstraintName, uniqueColumnConstraintName } from '../../src/plan/constraint-names.ts';
import {
  ChainModel, completeRow, DATA_COLUMN_NAMES, distinctOver, hasKeyOn, indexableColumns, keepsUnique, literal,
  REF_COLUMN_NAMES, STRING_LENGTHS, type ColumnKind, type Literal, type ModelColumn, type ModelTable,
} from './chain-model.ts';

/** One `await m.<method>(...args)` line of a migration. */
export interface Step {
  method: string;
  args: unknown[];
}

export interface Migration {
  revision: string;
  steps: Step[];
}

/** Migrations in order, each revising the one before. */
export type Chain = Migration[];

/** Per migration, per operation, the numbers the operation is chosen with. */
export type ChainChoices = number[][][];

const PICKS_PER_STEP = 24;

export function chainChoices(limits: { migrations: number; steps: number } = { migrations: 5, steps: 6 }): fc.Arbitrary<ChainChoices> {
  const step = fc.array(fc.nat({ max: 999 }), { minLength: PICKS_PER_STEP, maxLength: PICKS_PER_STEP });
  return fc.array(fc.array(step, { minLength: 1, maxLength: limits.steps }), { minLength: 1, maxLength: limits.migrations });
}

/**
 * `crash`: the kill-and-rerun property's mix. `transient`: the adoption
 * property's (test/property/adopt-final-shape.test.ts): drops about as common
 * as creates, so objects are made and removed again within one chain (names
 * come from small pools, so a dropped one is often made again), and inserts
 * that break the keys a chain dropped: a value a unique key no longer
 * forbids, a reference no foreign key checks any more.
 */
export type ChainProfile = 'crash' | 'transient';

export function buildChain(choices: ChainChoices, profile: ChainProfile = 'crash'): Chain {
  const model = new ChainModel();
  const fresh = { n: 100 };
  const chain: Chain = [];
  const generators = profile === 'transient' ? TRANSIENT_GENERATORS : GENERATORS;
  for (const migration of choices) {
    const steps: Step[] = [];
    for (const numbers of migration) {
      const step = chooseStep({ model, p: new Picks(numbers), fresh, violate: profile === 'transient' }, generators);
      if (step) steps.push(step);
    }
    if (steps.length > 0) chain.push({ revision: `r${chain.length + 1}`, steps });
  }
  return chain;
}

/** Reads choices in order; past the end every choice is 0. */
class Picks {
  readonly #numbers: number[];
  #next = 0;

  constructor(numbers: number[]) {
    this.#numbers = numbers;
  }

  below(n: number): number {
    const value = this.#numbers[this.#next++] ?? 0;
    return n <= 1 ? 0 : value % n;
  }

  /** `percent` in 100; a 0 choice says no. */
  chance(percent: number): boolean {
    return this.below(100) >= 100 - percent;
  }

  one<T>(list: readonly T[]): T {
    if (list.length === 0) throw new Error('Picks.one: empty list');
    return list[this.below(list.length)]!;
  }

  maybeOne<T>(list: readonly T[]): T | undefined {
    return list.length === 0 ? undefined : this.one(list);
  }
}

/** What a generator works with: the model, its choices, a counter for values that must be new. */
interface Gen {
  model: ChainModel;
  p: Picks;
  fresh: { n: number };
  /** Inserts may hold what a dropped key forbade (duplicates, orphans). */
  violate: boolean;
}

type Generator = (g: Gen) => Step | null;

/** Kinds by weight out of 100; the first, createTable, is where every choice shrinks to. */
const GENERATORS: Array<[number, Generator]> = [
  [9, createTable], [16, insertRow], [10, addColumn], [9, updateRows], [7, createIndex], [6, addUnique],
  [6, addForeignKey], [9, alterColumn], [5, renameColumn], [4, dropColumn], [4, renameTable], [4, dropIndex],
  [3, dropUnique], [3, dropForeignKey], [3, deleteRow], [2, dropTable],
];

/** Sums to 100, as GENERATORS does. */
const TRANSIENT_GENERATORS: Array<[number, Generator]> = [
  [9, createTable], [14, insertRow], [9, addColumn], [5, updateRows], [7, createIndex], [7, addUnique],
  [6, addForeignKey], [5, alterColumn], [3, renameColumn], [7, dropColumn], [2, renameTable], [6, dropIndex],
  [7, dropUnique], [6, dropForeignKey], [2, deleteRow], [5, dropTable],
];

function chooseStep(g: Gen, generators: Array<[number, Generator]>): Step | null {
  let roll = g.p.below(100);
  if (g.model.tables.size === 0) return createTable(g);
  for (const [weight, generate] of generators) {
    if (roll < weight) return generate(g);
    roll -= weight;
  }
  return null;
}

const KINDS: readonly ColumnKind[] = ['string', 'integer', 'text', 'bigint', 'boolean', 'decimal', 'date'];
const ON_DELETE: ReadonlyArray<ReferentialAction | undefined> = [undefined, 'cascade', 'set null', 'restrict', 'no action'];

/** A data column's model and the spec a migration declares it with. NOT NULL needs a default once the table has rows. */
function dataColumn(p: Picks, name: string, tableHasRows: boolean): { column: ModelColumn; spec: Record<string, unknown> } {
  const kind = p.one(KINDS);
  const column: ModelColumn = { name, kind, nullable: !p.chance(30), ref: false };
  const spec: Record<string, unknown> = { type: kind };
  if (kind === 'string') spec.length = column.length = p.one(STRING_LENGTHS);
  if (kind === 'decimal') Object.assign(spec, { precision: 8, scale: 2 });
  if (!column.nullable) spec.nullable = false;
  if ((!column.nullable && tableHasRows) || p.chance(30)) {
    column.default = literal(kind, p.below(50));
    spec.default = column.default.js;
  }
  return { column, spec };
}

function refColumn(name: string): { column: ModelColumn; spec: Record<string, unknown> } {
  return { column: { name, kind: 'integer', nullable: true, ref: true }, spec: { type: 'integer' } };
}

function freeColumnName(t: ModelTable, p: Picks, ref: boolean): string | undefined {
  const pool: readonly string[] = ref ? REF_COLUMN_NAMES : DATA_COLUMN_NAMES;
  return p.maybeOne(pool.filter((n) => !t.columns.some((c) => c.name === n)));
}

/** Our default name, or (sometimes) one of a few explicit ones; undefined when the name is taken. */
function keyName(model: ChainModel, p: Picks, prefix: 'ix' | 'uq' | 'fk', defaultName: string, taken: ReadonlySet<string> = model.names): { name: string; explicit: boolean } | undefined {
  const explicit = p.chance(30);
  const name = explicit ? `${prefix}${p.below(6)}` : defaultName;
  return taken.has(name) ? undefined : { name, explicit };
}

function createTable({ model, p }: Gen): Step | null {
  const name = p.maybeOne(model.freeTableNames());
  if (!name) return null;
  const t: ModelTable = { name, autoIncrement: p.chance(25), columns: [], indexes: [], foreignKeys: [], rows: new Map() };
  const columns: Record<string, unknown> = {
    id: t.autoIncrement ? { type: 'integer', primaryKey: true, autoIncrement: true } : { type: 'integer', primaryKey: true },
  };
  const taken = new Set(model.names);
  const foreignKeys: Array<Record<string, unknown>> = [];
  const count = p.below(4);
  for (let i = 0; i < count; i++) {
    if (p.chance(25)) {
      const colName = freeColumnName(t, p, true);
      if (!colName) continue;
      // A parent that exists, or (now and then) the table itself.
      const parent = model.tables.size > 0 && !p.chance(15) ? p.one([...model.tables.keys()]) : name;
      const key = keyName(model, p, 'fk', defaultConstraintName('fk', name, [colName], parent), taken);
      if (!key) continue;
      const onDelete = p.one(ON_DELETE);
      const { column: c, spec } = refColumn(colName);
      t.columns.push(c);
      columns[colName] = spec;
      t.foreignKeys.push({ name: key.name, column: colName, refTable: parent, ...(onDelete ? { onDelete } : {}) });
      taken.add(key.name);
      foreignKeys.push({
        columns: [colName], references: { table: parent, columns: ['id'] },
        ...(key.explicit ? { name: key.name } : {}), ...(onDelete ? { onDelete } : {}),
      });
    } else {
      const colName = freeColumnName(t, p, false);
      if (!colName) continue;
      const { column: c, spec } = dataColumn(p, colName, false);
      const uniqueName = uniqueColumnConstraintName(name, colName);
      if (p.chance(15) && c.kind !== 'text' && !taken.has(uniqueName)) {
        spec.unique = true;
        t.indexes.push({ name: uniqueName, columns: [colName], unique: true, constraint: true });
        taken.add(uniqueName);
      }
      t.columns.push(c);
      columns[colName] = spec;
    }
  }
  const indexes: Array<Record<string, unknown>> = [];
  const indexable = indexableColumns(t).map((c) => c.name);
  if (indexable.length > 0 && p.chance(25)) {
    const cols = chooseColumns(p, indexable);
    const unique = p.chance(25);
    const key = keyName(model, p, unique ? 'uq' : 'ix', defaultConstraintName(unique ? 'uq' : 'ix', name, cols), taken);
    if (key && !hasKeyOn(t, cols)) {
      t.indexes.push({ name: key.name, columns: cols, unique, constraint: false });
      indexes.push({ columns: cols, ...(key.explicit ? { name: key.name } : {}), ...(unique ? { unique: true } : {}) });
    }
  }
  model.addTable(t);
  const options = { ...(indexes.length ? { indexes } : {}), ...(foreignKeys.length ? { foreignKeys } : {}) };
  return { method: 'createTable', args: Object.keys(options).length ? [name, columns, options] : [name, columns] };
}

/** One column, or two different ones. */
function chooseColumns(p: Picks, names: string[]): string[] {
  const first = p.one(names);
  const rest = names.filter((n) => n !== first);
  return rest.length > 0 && p.chance(30) ? [first, p.one(rest)] : [first];
}

function anyTable(model: ChainModel, p: Picks, fits: (t: ModelTable) => boolean = () => true): ModelTable | undefined {
  return p.maybeOne([...model.tables.values()].filter(fits));
}

function inUniqueKey(t: ModelTable, name: string): boolean {
  return t.indexes.some((i) => i.unique && i.columns.includes(name));
}

/** The ids a foreign key column may hold: the parent's. */
function parentIds(model: ChainModel, t: ModelTable, c: ModelColumn): number[] {
  const fk = t.foreignKeys.find((f) => f.column === c.name);
  return fk ? [...model.table(fk.refTable).rows.keys()] : [];
}

/** A data insert guarded by the data itself: NOT EXISTS in the statement and in the condition. */
function insertRow({ model, p, fresh, violate }: Gen): Step | null {
  const t = anyTable(model, p);
  if (!t) return null;
  let id = 1 + p.below(9);
  while (t.rows.has(id)) id++;
  const given = new Map<string, Literal | null>();
  for (const c of t.columns) {
    const required = !c.nullable && c.default === undefined;
    if (!required && !p.chance(60)) continue;
    const unchecked = c.ref ? !t.foreignKeys.some((f) => f.column === c.name) : !inUniqueKey(t, c.name);
    const copied = violate && unchecked && t.rows.size > 0 && p.chance(30) ? p.one([...t.rows.values()]).get(c.name) : undefined;
    if (copied) {
      given.set(c.name, copied);
    } else if (c.ref) {
      const ids = parentIds(model, t, c);
      // Without a key on the column, now and then an id no parent has.
      const orphan = violate && unchecked && p.chance(30);
      given.set(c.name, orphan ? literal('integer', 900 + p.below(9)) : ids.length > 0 && !p.chance(20) ? literal('integer', p.one(ids)) : null);
    } else if (c.nullable && p.chance(10)) {
      given.set(c.name, null);
    } else {
      given.set(c.name, literal(c.kind, inUniqueKey(t, c.name) ? fresh.n++ : p.below(20)));
    }
  }
  const row = completeRow(t, given);
  if (!keepsUnique(t, row)) return null;
  t.rows.set(id, row);
  const names = ['id', ...given.keys()];
  const values = [String(id), ...[...given.values()].map((v) => v?.sql ?? 'NULL')];
  return {
    method: 'executeIf',
    args: [{
      description: `insert ${t.name} ${id}`,
      sql: `INSERT INTO ${t.name} (${names.join(', ')}) SELECT ${values.join(', ')} WHERE NOT EXISTS (SELECT 1 FROM ${t.name} WHERE id = ${id})`,
      condition: `SELECT COUNT(*) = 0 FROM ${t.name} WHERE id = ?`,
      conditionParams: [id],
    }],
  };
}

const UPDATABLE: ReadonlySet<ColumnKind> = new Set(['string', 'text', 'integer', 'bigint', 'decimal', 'date']);

/** An update guarded by a condition on the data: rows with id <= k that do not hold the value yet. */
function updateRows({ model, p }: Gen): Step | null {
  const updatable = (t: ModelTable) => t.columns.filter((c) => !c.ref && UPDATABLE.has(c.kind) && !inUniqueKey(t, c.name));
  const t = anyTable(model, p, (t) => t.rows.size > 0 && updatable(t).length > 0);
  if (!t) return null;
  const c = p.one(updatable(t));
  const upTo = p.one([...t.rows.keys()].sort((a, b) => a - b));
  const value = literal(c.kind, p.below(20));
  for (const [id, row] of t.rows) if (id <= upTo) row.set(c.name, value);
  const where = `id <= ? AND (${c.name} IS NULL OR ${c.name} <> ?)`;
  return {
    method: 'executeIf',
    args: [{
      description: `update ${t.name}.${c.name} up to ${upTo}`,
      sql: `UPDATE ${t.name} SET ${c.name} = ? WHERE ${where}`,
      params: [value.js, upTo, value.js],
      condition: `SELECT COUNT(*) > 0 FROM ${t.name} WHERE ${where}`,
      conditionParams: [upTo, value.js],
    }],
  };
}

/** Deletes a row no foreign key points at (no cascade to model). */
function deleteRow({ model, p }: Gen): Step | null {
  const referenced = (t: ModelTable): Set<number> => {
    const ids = new Set<number>();
    for (const child of model.tables.values()) {
      for (const fk of child.foreignKeys.filter((f) => f.refTable === t.name)) {
        for (const row of child.rows.values()) {
          const v = row.get(fk.column);
          if (v) ids.add(Number(v.js));
        }
      }
    }
    return ids;
  };
  const deletable = (t: ModelTable) => [...t.rows.keys()].filter((id) => !referenced(t).has(id));
  const t = anyTable(model, p, (t) => deletable(t).length > 0);
  if (!t) return null;
  const id = p.one(deletable(t));
  t.rows.delete(id);
  return {
    method: 'executeIf',
    args: [{
      description: `delete ${t.name} ${id}`,
      sql: `DELETE FROM ${t.name} WHERE id = ?`,
      params: [id],
      condition: `SELECT COUNT(*) > 0 FROM ${t.name} WHERE id = ?`,
      conditionParams: [id],
    }],
  };
}

function addColumn({ model, p }: Gen): Step | null {
  const t = anyTable(model, p);
  if (!t) return null;
  const ref = p.chance(20);
  const name = freeColumnName(t, p, ref);
  if (!name) return null;
  const { column: c, spec } = ref ? refColumn(name) : dataColumn(p, name, t.rows.size > 0);
  const uniqueName = uniqueColumnConstraintName(t.name, name);
  // Unique over the rows it fills: one row at most, or all NULL.
  const uniqueFits = !ref && c.kind !== 'text' && (t.rows.size <= 1 || c.default === undefined) && !model.names.has(uniqueName);
  const unique = uniqueFits && p.chance(15);
  if (unique) spec.unique = true;
  model.addColumn(t.name, c);
  if (unique) model.addIndex(t.name, { name: uniqueName, columns: [name], unique: true, constraint: true });
  return { method: 'addColumn', args: [t.name, name, spec] };
}

function dropColumn({ model, p }: Gen): Step | null {
  const t = anyTable(model, p, (t) => t.columns.length > 0);
  if (!t) return null;
  const c = p.one(t.columns);
  model.dropColumn(t.name, c.name);
  return { method: 'dropColumn', args: [t.name, c.name] };
}

function renameColumn({ model, p }: Gen): Step | null {
  const t = anyTable(model, p, (t) => t.columns.length > 0);
  if (!t) return null;
  const c = p.one(t.columns);
  const to = freeColumnName(t, p, c.ref);
  if (!to) return null;
  const from = c.name;
  model.renameColumn(t.name, from, to);
  return { method: 'renameColumn', args: [t.name, from, to] };
}

/** One or two changes to a data column, each a real difference (a clean run applies it). */
function alterColumn({ model, p }: Gen): Step | null {
  const t = anyTable(model, p, (t) => t.columns.some((c) => !c.ref));
  if (!t) return null;
  const c = p.one(t.columns.filter((c) => !c.ref));
  const values = [...t.rows.values()].map((r) => r.get(c.name) ?? null);
  const indexed = t.indexes.some((i) => i.columns.includes(c.name));
  const uniqueOn = t.indexes.find((i) => i.unique && i.columns.length === 1 && i.columns[0] === c.name);
  const uniqueName = uniqueColumnConstraintName(t.name, c.name);

  type Change = { group: string; changes: Record<string, unknown>; apply: () => void };
  const options: Change[] = [];
  if (c.kind === 'string') {
    const length = p.one(STRING_LENGTHS.filter((l) => l !== c.length));
    options.push({ group: 'type', changes: { length }, apply: () => { c.length = length; } });
    if (!indexed) options.push({ group: 'type', changes: { type: 'text' }, apply: () => { c.kind = 'text'; delete c.length; } });
  }
  if (c.kind === 'text') options.push({ group: 'type', changes: { type: 'string', length: 64 }, apply: () => { c.kind = 'string'; c.length = 64; } });
  if (c.kind === 'integer') options.push({ group: 'type', changes: { type: 'bigint' }, apply: () => { c.kind = 'bigint'; } });
  if (c.kind === 'bigint') options.push({ group: 'type', changes: { type: 'integer' }, apply: () => { c.kind = 'integer'; } });
  if (!c.nullable) {
    options.push({ group: 'nullable', changes: { nullable: true }, apply: () => { c.nullable = true; } });
  }
  else if (values.every((v) => v !== null)) options.push({ group: 'nullable', changes: { nullable: false }, apply: () => { c.nullable = false; } });
  const newDefault = literal(c.kind, p.below(50));
  if (newDefault.sql !== c.default?.sql) {
    options.push({ group: 'default', changes: { default: newDefault.js }, apply: () => { c.default = newDefault; } });
  }
  if (uniqueOn) {
    options.push({ group: 'unique', changes: { unique: false }, apply: () => model.dropIndex(t.name, uniqueOn.name) });
  } else if (c.kind !== 'text' && !hasKeyOn(t, [c.name]) && distinctOver(t.rows.values(), [c.name]) && !model.names.has(uniqueName)) {
    options.push({
      group: 'unique', changes: { unique: true },
      apply: () => model.addIndex(t.name, { name: uniqueName, columns: [c.name], unique: true, constraint: true }),
    });
  }
  if (options.length === 0) return null;
  const first = p.one(options);
  // A column changed to text cannot be unique (MariaDB indexes no text without a prefix).
  const compatible = (o: Change) => o.group !== first.group
    && !(first.changes.type === 'text' && o.group === 'unique') && !(o.changes.type === 'text' && first.group === 'unique');
  const second = p.chance(30) ? p.maybeOne(options.filter(compatible)) : undefined;
  const chosen = second ? [first, second] : [first];
  for (const o of chosen) o.apply();
  const changes: Record<string, unknown> = Object.assign({}, ...chosen.map((o) => o.changes));
  return { method: 'alterColumn', args: [t.name, c.name, changes] };
}

function createIndex({ model, p }: Gen): Step | null {
  const t = anyTable(model, p, (t) => indexableColumns(t).length > 0);
  if (!t) return null;
  const cols = chooseColumns(p, indexableColumns(t).map((c) => c.name));
  const unique = p.chance(30);
  if (hasKeyOn(t, cols) || (unique && !distinctOver(t.rows.values(), cols))) return null;
  const key = keyName(model, p, unique ? 'uq' : 'ix', defaultConstraintName(unique ? 'uq' : 'ix', t.name, cols));
  if (!key) return null;
  model.addIndex(t.name, { name: key.name, columns: cols, unique, constraint: false });
  const options = { ...(unique ? { unique: true } : {}), ...(key.explicit ? { name: key.name } : {}) };
  return { method: 'createIndex', args: Object.keys(options).length ? [t.name, cols, options] : [t.name, cols] };
}

function addUnique({ model, p }: Gen): Step | null {
  const t = anyTable(model, p, (t) => indexableColumns(t).length > 0);
  if (!t) return null;
  const cols = chooseColumns(p, indexableColumns(t).map((c) => c.name));
  if (hasKeyOn(t, cols) || !distinctOver(t.rows.values(), cols)) return null;
  const key = keyName(model, p, 'uq', defaultConstraintName('uq', t.name, cols));
  if (!key) return null;
  model.addIndex(t.name, { name: key.name, columns: cols, unique: true, constraint: true });
  return { method: 'addUnique', args: key.explicit ? [t.name, cols, { name: key.name }] : [t.name, cols] };
}

function dropIndex({ model, p }: Gen): Step | null {
  const droppable = (t: ModelTable) => t.indexes.filter((i) => !i.constraint);
  const t = anyTable(model, p, (t) => droppable(t).length > 0);
  if (!t) return null;
  const index = p.one(droppable(t));
  model.dropIndex(t.name, index.name);
  return { method: 'dropIndex', args: [t.name, index.name] };
}

function dropUnique({ model, p }: Gen): Step | null {
  const droppable = (t: ModelTable) => t.indexes.filter((i) => i.constraint);
  const t = anyTable(model, p, (t) => droppable(t).length > 0);
  if (!t) return null;
  const key = p.one(droppable(t));
  model.dropIndex(t.name, key.name);
  return { method: 'dropUnique', args: [t.name, key.name] };
}

/** On a reference column without a key, to a parent holding every id the column has. */
function addForeignKey({ model, p }: Gen): Step | null {
  const free = (t: ModelTable) => t.columns.filter((c) => c.ref && !t.foreignKeys.some((f) => f.column === c.name));
  const t = anyTable(model, p, (t) => free(t).length > 0);
  if (!t) return null;
  const c = p.one(free(t));
  const parent = p.one([...model.tables.values()]);
  const values = [...t.rows.values()].map((r) => r.get(c.name)).filter((v) => v);
  if (!values.every((v) => parent.rows.has(Number(v!.js)))) return null;
  const key = keyName(model, p, 'fk', defaultConstraintName('fk', t.name, [c.name], parent.name));
  if (!key) return null;
  const onDelete = p.one(ON_DELETE);
  model.addForeignKey(t.name, { name: key.name, column: c.name, refTable: parent.name, ...(onDelete ? { onDelete } : {}) });
  const options = { ...(key.explicit ? { name: key.name } : {}), ...(onDelete ? { onDelete } : {}) };
  const args: unknown[] = [t.name, [c.name], parent.name, ['id']];
  return { method: 'addForeignKey', args: Object.keys(options).length ? [...args, options] : args };
}

function dropForeignKey({ model, p }: Gen): Step | null {
  const droppable = (t: ModelTable) => t.foreignKeys;
  const t = anyTable(model, p, (t) => droppable(t).length > 0);
  if (!t) return null;
  const fk = p.one(droppable(t));
  model.dropForeignKey(t.name, fk.name);
  return { method: 'dropForeignKey', args: [t.name, fk.name] };
}

function renameTable({ model, p }: Gen): Step | null {
  const t = anyTable(model, p);
  const to = p.maybeOne(model.freeTableNames());
  if (!t || !to) return null;
  const from = t.name;
  model.renameTable(from, to);
  return { method: 'renameTable', args: [from, to] };
}

/** Only a table no other table's foreign key points at. */
function dropTable({ model, p }: Gen): Step | null {
  const t = anyTable(model, p, (t) => model.referencedBy(t.name).length === 0);
  if (!t) return null;
  model.dropTable(t.name);
  return { method: 'dropTable', args: [t.name] };
}
