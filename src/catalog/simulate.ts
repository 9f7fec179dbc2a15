/**
 * An operation's effect on a catalog snapshot, without a database: what the
 * catalog would report after the operation ran. `idem plan` classifies each
 * operation against the snapshot and then applies it here, so a later
 * operation of the same plan (an addColumn on a table the plan creates) is
 * predicted as the run would judge it. Pure: returns a new map, the input
 * is left alone.
 */
import type { TypeMapper } from '../dialect/dialect.ts';
import type { ColumnSpec } from '../plan/column-spec.ts';
import { defaultConstraintName } from '../plan/constraint-names.ts';
import type { Operation } from '../plan/operations.ts';
import { declaredPrimaryKey, mergeColumnChanges, TYPE_FIELDS } from './compare-shape.ts';
import type { CatalogColumn, CatalogIndex, CatalogTable } from './snapshot.ts';
import { sameColumnSet } from './snapshot.ts';

export type SchemaChange = Exclude<Operation, { kind: 'executeIf' | 'sql' }>;

export function simulateOperation(
  tables: ReadonlyMap<string, CatalogTable>, op: SchemaChange, types: TypeMapper,
): Map<string, CatalogTable> {
  const next = new Map(tables);
  const edit = (name: string, change: (t: CatalogTable) => CatalogTable): void => {
    const table = next.get(name);
    if (table) next.set(name, change(cloneTable(table)));
  };
  switch (op.kind) {
    case 'createTable': {
      const primaryKey = declaredPrimaryKey(op.columns, op.options);
      const table: CatalogTable = {
        name: op.table,
        columns: Object.entries(op.columns).map(([name, spec]) => declaredColumn(name, spec, types, primaryKey.includes(name))),
        primaryKey,
        indexes: [],
        foreignKeys: (op.options.foreignKeys ?? []).map((f) => ({
          name: f.name ?? null, columns: f.columns, refTable: f.references.table, refColumns: f.references.columns,
          onDelete: f.onDelete ?? 'no action', onUpdate: f.onUpdate ?? 'no action',
        })),
      };
      if (primaryKey.length > 0) table.indexes.push({ name: `${op.table}_pkey`, columns: primaryKey, unique: true, origin: 'primaryKey' });
      for (const [name, spec] of Object.entries(op.columns)) {
        if (spec.unique && !(primaryKey.length === 1 && primaryKey[0] === name)) table.indexes.push(uniqueIndex(op.table, [name]));
      }
      for (const u of op.options.unique ?? []) table.indexes.push({ name: u.name ?? defaultConstraintName('uq', op.table, u.columns), columns: u.columns, unique: true, origin: 'unique' });
      for (const i of op.options.indexes ?? []) {
        table.indexes.push({ name: i.name ?? defaultConstraintName(i.unique ? 'uq' : 'ix', op.table, i.columns), columns: i.columns, unique: i.unique ?? false, origin: 'index' });
      }
      next.set(op.table, table);
      break;
    }
    case 'dropTable':
      next.delete(op.table);
      break;
    case 'renameTable': {
      const table = next.get(op.from);
      if (!table) break;
      next.delete(op.from);
      next.set(op.to, { ...cloneTable(table), name: op.to });
      for (const [name, t] of next) {
        if (t.foreignKeys.some((f) => f.refTable === op.from)) {
          next.set(name, { ...t, foreignKeys: t.foreignKeys.map((f) => (f.refTable === op.from ? { ...f, refTable: op.to } : f)) });
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
      for (const [name, t] of next) {
        if (name !== op.table && t.foreignKeys.some((f) => f.refTable === op.table)) {
          next.set(name, { ...t, foreignKeys: t.foreignKeys.map((f) => (f.refTable === op.table ? { ...f, refColumns: rename(f.refColumns) } : f)) });
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
      edit(op.table, (t) => ({ ...t, indexes: [...t.indexes, { name: op.index.name, columns: op.index.columns, unique: op.index.unique, origin: 'index' }] }));
      break;
    case 'addUnique':
      edit(op.table, (t) => ({ ...t, indexes: [...t.indexes, { name: op.unique.name, columns: op.unique.columns, unique: true, origin: 'unique' }] }));
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
  return next;
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

function uniqueIndex(table: string, columns: string[]): CatalogIndex {
  return { name: defaultConstraintName('uq', table, columns), columns, unique: true, origin: 'unique' };
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
