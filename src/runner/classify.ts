/**
 * Each schema operation judged against the catalog: apply it, skip it (it
 * already holds), or report drift (it exists, but not as declared). No I/O:
 * the live run, `plan` and tests all call this with a snapshot.
 */
import { columnChangesNeeded, compareColumn, compareReferentialActions, compareTable } from '../catalog/compare-shape.ts';
import { foreignKeyByName, foreignKeyByShape, indexByName, indexByShape, uniqueByShape } from '../catalog/find-by-shape.ts';
import { findColumn, sameColumns, sameColumnSet, type CatalogTable, type NamesInUse } from '../catalog/snapshot.ts';
import type { TypeMapper } from '../dialect/dialect.ts';
import { IdemError } from '../errors.ts';
import { defaultConstraintName, uniqueColumnConstraintName, type ConstraintPrefix } from '../plan/constraint-names.ts';
import type { ColumnSpec } from '../plan/column-spec.ts';
import type { Difference } from '../plan/migration-context.ts';
import { operationTarget, type Operation } from '../plan/operations.ts';

export type SchemaOperation = Exclude<Operation, { kind: 'executeIf' | 'sql' }>;

export type Decision =
  | { action: 'apply'; op: SchemaOperation; detail?: string; differences?: Difference[] }
  | { action: 'skip'; detail: string; differences?: Difference[]; leftAbsent?: LeftAbsentObject }
  | { action: 'drift'; detail: string; differences: Difference[] };

/** A table or column a skip left absent because a later migration removes it, and that migration. */
export interface LeftAbsentObject {
  object: { table: string; column?: string };
  removedBy: string;
}

/** A constraint's shape as a migration declared it, to find it by shape when its name is not in the database. */
export interface DeclaredConstraint {
  kind: 'index' | 'unique' | 'foreignKey';
  columns: string[];
  refTable?: string;
  refColumns?: string[];
}

/** What later operations of the same run declare: drift is judged where the run ends, not midway. */
export interface Lookahead {
  /**
   * The revision of a later operation that declares this object (`users` or
   * `users.email`), or this field of it, if any; `foldsCase`: names that
   * differ only in case are the same object.
   */
  laterDeclaration(object: string, field?: string, foldsCase?: boolean): string | undefined;
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
  /**
   * The revision of a later operation of this run that removes this object
   * (a drop of it or of its table), with no rename of its name in between.
   */
  laterRemoval(object: { table: string; column?: string; key?: string }): string | undefined;
  /** The revision of a later operation of this run that creates this object, with nothing removing or moving it in between. */
  laterCreation(object: { table: string; column?: string }): string | undefined;
  /**
   * For a drop of an object an earlier operation of this run creates: the
   * later operation that creates it again, and the look-ahead from there.
   */
  laterRecreation(drop: SchemaOperation): { revision: string; op: SchemaOperation; lookahead: Lookahead } | undefined;
  /** laterRemoval's operation itself, with the look-ahead from there. */
  removalOf(object: { table: string; column?: string }): { revision: string; op: SchemaOperation; lookahead: Lookahead } | undefined;
}

export interface ClassifyContext {
  types: TypeMapper;
  table(name: string): CatalogTable | undefined;
  /** Names the schema's objects hold: a generated name another object holds gets its hashed form. */
  names?: NamesInUse;
  declared(table: string, name: string): DeclaredConstraint | undefined;
  lookahead?: Lookahead;
}

export function classify(declared: SchemaOperation, ctx: ClassifyContext): Decision {
  const owned = ctx.lookahead?.ownedLater?.(declared);
  if (owned && 'owner' in owned) return { action: 'skip', detail: `left to ${owned.owner}, applied after it` };
  const base = owned?.op ?? declared;
  const { op, moved } = clearOfHeldNames(base, atCatalogNames(atLaterNames(base, ctx), ctx), ctx);
  const decision = tableRemovedLater(op, ctx) ?? inRecreatedObject(op, ctx) ?? judgeOperation(op, ctx);
  if (moved.length === 0 || decision.action !== 'apply') return decision;
  const note = moved.map((m) => `as ${m.name}: ${m.held} is taken`).join('; ');
  return { ...decision, detail: decision.detail ? `${decision.detail}; ${note}` : note };
}

function judgeOperation(op: SchemaOperation, ctx: ClassifyContext): Decision {
  switch (op.kind) {
    case 'createTable': return createTable(op, ctx);
    case 'dropTable':
      return ctx.table(op.table) ? keptForRecreation(op, ctx) ?? { action: 'apply', op } : { action: 'skip', detail: 'absent' };
    case 'renameTable': return renameTable(op, ctx);
    case 'addColumn': return addColumn(op, ctx);
    case 'dropColumn': {
      const table = ctx.table(op.table);
      if (!table) return { action: 'skip', detail: `table ${op.table} absent` };
      return findColumn(table, op.column) ? keptForRecreation(op, ctx) ?? { action: 'apply', op } : { action: 'skip', detail: 'absent' };
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
 * An operation inside a table (or referring to one, as a foreign key does)
 * that is absent and that a later migration of this run drops: there is
 * nothing to act on, and what it would make would be dropped again. Skipped,
 * the table left absent.
 */
function tableRemovedLater(op: SchemaOperation, ctx: ClassifyContext): Decision | undefined {
  const lookahead = ctx.lookahead;
  if (!lookahead || op.kind === 'createTable' || op.kind === 'renameTable' || op.kind.startsWith('drop')) return undefined;
  const tables = op.kind === 'addForeignKey' ? [op.table, op.foreignKey.references.table] : [op.table];
  for (const table of tables) {
    if (ctx.table(table)) continue;
    const removedBy = lookahead.laterRemoval({ table });
    if (removedBy === undefined) continue;
    const what = table === op.table ? `table ${table} absent` : `references ${table}, absent`;
    return { action: 'skip', detail: `${what}; dropped later by ${removedBy}`, leftAbsent: { object: { table }, removedBy } };
  }
  return undefined;
}

/**
 * An object absent from the database that a later migration of this run
 * removes (itself, or one of the columns it is made of): left absent.
 */
function removedLater(ctx: ClassifyContext, table: CatalogTable | undefined, object: { table: string; column?: string; key?: string }, columns: readonly string[] = []): Decision | undefined {
  const lookahead = ctx.lookahead;
  if (!lookahead) return undefined;
  const own = lookahead.laterRemoval(object);
  if (own !== undefined) {
    const leftAbsent = object.key === undefined ? { leftAbsent: { object: { table: object.table, ...(object.column !== undefined ? { column: object.column } : {}) }, removedBy: own } } : {};
    return { action: 'skip', detail: `absent; dropped later by ${own}`, ...leftAbsent };
  }
  for (const column of columns) {
    if (table && findColumn(table, column)) continue;
    const removedBy = lookahead.laterRemoval({ table: object.table, column });
    if (removedBy !== undefined) return { action: 'skip', detail: `column ${column} absent; dropped later by ${removedBy}` };
  }
  return undefined;
}

/**
 * A drop between an earlier create of this run and a later one: where the
 * database already holds the object as the later operation declares it (an
 * init script made the newest schema), the object is the one the run ends
 * with, and dropping it would only throw its rows away. Judged against the
 * object's last declared shape; a database holding an older shape gets the drop.
 */
function keptForRecreation(op: SchemaOperation, ctx: ClassifyContext): Decision | undefined {
  const kept = recreatedAs(op, ctx);
  return kept && { action: 'skip', detail: `exists as ${kept.revision} creates it again (${kept.detail})` };
}

/** The later create of what `drop` removes, when the database already holds the object as that create declares it. */
function recreatedAs(drop: SchemaOperation, ctx: ClassifyContext): { revision: string; detail: string } | undefined {
  const again = ctx.lookahead?.laterRecreation(drop);
  if (!again) return undefined;
  let judged: Decision;
  try {
    judged = classify(again.op, { ...ctx, lookahead: again.lookahead });
  } catch {
    return undefined;
  }
  return judged.action === 'skip' ? { revision: again.revision, detail: judged.detail } : undefined;
}

/**
 * An operation on a table (or a column) that a later migration of this run
 * drops and another creates again, where the database already holds it as
 * created again: the run ends with this very object, so what the history
 * did to the earlier one in between (a rename, a new column, a key) is not
 * done to it. Without this, a rename on it would make the drop apply after all.
 */
function inRecreatedObject(op: SchemaOperation, ctx: ClassifyContext): Decision | undefined {
  const lookahead = ctx.lookahead;
  if (!lookahead || op.kind === 'createTable' || op.kind === 'dropTable') return undefined;
  const table = op.kind === 'renameTable' ? op.from : op.table;
  const objects: Array<{ table: string; column?: string }> = [{ table }];
  if (op.kind === 'alterColumn') objects.push({ table, column: op.column });
  if (op.kind === 'renameColumn') objects.push({ table, column: op.from });
  const actual = ctx.table(table);
  if (!actual) return undefined;
  for (const object of objects) {
    if (object.column !== undefined && !findColumn(actual, object.column)) continue;
    const removal = lookahead.removalOf(object);
    if (!removal) continue;
    const kept = recreatedAs(removal.op, { ...ctx, lookahead: removal.lookahead });
    const name = object.column === undefined ? table : `${table}.${object.column}`;
    if (kept) return { action: 'skip', detail: `${name} is the one ${kept.revision} creates again after ${removal.revision} drops it; left to them` };
  }
  return undefined;
}

/**
 * Generated names that another object already holds get their hashed form
 * (constraint-names.ts): `user(group_id)` took `ix_user_group_id`, so
 * `user_group(id)` gets `ix_user_group_id_<hash>` rather than failing with
 * "already exists" (or, on MySQL, sharing a name a later drop could not
 * tell apart). A name the migration wrote is its own and stays. The same
 * judgement on a re-run finds the hashed one in place: the readable name is
 * still the other object's.
 */
function clearOfHeldNames(declared: SchemaOperation, op: SchemaOperation, ctx: ClassifyContext): { op: SchemaOperation; moved: Array<{ held: string; name: string }> } {
  const moved: Array<{ held: string; name: string }> = [];
  const names = ctx.names;
  if (!names || declared.kind !== op.kind || !['createIndex', 'addUnique', 'addForeignKey', 'createTable'].includes(op.kind)) return { op, moved };
  // Generated from the names the migration wrote; judged where the operation acts (a later name, the catalog's spelling).
  const table = (declared as { table: string }).table;
  const own = ctx.table((op as { table: string }).table);
  const clear = (name: string, prefix: ConstraintPrefix, declaredColumns: string[], columns: string[], refTable?: string, actualRef?: string): string => {
    if (name !== defaultConstraintName(prefix, table, declaredColumns, refTable)) return name;
    const hashed = defaultConstraintName(prefix, table, declaredColumns, refTable, true);
    if (hashed === name || !generatedNameHeld(name, prefix, table, own, columns, actualRef, names)) return name;
    moved.push({ held: name, name: hashed });
    return hashed;
  };
  if (op.kind === 'createIndex' && declared.kind === 'createIndex') {
    const name = clear(op.index.name, op.index.unique ? 'uq' : 'ix', declared.index.columns, op.index.columns);
    return { op: name === op.index.name ? op : { ...op, index: { ...op.index, name } }, moved };
  }
  if (op.kind === 'addUnique' && declared.kind === 'addUnique') {
    const name = clear(op.unique.name, 'uq', declared.unique.columns, op.unique.columns);
    return { op: name === op.unique.name ? op : { ...op, unique: { ...op.unique, name } }, moved };
  }
  if (op.kind === 'addForeignKey' && declared.kind === 'addForeignKey') {
    const [fk, was] = [op.foreignKey, declared.foreignKey];
    const name = clear(fk.name, 'fk', was.columns, fk.columns, was.references.table, fk.references.table);
    return { op: name === fk.name ? op : { ...op, foreignKey: { ...fk, name } }, moved };
  }
  if (op.kind === 'createTable') {
    // createTable keeps its declared names (atCatalogNames leaves it alone).
    const o = op.options;
    const options = {
      ...o,
      ...(o.unique ? { unique: o.unique.map((u) => (u.name ? { ...u, name: clear(u.name, 'uq', u.columns, u.columns) } : u)) } : {}),
      ...(o.indexes ? { indexes: o.indexes.map((i) => (i.name ? { ...i, name: clear(i.name, i.unique ? 'uq' : 'ix', i.columns, i.columns) } : i)) } : {}),
      ...(o.foreignKeys ? { foreignKeys: o.foreignKeys.map((f) => (f.name ? { ...f, name: clear(f.name, 'fk', f.columns, f.columns, f.references.table, f.references.table) } : f)) } : {}),
    };
    return { op: moved.length === 0 ? op : { ...op, options }, moved };
  }
  return { op, moved };
}

/**
 * Whether a generated name is held by another object: on this table, a key
 * of other columns whose generated name is the same (`t(a_b)` against
 * `t(a, b)`); elsewhere, any index, table or (for a foreign key) foreign key
 * of that name. A key of this shape under the name is this declaration's own.
 */
function generatedNameHeld(
  name: string, prefix: ConstraintPrefix, table: string, own: CatalogTable | undefined, columns: string[], refTable: string | undefined, names: NamesInUse,
): boolean {
  if (prefix === 'fk') {
    const held = own ? foreignKeyByName(own, name) : undefined;
    if (held) return !(sameColumns(held.columns, columns) && held.refTable === refTable) && defaultConstraintName('fk', table, held.columns, held.refTable) === name;
    return names.foreignKey(name);
  }
  const held = own ? indexByName(own, name) : undefined;
  if (held) return !sameColumns(held.columns, columns) && defaultConstraintName(prefix, table, held.columns) === name;
  return names.relation(name);
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

/**
 * Names as the engine resolves them: where it matches names without regard
 * to case (SQLite; MySQL's columns, and its tables per
 * lower_case_table_names), `users.nickname` is the catalog's
 * `Users.NickName`. The operation goes on under the catalog's spelling, so
 * what it compiles and what the run's snapshot keeps name the same object.
 * A name new to the database (a created table, an added column, a rename's
 * target) keeps the declared spelling; createTable and addColumn say when
 * they meet their object in another case, and renames resolve their own.
 */
function atCatalogNames(op: SchemaOperation, ctx: ClassifyContext): SchemaOperation {
  if (op.kind === 'createTable') return op;
  if (op.kind === 'renameTable') return op;
  const table = ctx.table(op.table);
  if (!table) return op;
  const column = (name: string, of: CatalogTable | undefined = table): string => (of && findColumn(of, name)?.name) ?? name;
  const columns = (list: string[], of?: CatalogTable): string[] => list.map((c) => column(c, of));
  const base = { table: table.name };
  switch (op.kind) {
    case 'addColumn': return { ...op, ...base };
    case 'dropColumn': case 'alterColumn': return { ...op, ...base, column: column(op.column) };
    case 'renameColumn': return { ...op, ...base };
    case 'createIndex': return { ...op, ...base, index: { ...op.index, columns: columns(op.index.columns) } };
    case 'addUnique': return { ...op, ...base, unique: { ...op.unique, columns: columns(op.unique.columns) } };
    case 'addForeignKey': {
      const ref = ctx.table(op.foreignKey.references.table);
      return {
        ...op, ...base,
        foreignKey: {
          ...op.foreignKey, columns: columns(op.foreignKey.columns),
          references: { table: ref?.name ?? op.foreignKey.references.table, columns: columns(op.foreignKey.references.columns, ref) },
        },
      };
    }
    default: return { ...op, ...base };
  }
}

/** Differences a later operation of this run will settle are not drift here. */
function settledLater(differences: Difference[], ctx: ClassifyContext, foldsCase: boolean): { open: Difference[]; later: Difference[] } {
  const open: Difference[] = [];
  const later: Difference[] = [];
  for (const d of differences) (ctx.lookahead?.laterDeclaration(d.object, d.field, foldsCase) ? later : open).push(d);
  return { open, later };
}

/** `foldsCase`: the table's column names match without regard to case, so a later `users.nickname` settles `users.NickName`. */
function judge(differences: Difference[], ctx: ClassifyContext, holds: string, foldsCase = false): Decision {
  const { open, later } = settledLater(differences, ctx, foldsCase);
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
    return removedLater(ctx, undefined, { table: op.table }) ?? { action: 'apply', op };
  }
  const lookahead = ctx.lookahead;
  const later = lookahead && {
    column: (table: string, column: string) => lookahead.laterColumnName(table, column),
    table: (table: string) => lookahead.laterTableName(table),
  };
  const differences = compareTable(ctx.types, op.table, op.columns, op.options, actual, later);
  return judge(differences, withKeysOfDroppedColumns(op, ctx), actual.name === op.table ? 'exists' : `exists as ${actual.name}`, actual.columnNamesFoldCase === true);
}

/**
 * What a later migration of this run removes is not drift here: a key the
 * table declares on a column that is dropped later goes with the column, and
 * a column's own `unique: true` whose key (`uq_<table>_<column>`) is dropped
 * later. Both are left to those drops, as the column's own absence is.
 */
function withKeysOfDroppedColumns(op: Extract<SchemaOperation, { kind: 'createTable' }>, ctx: ClassifyContext): ClassifyContext {
  const lookahead = ctx.lookahead;
  if (!lookahead) return ctx;
  const keys = [...op.options.indexes ?? [], ...op.options.unique ?? [], ...op.options.foreignKeys ?? []];
  const removedWith = new Map<string, string>();
  for (const key of keys) {
    if (!key.name) continue;
    const removedBy = key.columns.map((column) => lookahead.laterRemoval({ table: op.table, column })).find((r) => r !== undefined);
    if (removedBy !== undefined) removedWith.set(`${op.table}.${key.name}`, removedBy);
  }
  for (const [column, spec] of Object.entries(op.columns)) {
    const removedBy = spec.unique ? uniqueDroppedLater(ctx, op.table, column) : undefined;
    if (removedBy !== undefined) removedWith.set(`${op.table}.${column} unique`, removedBy);
  }
  return withRemovedLater(ctx, removedWith);
}

/** The revision that drops the key a column's `unique: true` makes, later in this run. */
function uniqueDroppedLater(ctx: ClassifyContext, table: string, column: string): string | undefined {
  return ctx.lookahead?.laterRemoval({ table, key: uniqueColumnConstraintName(table, column) });
}

/** The look-ahead, with these objects (`t.k`, or `t.c unique` for one field) settled by the given revisions. */
function withRemovedLater(ctx: ClassifyContext, removedWith: ReadonlyMap<string, string>): ClassifyContext {
  const lookahead = ctx.lookahead;
  if (!lookahead || removedWith.size === 0) return ctx;
  return {
    ...ctx,
    lookahead: {
      ...lookahead,
      laterDeclaration: (object, field) => removedWith.get(object) ?? (field ? removedWith.get(`${object} ${field}`) : undefined) ?? lookahead.laterDeclaration(object, field),
    },
  };
}

function renameTable(op: Extract<SchemaOperation, { kind: 'renameTable' }>, ctx: ClassifyContext): Decision {
  const [from, to] = [ctx.table(op.from), ctx.table(op.to)];
  // Where names fold, a rename that changes only the case finds one table under both names: done once it is spelled `to`.
  if (from !== undefined && from === to) return caseOnlyRename(op, from.name);
  if (!from && !to) {
    const gone = removedLater(ctx, undefined, { table: op.to });
    if (gone) return gone;
  }
  if (from && to) {
    const again = ctx.lookahead?.laterCreation({ table: op.from });
    if (again) return { action: 'skip', detail: `already renamed (${op.to} exists; the ${op.from} there is the one ${again} creates again)` };
  }
  return renameDecision({ ...op, from: from?.name ?? op.from }, op, '', from !== undefined, to !== undefined, {
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
    return removedLater(ctx, table, { table: op.table, column: op.column }) ?? { action: 'apply', op };
  }
  const differences = compareColumn(ctx.types, `${op.table}.${op.column}`, op.spec, existing, table, { inPrimaryKey: op.spec.primaryKey === true });
  const uniqueGone = op.spec.unique ? uniqueDroppedLater(ctx, op.table, op.column) : undefined;
  const judged = uniqueGone === undefined ? ctx : withRemovedLater(ctx, new Map([[`${op.table}.${op.column} unique`, uniqueGone]]));
  return judge(differences, judged, existing.name === op.column ? 'exists' : `exists as ${table.name}.${existing.name}`, table.columnNamesFoldCase === true);
}

function renameColumn(op: Extract<SchemaOperation, { kind: 'renameColumn' }>, ctx: ClassifyContext): Decision {
  const table = requireTable(op, op.table, ctx);
  const [from, to] = [findColumn(table, op.from), findColumn(table, op.to)];
  if (from !== undefined && from === to) return caseOnlyRename(op, from.name);
  if (!from && !to) {
    const gone = removedLater(ctx, table, { table: op.table, column: op.to });
    if (gone) return gone;
  }
  if (from && to) {
    const again = ctx.lookahead?.laterCreation({ table: op.table, column: op.from });
    if (again) return { action: 'skip', detail: `already renamed (${op.table}.${op.to} exists; the ${op.from} there is the one ${again} adds again)` };
  }
  return renameDecision({ ...op, from: from?.name ?? op.from }, op, `${op.table}.`, from !== undefined, to !== undefined, {
    both: `copy what you need into ${op.to}, drop ${op.from}, then re-run \`idem up\``,
    neither: `add ${op.from} in an earlier migration, or check the names`,
  });
}

/** A rename to the same name in another case, on an engine that finds the object under both: `actual` is how it is spelled now. */
function caseOnlyRename(op: Extract<SchemaOperation, { kind: 'renameTable' | 'renameColumn' }>, actual: string): Decision {
  if (actual === op.to) return { action: 'skip', detail: `already renamed (${op.to} exists, ${op.from} absent)` };
  return { action: 'apply', op: { ...op, from: actual } };
}

/**
 * A rename applies when only the old name exists and is done when only the
 * new one does. Both or neither is an error: idem cannot tell which one
 * holds the data, and guessing could lose it.
 */
function renameDecision<Op extends Extract<SchemaOperation, { kind: 'renameTable' | 'renameColumn' }>>(resolved: Op, op: Op, qualifier: string,
  fromExists: boolean, toExists: boolean, hints: { both: string; neither: string }): Decision {
  if (fromExists && !toExists) return { action: 'apply', op: resolved };
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
    const gone = removedLater(ctx, table, { table: op.table, column: op.column });
    if (gone) return gone;
    throw new IdemError('OPERATION_INVALID', `alterColumn ${op.table}.${op.column}: the column does not exist`, {
      operation: { kind: 'alterColumn', target: `${op.table}.${op.column}` },
      hint: `add it first with m.addColumn('${op.table}', '${op.column}', …), or check the name`,
    });
  }
  // A unique key this alter adds and a later migration of the run drops again is left out (rows may already break it).
  const uniqueGone = op.changes.unique === true ? uniqueDroppedLater(ctx, op.table, op.column) : undefined;
  const changes = uniqueGone === undefined ? op.changes : withoutUnique(op.changes);
  const { needed, differences } = columnChangesNeeded(ctx.types, column, table, changes);
  if (differences.length === 0) return { action: 'skip', detail: uniqueGone === undefined ? 'already as declared' : `already as declared; its unique key is dropped later by ${uniqueGone}` };
  return { action: 'apply', op: { ...op, changes: needed }, detail: describeChanges(differences), differences };
}

function withoutUnique(changes: ColumnSpec): ColumnSpec {
  const { unique: _unique, ...rest } = changes;
  return rest;
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
  return removedLater(ctx, table, { table: op.table, key: op.index.name }, op.index.columns) ?? { action: 'apply', op };
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
  return removedLater(ctx, table, { table: op.table, key: op.unique.name }, op.unique.columns) ?? { action: 'apply', op };
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
  return removedLater(ctx, table, { table: op.table, key: fk.name }, fk.columns) ?? { action: 'apply', op };
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
    if (named) return keptForRecreation(op, ctx) ?? { action: 'apply', op: { ...op, resolved: { columns: named.columns, refTable: named.refTable } } };
    const declared = ctx.declared(op.table, op.name);
    const same = declared?.refTable && declared.refColumns ? foreignKeyByShape(table, declared.columns, declared.refTable, declared.refColumns) : undefined;
    if (same) {
      const kept = keptForRecreation(op, ctx);
      if (kept) return kept;
      return { action: 'apply', op: { ...op, resolved: { columns: same.columns, refTable: same.refTable } }, detail: same.name ? `found as ${same.name}` : 'found unnamed by its columns' };
    }
    return { action: 'skip', detail: 'absent' };
  }
  const named = indexByName(table, op.name);
  if (named) return keptForRecreation(op, ctx) ?? { action: 'apply', op: { ...op, name: named.name } };
  const declared = ctx.declared(op.table, op.name);
  if (declared) {
    const same = declared.kind === 'index' ? indexByShape(table, declared.columns) : uniqueByShape(table, declared.columns);
    if (same && same.origin !== 'primaryKey') return keptForRecreation(op, ctx) ?? { action: 'apply', op: { ...op, name: same.name }, detail: `found as ${same.name}` };
  }
  return { action: 'skip', detail: 'absent' };
}
