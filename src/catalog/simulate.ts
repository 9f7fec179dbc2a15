/**
 * An operation's effect on a catalog snapshot, without a database: what the
 * catalog would report after the operation ran. `idem plan` classifies each
 * operation against the snapshot and then applies it here, so a later
 * operation of the same plan (an addColumn on a table the plan creates) is
 * predicted as the run would judge it; `up` keeps its snapshot current with
 * it instead of reading the tables its DDL changed. Where the engine picks
 * (a primary key's index name) the dialect's conventions say what it picks.
 * Pure: returns a new map, the input is left alone.
 */
import type { CatalogConventions, TypeMapper } from '../dialect/dialect.ts';
import type { ColumnSpec } from '../plan/column-spec.ts';
import { defaultConstraintName } from '../plan/constraint-names.ts';
import type { Operation } from '../plan/operations.ts';
import { declaredPrimaryKey, mergeColumnChanges, TYPE_FIELDS } from './compare-shape.ts';
import type { CatalogColumn, CatalogIndex, CatalogTable, TablesByName } from './snapshot.ts';
import { sameColumnSet } from './snapshot.ts';

export type SchemaChange = Exclude<Operation, { kind: 'executeIf' | 'sql' }>;

/** The dialect's side of a simulation. */
export interface SimulationRules {
  types: TypeMapper;
  conventions: CatalogConventions;
}

export interface Simulated {
  tables: Map<string, CatalogTable>;
  /**
   * Whether reading the catalog would give exactly these tables (defaults up
   * to the dialect's normalizeDefault, RESTRICT and NO ACTION alike). false
   * where the engine decides what the conventions cannot tell: `tables` is
   * then the best guess, good enough for `plan`, and `up` reads instead.
   */
  exact: boolean;
}

/** The snapshot after the operation, as a new map (a copy of every table's entry: for one-off use, not a run). */
export function simulateOperation(tables: ReadonlyMap<string, CatalogTable>, op: SchemaChange, rules: SimulationRules): Simulated {
  const { changes, exact } = simulateChanges(tables, op, rules);
  const next = new Map(tables);
  applyChanges(next, changes);
  return { tables: next, exact };
}

/** Takes simulateChanges' answer into a snapshot its caller owns: a run keeps one, and copying it per operation was quadratic. */
export function applyChanges(tables: Map<string, CatalogTable>, changes: ReadonlyMap<string, CatalogTable | undefined>): void {
  for (const [name, table] of changes) {
    if (table) tables.set(name, table);
    else tables.delete(name);
  }
}

/**
 * Only what the operation changes: each table it creates or changes (a new
 * object) or removes (undefined). For a caller that keeps one snapshot
 * current, where copying every table's entry for every operation made a run
 * of a thousand tables quadratic.
 */
export function simulateChanges(
  tables: TablesByName, op: SchemaChange, rules: SimulationRules,
): { changes: Map<string, CatalogTable | undefined>; exact: boolean } {
  const { types, conventions } = rules;
  const changes = new Map<string, CatalogTable | undefined>();
  const current = (name: string): CatalogTable | undefined => (changes.has(name) ? changes.get(name) : tables.get(name));
  /** Every table as it stands after the changes so far. */
  const all = function* (): Generator<[string, CatalogTable]> {
    for (const [name, table] of tables) if (!changes.has(name)) yield [name, table];
    for (const [name, table] of changes) if (table) yield [name, table];
  };
  const put = (name: string, table: CatalogTable): void => {
    changes.set(name, table);
  };
  const remove = (name: string): void => {
    changes.set(name, undefined);
  };
  let exact = conventions.predictable(op, tables.get(op.kind === 'renameTable' ? op.from : op.table));
  const edit = (name: string, change: (t: CatalogTable) => CatalogTable): void => {
    const table = current(name);
    if (table) put(name, change(cloneTable(table)));
  };
  const uniqueIndex = (table: string, columns: string[]): CatalogIndex => ({
    name: defaultConstraintName('uq', table, columns), columns, unique: true, origin: conventions.uniqueConstraintOrigin,
  });
  switch (op.kind) {
    case 'createTable': {
      const primaryKey = declaredPrimaryKey(op.columns, op.options);
      const declared: CatalogTable = {
        name: op.table,
        columns: Object.entries(op.columns).map(([name, spec]) => declaredColumn(name, spec, types, primaryKey.includes(name))),
        primaryKey,
        indexes: [],
        foreignKeys: (op.options.foreignKeys ?? []).map((f) => ({
          name: f.name ?? null, columns: f.columns, refTable: f.references.table, refColumns: f.references.columns,
          onDelete: f.onDelete ?? 'no action', onUpdate: f.onUpdate ?? 'no action',
        })),
      };
      for (const [name, spec] of Object.entries(op.columns)) {
        if (spec.unique && !(primaryKey.length === 1 && primaryKey[0] === name)) declared.indexes.push(uniqueIndex(op.table, [name]));
      }
      for (const u of op.options.unique ?? []) {
        declared.indexes.push({ name: u.name ?? defaultConstraintName('uq', op.table, u.columns), columns: u.columns, unique: true, origin: conventions.uniqueConstraintOrigin });
      }
      for (const i of op.options.indexes ?? []) {
        const unique = i.unique ?? false;
        declared.indexes.push({ name: i.name ?? defaultConstraintName(unique ? 'uq' : 'ix', op.table, i.columns), columns: i.columns, unique, origin: unique ? conventions.uniqueIndexOrigin : 'index' });
      }
      const created = conventions.createdTable(declared, tables);
      if (!created) exact = false;
      put(op.table, created ?? withGuessedPrimaryKeyIndex(declared));
      break;
    }
    case 'dropTable':
      remove(op.table);
      break;
    case 'renameTable': {
      const table = current(op.from);
      if (!table) break;
      remove(op.from);
      const renamed: CatalogTable = { ...cloneTable(table), name: op.to };
      put(op.to, conventions.renamedTable?.(renamed, op.from) ?? renamed);
      for (const [name, t] of [...all()]) {
        if (t.foreignKeys.some((f) => f.refTable === op.from)) {
          put(name, { ...t, foreignKeys: t.foreignKeys.map((f) => (f.refTable === op.from ? { ...f, refTable: op.to } : f)) });
        }
      }
      break;
    }
    case 'addColumn':
      edit(op.table, (t) => {
        t.columns.push(declaredColumn(op.column, op.spec, types, op.spec.primaryKey === true));
        if (op.spec.primaryKey) t.primaryKey = [...t.primaryKey, op.column];
        if (op.spec.unique && !op.spec.primaryKey) t.indexes.push(uniqueIndex(op.table, [op.column]));
        return t;
      });
      break;
    case 'dropColumn':
      edit(op.table, (t) => ({
        ...t,
        columns: t.columns.filter((c) => c.name !== op.column),
        primaryKey: t.primaryKey.filter((c) => c !== op.column),
        indexes: t.indexes.filter((i) => !i.columns.includes(op.column)),
        foreignKeys: t.foreignKeys.filter((f) => !f.columns.includes(op.column)),
      }));
      break;
    case 'renameColumn': {
      const rename = (list: string[]): string[] => list.map((c) => (c === op.from ? op.to : c));
      edit(op.table, (t) => ({
        ...t,
        columns: t.columns.map((c) => (c.name === op.from ? { ...c, name: op.to } : c)),
        primaryKey: rename(t.primaryKey),
        indexes: t.indexes.map((i) => ({ ...i, columns: rename(i.columns) })),
        foreignKeys: t.foreignKeys.map((f) => ({ ...f, columns: rename(f.columns), refColumns: f.refTable === op.table ? rename(f.refColumns) : f.refColumns })),
      }));
      for (const [name, t] of [...all()]) {
        if (name !== op.table && t.foreignKeys.some((f) => f.refTable === op.table)) {
          put(name, { ...t, foreignKeys: t.foreignKeys.map((f) => (f.refTable === op.table ? { ...f, refColumns: rename(f.refColumns) } : f)) });
        }
      }
      break;
    }
    case 'alterColumn':
      edit(op.table, (t) => {
        const at = t.columns.findIndex((c) => c.name === op.column);
        const column = t.columns[at];
        if (!column) return t;
        const merged = mergeColumnChanges(column, t, op.changes);
        const changed: CatalogColumn = { ...column };
        if (TYPE_FIELDS.some((f) => op.changes[f] !== undefined)) changed.type = types.declaredType(merged);
        if (op.changes.nullable !== undefined) changed.nullable = op.changes.nullable;
        if (op.changes.default !== undefined) changed.default = op.changes.default === null ? null : types.defaultSql(op.changes.default, merged);
        t.columns[at] = changed;
        if (op.changes.unique === true && !t.indexes.some((i) => i.unique && sameColumnSet(i.columns, [op.column]))) {
          t.indexes.push(uniqueIndex(op.table, [op.column]));
        }
        if (op.changes.unique === false) t.indexes = t.indexes.filter((i) => !(i.unique && i.origin !== 'primaryKey' && sameColumnSet(i.columns, [op.column])));
        return t;
      });
      break;
    case 'createIndex':
      edit(op.table, (t) => ({
        ...t, indexes: [...t.indexes, { name: op.index.name, columns: op.index.columns, unique: op.index.unique, origin: op.index.unique ? conventions.uniqueIndexOrigin : 'index' }],
      }));
      break;
    case 'addUnique':
      edit(op.table, (t) => ({ ...t, indexes: [...t.indexes, { name: op.unique.name, columns: op.unique.columns, unique: true, origin: conventions.uniqueConstraintOrigin }] }));
      break;
    case 'dropIndex': case 'dropUnique':
      edit(op.table, (t) => ({ ...t, indexes: t.indexes.filter((i) => i.name !== op.name && i.engineName !== op.name) }));
      break;
    case 'addForeignKey': {
      const f = op.foreignKey;
      edit(op.table, (t) => ({
        ...t,
        foreignKeys: [...t.foreignKeys, {
          name: f.name, columns: f.columns, refTable: f.references.table, refColumns: f.references.columns,
          onDelete: f.onDelete ?? 'no action', onUpdate: f.onUpdate ?? 'no action',
        }],
      }));
      break;
    }
    case 'dropForeignKey': {
      const resolved = op.resolved;
      edit(op.table, (t) => ({
        ...t,
        foreignKeys: t.foreignKeys.filter((f) => f.name !== op.name
          && !(resolved && f.refTable === resolved.refTable && sameColumnSet(f.columns, resolved.columns))),
      }));
      break;
    }
  }
  return { changes, exact };
}

/** Where the conventions cannot tell the primary key's index: one under a placeholder name, for `plan`. */
function withGuessedPrimaryKeyIndex(table: CatalogTable): CatalogTable {
  if (table.primaryKey.length === 0) return table;
  return { ...table, indexes: [{ name: `${table.name}_pkey`, columns: table.primaryKey, unique: true, origin: 'primaryKey' }, ...table.indexes] };
}

/** A column as the catalog would report it right after idem created it from this declaration. */
function declaredColumn(name: string, spec: ColumnSpec, types: TypeMapper, inPrimaryKey: boolean): CatalogColumn {
  return {
    name,
    type: types.declaredType(spec),
    nullable: inPrimaryKey ? false : spec.nullable ?? true,
    default: spec.default === undefined || spec.default === null ? null : types.defaultSql(spec.default, spec),
    autoIncrement: spec.autoIncrement === true,
  };
}

function cloneTable(table: CatalogTable): CatalogTable {
  return {
    ...table,
    columns: [...table.columns],
    primaryKey: [...table.primaryKey],
    indexes: [...table.indexes],
    foreignKeys: [...table.foreignKeys],
  };
}
