/** Facts about an operation the runner needs: which tables it touches, which shapes it declares. */
import { declaredPrimaryKey } from '../catalog/compare-shape.ts';
import { defaultConstraintName } from '../plan/constraint-names.ts';
import type { Operation } from '../plan/operations.ts';
import type { DeclaredConstraint } from './classify.ts';

export function touchedTables(op: Operation): string[] {
  switch (op.kind) {
    case 'renameTable': return [op.from, op.to];
    case 'executeIf': case 'sql': return [];
    default: return [op.table];
  }
}

/** Constraint shapes under the names a migration gave them, keyed `table.name`. */
export function declaredConstraints(op: Operation): Array<[string, DeclaredConstraint]> {
  switch (op.kind) {
    case 'createTable': {
      const out: Array<[string, DeclaredConstraint]> = [];
      const primaryKey = declaredPrimaryKey(op.columns, op.options);
      for (const [column, spec] of Object.entries(op.columns)) {
        if (spec.unique && !(primaryKey.length === 1 && primaryKey[0] === column)) out.push(uniqueColumn(op.table, column));
      }
      for (const u of op.options.unique ?? []) out.push([`${op.table}.${u.name}`, { kind: 'unique', columns: u.columns }]);
      for (const i of op.options.indexes ?? []) out.push([`${op.table}.${i.name}`, { kind: i.unique ? 'unique' : 'index', columns: i.columns }]);
      for (const f of op.options.foreignKeys ?? []) {
        out.push([`${op.table}.${f.name}`, { kind: 'foreignKey', columns: f.columns, refTable: f.references.table, refColumns: f.references.columns }]);
      }
      return out;
    }
    case 'addColumn': return op.spec.unique ? [uniqueColumn(op.table, op.column)] : [];
    case 'alterColumn': return op.changes.unique === true ? [uniqueColumn(op.table, op.column)] : [];
    case 'createIndex': return [[`${op.table}.${op.index.name}`, { kind: op.index.unique ? 'unique' : 'index', columns: op.index.columns }]];
    case 'addUnique': return [[`${op.table}.${op.unique.name}`, { kind: 'unique', columns: op.unique.columns }]];
    case 'addForeignKey': {
      const f = op.foreignKey;
      return [[`${op.table}.${f.name}`, { kind: 'foreignKey', columns: f.columns, refTable: f.references.table, refColumns: f.references.columns }]];
    }
    default: return [];
  }
}

/**
 * A column declared `unique: true` gets its key under the name addUnique would
 * give it (every dialect uses it), so `dropUnique(table, 'uq_<table>_<column>')`
 * finds a key an init script made for that column under its own name.
 */
function uniqueColumn(table: string, column: string): [string, DeclaredConstraint] {
  return [`${table}.${defaultConstraintName('uq', table, [column])}`, { kind: 'unique', columns: [column] }];
}
