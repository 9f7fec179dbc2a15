/**
 * Each schema operation judged against the catalog: apply it, skip it (it
 * already holds), or report drift (it exists, but not as declared). No I/O:
 * the live run, `plan` and tests all call this with a snapshot.
 */
import { columnChangesNeeded, compareColumn, compareReferentialActions, compareTable } from '../catalog/compare-shape.ts';
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
  /** The revision of a later operation that declares this object (`users` or `users.email`), or this field of it, if any. */
  laterDeclaration(object: string, field?: string): string | undefined;
  /** Where a later renameTable / renameColumn of this run takes this name. */
  laterTableName(table: string): string | undefined;
  laterColumnName(table: string, column: string): string | undefined;
  /**
   * Reapply only (`idem up --reapply`): what an already-applied later
   * migration declares is its own and is left alone. The operation with what
   * is still this one's (an alterColumn keeps the other fields), or the
   * revision that owns all of it.
   */
  ownedLater?(op: SchemaOperation): { op: SchemaOperation } | { owner: string } | undefined;
}

export interface ClassifyContext {
  types: TypeMapper;
  table(name: string): CatalogTable | undefined;
  declared(table: string, name: string): DeclaredConstraint | undefined;
  lookahead?: Lookahead;
}

export function classify(declared: SchemaOperation, ctx: ClassifyContext): Decision {
  const owned = ctx.lookahead?.ownedLater?.(declared);
  if (owned && 'owner' in owned) return { action: 'skip', detail: `left to ${owned.owner}, applied after it` };
  const op = atLaterNames(owned?.op ?? declared, ctx);
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

/**
 * An operation on a table or column that a later migration of this run
 * renames may meet it under the later name already: an init script created
 * the newest shape. Where the declared name is absent and the later one
 * exists, the operation is judged (and applied) there, as the run would have
 * left it. createTable, dropTable and renameTable judge renames themselves;
 * a new column's own name is addColumn's to judge.
 */
function atLaterNames(op: SchemaOperation, ctx: ClassifyContext): SchemaOperation {
  const lookahead = ctx.lookahead;
  if (!lookahead || op.kind === 'createTable' || op.kind === 'dropTable' || op.kind === 'renameTable') return op;
  const tableName = (name: string): string => {
    if (ctx.table(name)) return name;
    const later = lookahead.laterTableName(name);
    return later !== undefined && ctx.table(later) ? later : name;
  };
  const columnName = (declaredTable: string, table: string, name: string): string => {
    const actual = ctx.table(table);
    if (!actual || findColumn(actual, name)) return name;
    const later = lookahead.laterColumnName(declaredTable, name) ?? lookahead.laterColumnName(table, name);
    return later !== undefined && findColumn(actual, later) ? later : name;
  };
  const table = tableName(op.table);
  const columns = (list: string[]): string[] => list.map((c) => columnName(op.table, table, c));
  switch (op.kind) {
    case 'alterColumn': return { ...op, table, column: columnName(op.table, table, op.column) };
    case 'createIndex': return { ...op, table, index: { ...op.index, columns: columns(op.index.columns) } };
    case 'addUnique': return { ...op, table, unique: { ...op.unique, columns: columns(op.unique.columns) } };
    case 'addForeignKey': {
      const ref = op.foreignKey.references;
      const refTable = tableName(ref.table);
      return {
        ...op, table,
        foreignKey: {
          ...op.foreignKey, columns: columns(op.foreignKey.columns),
          references: { table: refTable, columns: ref.columns.map((c) => columnName(ref.table, refTable, c)) },
        },
      };
    }
    default: return table === op.table ? op : { ...op, table };
  }
}

/** Differences a later operation of this run will settle are not drift here. */
function settledLater(differences: Difference[], ctx: ClassifyContext): { open: Difference[]; later: Difference[] } {
  const open: Difference[] = [];
  const later: Difference[] = [];
  for (const d of differences) (ctx.lookahead?.laterDeclaration(d.object, d.field) ? later : open).push(d);
  return { open, later };
}

function judge(differences: Difference[], ctx: ClassifyContext, holds: string): Decision {
  const { open, later } = settledLater(differences, ctx);
  if (open.length > 0) return { action: 'drift', detail: `exists, differs: ${describeDifferences(open)}`, differences: open };
  if (later.length > 0) {
    return { action: 'skip', detail: `${holds}; left to a later migration: ${describeDifferences(later)}`, differences: later };
  }
  return { action: 'skip', detail: holds };
}

export function describeDifferences(differences: Difference[]): string {
  return differences.map((d) => {
    if (d.field === 'exists') return d.actual ? `${d.object} not declared` : `${d.object} missing`;
    // A comma, not parentheses: a declared type may carry its own (`string(20) (varchar(20) on SQLite)`).
    return `${d.object} ${d.field} ${show(d.actual)}, declared ${show(d.declared)}`;
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
  const lookahead = ctx.lookahead;
  const later = lookahead && {
    column: (table: string, column: string) => lookahead.laterColumnName(table, column),
    table: (table: string) => lookahead.laterTableName(table),
  };
  return judge(compareTable(ctx.types, op.table, op.columns, op.options, actual, later), ctx, 'exists');
}

function renameTable(op: Extract<SchemaOperation, { kind: 'renameTable' }>, ctx: ClassifyContext): Decision {
  return renameDecision(op, '', ctx.table(op.from) !== undefined, ctx.table(op.to) !== undefined, {
    both: 'drop or rename one of them by hand, then re-run `idem up`',
    neither: `create ${op.from} in an earlier migration, or check the names`,
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
  return renameDecision(op, `${op.table}.`, findColumn(table, op.from) !== undefined, findColumn(table, op.to) !== undefined, {
    both: `copy what you need into ${op.to}, drop ${op.from}, then re-run \`idem up\``,
    neither: `add ${op.from} in an earlier migration, or check the names`,
  });
}

/**
 * A rename applies when only the old name exists and is done when only the
 * new one does. Both or neither is an error: idem cannot tell which one
 * holds the data, and guessing could lose it.
 */
function renameDecision(op: Extract<SchemaOperation, { kind: 'renameTable' | 'renameColumn' }>, qualifier: string,
  fromExists: boolean, toExists: boolean, hints: { both: string; neither: string }): Decision {
  if (fromExists && !toExists) return { action: 'apply', op };
  if (!fromExists && toExists) return { action: 'skip', detail: `already renamed (${op.to} exists, ${op.from} absent)` };
  const target = operationTarget(op);
  const [from, to] = [`${qualifier}${op.from}`, `${qualifier}${op.to}`];
  const problem = fromExists ? `both ${from} and ${to} exist` : `neither ${from} nor ${to} exists`;
  throw new IdemError('OPERATION_FAILED', `${op.kind} ${target}: ${problem}`, {
    operation: { kind: op.kind, target },
    hint: fromExists ? `idem cannot tell which one holds the data; ${hints.both}` : hints.neither,
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

/**
 * The primary key has no index in some catalogs (SQLite's rowid alias
 * `id INTEGER PRIMARY KEY`), so it is checked on its own: a unique key on it
 * would only duplicate it.
 */
function isPrimaryKey(table: CatalogTable, columns: readonly string[]): boolean {
  return table.primaryKey.length > 0 && sameColumnSet(table.primaryKey, columns);
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
  if (op.index.unique && isPrimaryKey(table, op.index.columns)) return { action: 'skip', detail: 'the primary key already is unique on these columns' };
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
  if (same && same.origin !== 'primaryKey') return { action: 'skip', detail: `exists as ${same.name}` };
  if (same || isPrimaryKey(table, op.unique.columns)) return { action: 'skip', detail: 'the primary key already is unique on these columns' };
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
    differences.push(...compareReferentialActions(object, fk, named));
    return judge(differences, ctx, 'exists');
  }
  const same = foreignKeyByShape(table, fk.columns, fk.references.table, fk.references.columns);
  // Present under another name, but a declared ON DELETE / ON UPDATE it lacks is still drift.
  if (same) return judge(compareReferentialActions(object, fk, same), ctx, same.name ? `exists as ${same.name}` : 'exists (unnamed)');
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
