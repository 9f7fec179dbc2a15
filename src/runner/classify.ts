/**
 * Each schema operation judged against the catalog: apply it, skip it (it
 * already holds), or report drift (it exists, but not as declared). No I/O:
 * the live run, `plan` and tests all call this with a snapshot.
 */
import { columnChangesNeeded, compareColumn, compareTable } from '../catalog/compare-shape.ts';
import { foreignKeyByName, foreignKeyByShape, indexByName, indexByShape, uniqueByShape } from '../catalog/find-by-shape.ts';
import { findColumn, sameColumns, sameColumnSet, type CatalogTable } from '../catalog/snapshot.ts';
import type { TypeMapper } from '../dialect/dialect.ts';
import { IdemError } from '../errors.ts';
import type { Difference } from '../plan/migration-context.ts';
import { operationTarget, type Operation } from '../plan/operations.ts';

export type SchemaOperation = Exclude<Operation, { kind: 'executeIf' | 'sql' }>;

export type Decision =
  | { action: 'apply'; op: SchemaOperation; detail?: string; differences?: Difference[] }
  | { action: 'skip'; detail: string; differences?: Difference[] }
  | { action: 'drift'; detail: string; differences: Difference[] };

/** A constraint's shape as a migration declared it, to find it by shape when its name is not in the database. */
export interface DeclaredConstraint {
  kind: 'index' | 'unique' | 'foreignKey';
  columns: string[];
  refTable?: string;
  refColumns?: string[];
}

/** What later operations of the same run declare: drift is judged where the run ends, not midway. */
export interface Lookahead {
  /** The revision of a later operation that declares this object (`users` or `users.email`), if any. */
  laterDeclaration(object: string): string | undefined;
  /** Where a later renameTable / renameColumn of this run takes this name. */
  laterTableName(table: string): string | undefined;
  laterColumnName(table: string, column: string): string | undefined;
}

export interface ClassifyContext {
  types: TypeMapper;
  table(name: string): CatalogTable | undefined;
  declared(table: string, name: string): DeclaredConstraint | undefined;
  lookahead?: Lookahead;
}

export function classify(op: SchemaOperation, ctx: ClassifyContext): Decision {
  switch (op.kind) {
    case 'createTable': return createTable(op, ctx);
    case 'dropTable':
      return ctx.table(op.table) ? { action: 'apply', op } : { action: 'skip', detail: 'absent' };
    case 'renameTable': return renameTable(op, ctx);
    case 'addColumn': return addColumn(op, ctx);
    case 'dropColumn': {
      const table = ctx.table(op.table);
      if (!table) return { action: 'skip', detail: `table ${op.table} absent` };
      return findColumn(table, op.column) ? { action: 'apply', op } : { action: 'skip', detail: 'absent' };
    }
    case 'renameColumn': return renameColumn(op, ctx);
    case 'alterColumn': return alterColumn(op, ctx);
    case 'createIndex': return createIndex(op, ctx);
    case 'addUnique': return addUnique(op, ctx);
    case 'addForeignKey': return addForeignKey(op, ctx);
    case 'dropIndex': case 'dropUnique': case 'dropForeignKey': return dropByName(op, ctx);
  }
}

/** Differences a later operation of this run will settle are not drift here. */
function settledLater(differences: Difference[], ctx: ClassifyContext): { open: Difference[]; later: Difference[] } {
  const open: Difference[] = [];
  const later: Difference[] = [];
  for (const d of differences) (ctx.lookahead?.laterDeclaration(d.object) ? later : open).push(d);
  return { open, later };
}

function judge(differences: Difference[], ctx: ClassifyContext, holds: string): Decision {
  const { open, later } = settledLater(differences, ctx);
  if (open.length > 0) return { action: 'drift', detail: `exists, differs: ${describeDifferences(open)}`, differences: open };
  if (later.length > 0) return { action: 'skip', detail: `${holds}; ${describeDifferences(later)} settled by a later migration`, differences: later };
  return { action: 'skip', detail: holds };
}

export function describeDifferences(differences: Difference[]): string {
  return differences.map((d) => {
    if (d.field === 'exists') return d.actual ? `${d.object} not declared` : `${d.object} missing`;
    return `${d.object} ${d.field} ${show(d.actual)} (declared ${show(d.declared)})`;
  }).join('; ');
}

function show(value: unknown): string {
  if (Array.isArray(value)) return `(${value.join(', ')})`;
  return value === null ? 'none' : String(value);
}

function requireTable(op: SchemaOperation, name: string, ctx: ClassifyContext): CatalogTable {
  const table = ctx.table(name);
  if (table) return table;
  throw new IdemError('OPERATION_INVALID', `${op.kind} ${operationTarget(op)}: table ${name} does not exist`, {
    operation: { kind: op.kind, target: operationTarget(op) },
    hint: `create ${name} in an earlier migration (m.createTable), or check the table name`,
  });
}

function createTable(op: Extract<SchemaOperation, { kind: 'createTable' }>, ctx: ClassifyContext): Decision {
  const actual = ctx.table(op.table);
  if (!actual) {
    const renamed = ctx.lookahead?.laterTableName(op.table);
    if (renamed && ctx.table(renamed)) return { action: 'skip', detail: `exists as ${renamed}, which a later migration renames it to` };
    return { action: 'apply', op };
  }
  return judge(compareTable(ctx.types, op.table, op.columns, op.options, actual), ctx, 'exists');
}

function renameTable(op: Extract<SchemaOperation, { kind: 'renameTable' }>, ctx: ClassifyContext): Decision {
  const from = ctx.table(op.from);
  const to = ctx.table(op.to);
  if (from && !to) return { action: 'apply', op };
  if (!from && to) return { action: 'skip', detail: `already renamed (${op.to} exists, ${op.from} absent)` };
  const target = operationTarget(op);
  if (from && to) {
    throw new IdemError('OPERATION_FAILED', `renameTable ${target}: both ${op.from} and ${op.to} exist`, {
      operation: { kind: 'renameTable', target },
      hint: `idem cannot tell which one holds the data; drop or rename one of them by hand, then re-run \`idem up\``,
    });
  }
  throw new IdemError('OPERATION_FAILED', `renameTable ${target}: neither ${op.from} nor ${op.to} exists`, {
    operation: { kind: 'renameTable', target },
    hint: `create ${op.from} in an earlier migration, or check the names`,
  });
}

function addColumn(op: Extract<SchemaOperation, { kind: 'addColumn' }>, ctx: ClassifyContext): Decision {
  const table = requireTable(op, op.table, ctx);
  const existing = findColumn(table, op.column);
  if (!existing) {
    const renamed = ctx.lookahead?.laterColumnName(op.table, op.column);
    if (renamed && findColumn(table, renamed)) return { action: 'skip', detail: `exists as ${op.table}.${renamed}, which a later migration renames it to` };
    return { action: 'apply', op };
  }
  const differences = compareColumn(ctx.types, `${op.table}.${op.column}`, op.spec, existing, table, { inPrimaryKey: op.spec.primaryKey === true });
  return judge(differences, ctx, 'exists');
}

function renameColumn(op: Extract<SchemaOperation, { kind: 'renameColumn' }>, ctx: ClassifyContext): Decision {
  const table = requireTable(op, op.table, ctx);
  const from = findColumn(table, op.from);
  const to = findColumn(table, op.to);
  if (from && !to) return { action: 'apply', op };
  if (!from && to) return { action: 'skip', detail: `already renamed (${op.to} exists, ${op.from} absent)` };
  const target = operationTarget(op);
  if (from && to) {
    throw new IdemError('OPERATION_FAILED', `renameColumn ${target}: both ${op.table}.${op.from} and ${op.table}.${op.to} exist`, {
      operation: { kind: 'renameColumn', target },
      hint: `idem cannot tell which one holds the data; copy what you need into ${op.to}, drop ${op.from}, then re-run \`idem up\``,
    });
  }
  throw new IdemError('OPERATION_FAILED', `renameColumn ${target}: neither ${op.table}.${op.from} nor ${op.table}.${op.to} exists`, {
    operation: { kind: 'renameColumn', target },
    hint: `add ${op.from} in an earlier migration, or check the names`,
  });
}

function alterColumn(op: Extract<SchemaOperation, { kind: 'alterColumn' }>, ctx: ClassifyContext): Decision {
  const table = requireTable(op, op.table, ctx);
  const column = findColumn(table, op.column);
  if (!column) {
    throw new IdemError('OPERATION_INVALID', `alterColumn ${op.table}.${op.column}: the column does not exist`, {
      operation: { kind: 'alterColumn', target: `${op.table}.${op.column}` },
      hint: `add it first with m.addColumn('${op.table}', '${op.column}', …), or check the name`,
    });
  }
  const { needed, differences } = columnChangesNeeded(ctx.types, column, table, op.changes);
  if (differences.length === 0) return { action: 'skip', detail: 'already as declared' };
  return { action: 'apply', op: { ...op, changes: needed }, detail: describeChanges(differences), differences };
}

function describeChanges(differences: Difference[]): string {
  return differences.map((d) => `${d.field} ${show(d.actual)} -> ${show(d.declared)}`).join(', ');
}

function createIndex(op: Extract<SchemaOperation, { kind: 'createIndex' }>, ctx: ClassifyContext): Decision {
  const table = requireTable(op, op.table, ctx);
  const object = `${op.table}.${op.index.name}`;
  const named = indexByName(table, op.index.name);
  if (named) {
    const differences: Difference[] = [];
    if (!sameColumns(named.columns, op.index.columns)) differences.push({ object, field: 'columns', declared: op.index.columns, actual: named.columns });
    if (named.unique !== op.index.unique) differences.push({ object, field: 'unique', declared: op.index.unique, actual: named.unique });
    return judge(differences, ctx, 'exists');
  }
  const same = op.index.unique ? uniqueByShape(table, op.index.columns) : indexByShape(table, op.index.columns);
  if (same && (same.unique === op.index.unique || (op.index.unique && sameColumnSet(same.columns, op.index.columns)))) {
    return { action: 'skip', detail: `exists as ${same.name}` };
  }
  if (same && !op.index.unique) return { action: 'skip', detail: `exists as ${same.name} (unique)` };
  return { action: 'apply', op };
}

function addUnique(op: Extract<SchemaOperation, { kind: 'addUnique' }>, ctx: ClassifyContext): Decision {
  const table = requireTable(op, op.table, ctx);
  const object = `${op.table}.${op.unique.name}`;
  const named = indexByName(table, op.unique.name);
  if (named) {
    const differences: Difference[] = [];
    if (!sameColumnSet(named.columns, op.unique.columns)) differences.push({ object, field: 'columns', declared: op.unique.columns, actual: named.columns });
    if (!named.unique) differences.push({ object, field: 'unique', declared: true, actual: false });
    return judge(differences, ctx, 'exists');
  }
  const same = uniqueByShape(table, op.unique.columns);
  if (same) return { action: 'skip', detail: same.origin === 'primaryKey' ? 'the primary key already is unique on these columns' : `exists as ${same.name}` };
  return { action: 'apply', op };
}

function addForeignKey(op: Extract<SchemaOperation, { kind: 'addForeignKey' }>, ctx: ClassifyContext): Decision {
  const table = requireTable(op, op.table, ctx);
  requireTable(op, op.foreignKey.references.table, ctx);
  const fk = op.foreignKey;
  const object = `${op.table}.${fk.name}`;
  const named = foreignKeyByName(table, fk.name);
  if (named) {
    const differences: Difference[] = [];
    if (!sameColumns(named.columns, fk.columns)) differences.push({ object, field: 'columns', declared: fk.columns, actual: named.columns });
    if (named.refTable !== fk.references.table || !sameColumns(named.refColumns, fk.references.columns)) {
      differences.push({ object, field: 'references', declared: `${fk.references.table}(${fk.references.columns.join(', ')})`, actual: `${named.refTable}(${named.refColumns.join(', ')})` });
    }
    if (fk.onDelete && named.onDelete !== fk.onDelete) differences.push({ object, field: 'onDelete', declared: fk.onDelete, actual: named.onDelete });
    if (fk.onUpdate && named.onUpdate !== fk.onUpdate) differences.push({ object, field: 'onUpdate', declared: fk.onUpdate, actual: named.onUpdate });
    return judge(differences, ctx, 'exists');
  }
  const same = foreignKeyByShape(table, fk.columns, fk.references.table, fk.references.columns);
  if (same) return { action: 'skip', detail: same.name ? `exists as ${same.name}` : 'exists (unnamed)' };
  return { action: 'apply', op };
}

/**
 * Drops by name: by our name, else by the shape the migrations declared under
 * that name, so a key an init script created as `users_email_key` is found and
 * dropped rather than the drop being recorded with the key left in place.
 */
function dropByName(op: Extract<SchemaOperation, { kind: 'dropIndex' | 'dropUnique' | 'dropForeignKey' }>, ctx: ClassifyContext): Decision {
  const table = ctx.table(op.table);
  if (!table) return { action: 'skip', detail: `table ${op.table} absent` };
  if (op.kind === 'dropForeignKey') {
    const named = foreignKeyByName(table, op.name);
    if (named) return { action: 'apply', op: { ...op, resolved: { columns: named.columns, refTable: named.refTable } } };
    const declared = ctx.declared(op.table, op.name);
    const same = declared?.refTable && declared.refColumns ? foreignKeyByShape(table, declared.columns, declared.refTable, declared.refColumns) : undefined;
    if (same) {
      return { action: 'apply', op: { ...op, resolved: { columns: same.columns, refTable: same.refTable } }, detail: same.name ? `found as ${same.name}` : 'found unnamed by its columns' };
    }
    return { action: 'skip', detail: 'absent' };
  }
  const named = indexByName(table, op.name);
  if (named) return { action: 'apply', op: { ...op, name: named.name } };
  const declared = ctx.declared(op.table, op.name);
  if (declared) {
    const same = declared.kind === 'index' ? indexByShape(table, declared.columns) : uniqueByShape(table, declared.columns);
    if (same && same.origin !== 'primaryKey') return { action: 'apply', op: { ...op, name: same.name }, detail: `found as ${same.name}` };
  }
  return { action: 'skip', detail: 'absent' };
}
