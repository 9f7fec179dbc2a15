/**
 * Declared against actual, in the engine's own terms. Every comparison
 * returns the differences as data (object, field, declared, actual): that is
 * drift, printed with both shapes, never silently skipped.
 */
import type { TypeMapper } from '../dialect/dialect.ts';
import type { ColumnMap, ColumnSpec, ForeignKeySpec, TableOptions, ReferentialAction } from '../plan/column-spec.ts';
import type { Difference } from '../plan/migration-context.ts';
import type { CatalogColumn, CatalogForeignKey, CatalogTable, ColumnTypeInfo } from './snapshot.ts';
import { findColumn, sameColumns, sameColumnSet } from './snapshot.ts';
import { foreignKeyByShape, indexByName, indexByShape } from './find-by-shape.ts';

/** A type as a person reads it: `varchar(255)`. */
export function describeType(info: ColumnTypeInfo): string {
  return info.raw;
}

/** A portable declaration as the migration wrote it: `string(100)`, `integer unsigned`, `timestamp(3) with time zone`. */
function portableSpelling(spec: ColumnSpec): string {
  const type = spec.type ?? '';
  const args = type === 'decimal' && spec.precision !== undefined ? [spec.precision, ...(spec.scale === undefined ? [] : [spec.scale])]
    : type === 'timestamp' && spec.precision !== undefined ? [spec.precision]
      : spec.length !== undefined ? [spec.length] : [];
  const text = args.length === 0 ? type : `${type}(${args.join(',')})`;
  return `${text}${spec.unsigned === true ? ' unsigned' : ''}${spec.withTimezone === true ? ' with time zone' : ''}`;
}

/**
 * The declared type for a drift line: the type the migration wrote, and the
 * engine's spelling where that differs, `timestamp (datetime on MySQL)`, so
 * the line never names only a type the migration does not mention.
 */
export function describeDeclaredType(types: TypeMapper, spec: ColumnSpec, declared: ColumnTypeInfo): string {
  const written = spec.sqlType !== undefined ? spec.sqlType.trim().replace(/\s+/g, ' ') : portableSpelling(spec);
  return written.toLowerCase() === declared.raw ? declared.raw : `${written} (${declared.raw} on ${types.engine})`;
}

/**
 * Equal types: the same portable type (or, without one, the same spelling),
 * with the same length, digits, zone and sign. Display widths are already
 * gone from both. Two types the engine stores alike (`types.storesAlike`) are equal.
 */
export function sameType(declared: ColumnTypeInfo, actual: ColumnTypeInfo, types?: TypeMapper): boolean {
  if (declared.type === null || actual.type === null) return declared.raw === actual.raw;
  if (declared.type !== actual.type) return types?.storesAlike?.(declared, actual) ?? false;
  switch (declared.type) {
    case 'string':
      return declared.length === undefined || actual.length === undefined || declared.length === actual.length;
    case 'binary':
      return declared.length === undefined || actual.length === undefined || declared.length === actual.length;
    case 'decimal':
      return (declared.precision ?? null) === (actual.precision ?? null) && (declared.scale ?? 0) === (actual.scale ?? 0);
    case 'timestamp':
      // Where the engine has no default precision (SQLite), one side without it is not drift.
      return (declared.withTimezone ?? false) === (actual.withTimezone ?? false)
        && (declared.precision === undefined || actual.precision === undefined || declared.precision === actual.precision);
    case 'integer': case 'bigint': case 'smallint':
      return (declared.unsigned ?? false) === (actual.unsigned ?? false);
    default:
      return true;
  }
}

/** Is `columns` covered by a unique key (constraint, unique index or the primary key) of exactly those columns? */
export function hasUniqueKey(table: CatalogTable, columns: readonly string[]): boolean {
  if (sameColumnSet(table.primaryKey, columns)) return true;
  return table.indexes.some((i) => i.unique && !i.partial && sameColumnSet(i.columns, columns));
}

export interface ColumnContext {
  /** The column belongs to the declared primary key (inline or table-level). */
  inPrimaryKey: boolean;
}

/** The fields of one column that differ; only declared fields are judged (an undeclared default is not drift). */
export function compareColumn(
  types: TypeMapper, objectName: string, spec: ColumnSpec, actual: CatalogColumn, table: CatalogTable, context: ColumnContext,
): Difference[] {
  const differences: Difference[] = [];
  const declaredType = types.declaredType(spec);
  if (!sameType(declaredType, actual.type, types)) {
    differences.push({ object: objectName, field: 'type', declared: describeDeclaredType(types, spec, declaredType), actual: describeType(actual.type) });
  }
  const declaredNullable = context.inPrimaryKey ? false : spec.nullable ?? true;
  if (declaredNullable !== actual.nullable) {
    differences.push({ object: objectName, field: 'nullable', declared: declaredNullable, actual: actual.nullable });
  }
  if (spec.default !== undefined) {
    const declaredDefault = types.normalizeDefault(types.defaultSql(spec.default, spec), declaredType);
    const actualDefault = types.normalizeDefault(actual.default, actual.type);
    if (declaredDefault !== actualDefault) {
      differences.push({ object: objectName, field: 'default', declared: declaredDefault, actual: actualDefault });
    }
  }
  if (spec.autoIncrement === true && !actual.autoIncrement) {
    differences.push({ object: objectName, field: 'autoIncrement', declared: true, actual: false });
  }
  const isPrimary = table.primaryKey.includes(actual.name);
  if (context.inPrimaryKey !== isPrimary) {
    differences.push({ object: objectName, field: 'primaryKey', declared: context.inPrimaryKey, actual: isPrimary });
  }
  if (spec.unique === true && !hasUniqueKey(table, [actual.name])) {
    differences.push({ object: objectName, field: 'unique', declared: true, actual: false });
  }
  return differences;
}

export function declaredPrimaryKey(columns: ColumnMap, options: TableOptions): string[] {
  if (options.primaryKey && options.primaryKey.length > 0) return options.primaryKey;
  return Object.entries(columns).filter(([, spec]) => spec.primaryKey === true).map(([name]) => name);
}

/**
 * Names a later operation of the same run gives a column or table. A key that
 * the database already has under those names is present: an init script
 * created the table in its newest shape (drift is judged where the run ends).
 */
export interface LaterNames {
  column(table: string, column: string): string | undefined;
  table(table: string): string | undefined;
}

/** A whole declared table against the one the database has: columns, primary key, keys. */
export function compareTable(
  types: TypeMapper, name: string, declaredColumns: ColumnMap, declaredOptions: TableOptions, actual: CatalogTable, later?: LaterNames,
): Difference[] {
  const { columns, options } = spelledAsCatalog(declaredColumns, declaredOptions, actual);
  const differences: Difference[] = [];
  const primaryKey = declaredPrimaryKey(columns, options);
  // A key holds under the declared column names or under the names later renames give them.
  const finalColumns = (table: string, list: readonly string[]): string[] => list.map((c) => later?.column(table, c) ?? c);
  const holds = (list: readonly string[], test: (cols: readonly string[]) => boolean): boolean =>
    test(list) || (later !== undefined && test(finalColumns(name, list)));
  for (const [column, spec] of Object.entries(columns)) {
    const existing = findColumn(actual, column);
    if (!existing) {
      differences.push({ object: `${name}.${column}`, field: 'exists', declared: true, actual: false });
      continue;
    }
    differences.push(...compareColumn(types, `${name}.${column}`, spec, existing, actual, { inPrimaryKey: primaryKey.includes(column) }));
  }
  for (const column of actual.columns) {
    if (!(column.name in columns)) {
      differences.push({ object: `${name}.${column.name}`, field: 'exists', declared: false, actual: true });
    }
  }
  if (primaryKey.length > 1 && !holds(primaryKey, (cols) => sameColumnSet(cols, actual.primaryKey))) {
    differences.push({ object: name, field: 'primaryKey', declared: primaryKey, actual: actual.primaryKey });
  }
  for (const unique of options.unique ?? []) {
    if (!holds(unique.columns, (cols) => hasUniqueKey(actual, cols))) {
      differences.push({ object: `${name}.${unique.name ?? unique.columns.join('_')}`, field: 'unique', declared: unique.columns, actual: null });
    }
  }
  // Declared indexes and foreign keys count too: a table adopted without them
  // is not as declared. Found by name, else by shape, as createIndex and
  // addForeignKey find them.
  for (const index of options.indexes ?? []) {
    const object = `${name}.${index.name ?? index.columns.join('_')}`;
    const named = index.name === undefined ? undefined : indexByName(actual, index.name);
    const present = named
      ? holds(index.columns, (cols) => sameColumns(named.columns, cols)) && (!index.unique || named.unique)
      : holds(index.columns, (cols) => (index.unique ? hasUniqueKey(actual, cols) : indexByShape(actual, cols) !== undefined));
    if (!present) differences.push({ object, field: index.unique ? 'unique' : 'index', declared: index.columns, actual: named?.columns ?? null });
  }
  for (const fk of options.foreignKeys ?? []) {
    const object = `${name}.${fk.name ?? fk.columns.join('_')}`;
    const refTable = fk.references.table;
    const laterRef = later?.table(refTable) ?? refTable;
    const found = foreignKeyByShape(actual, fk.columns, refTable, fk.references.columns)
      ?? (later === undefined ? undefined : foreignKeyByShape(actual, finalColumns(name, fk.columns), laterRef,
        fk.references.columns.map((c) => later.column(refTable, c) ?? later.column(laterRef, c) ?? c)));
    if (!found) {
      differences.push({ object, field: 'foreignKey', declared: `${refTable}(${fk.references.columns.join(', ')})`, actual: null });
      continue;
    }
    differences.push(...compareReferentialActions(object, fk, found));
  }
  return differences;
}

/**
 * The declaration with each column named as the catalog spells it, where the
 * engine resolves column names without regard to case (`nickname` is the
 * catalog's `NickName` on SQLite and MySQL): the same column, not one
 * missing and one undeclared.
 */
function spelledAsCatalog(columns: ColumnMap, options: TableOptions, actual: CatalogTable): { columns: ColumnMap; options: TableOptions } {
  if (actual.columnNamesFoldCase !== true) return { columns, options };
  const spell = (column: string): string => findColumn(actual, column)?.name ?? column;
  const list = (names: string[]): string[] => names.map(spell);
  return {
    columns: Object.fromEntries(Object.entries(columns).map(([column, spec]) => [spell(column), spec])),
    options: {
      ...options,
      ...(options.primaryKey ? { primaryKey: list(options.primaryKey) } : {}),
      ...(options.unique ? { unique: options.unique.map((u) => ({ ...u, columns: list(u.columns) })) } : {}),
      ...(options.indexes ? { indexes: options.indexes.map((i) => ({ ...i, columns: list(i.columns) })) } : {}),
      ...(options.foreignKeys ? { foreignKeys: options.foreignKeys.map((f) => ({ ...f, columns: list(f.columns) })) } : {}),
    },
  };
}

/** onDelete / onUpdate, where the migration declares them (an undeclared action is not drift). */
export function compareReferentialActions(
  object: string, declared: Pick<ForeignKeySpec, 'onDelete' | 'onUpdate'>, actual: Pick<CatalogForeignKey, 'onDelete' | 'onUpdate'>,
): Difference[] {
  const differences: Difference[] = [];
  if (declared.onDelete && !sameAction(actual.onDelete, declared.onDelete)) differences.push({ object, field: 'onDelete', declared: declared.onDelete, actual: actual.onDelete });
  if (declared.onUpdate && !sameAction(actual.onUpdate, declared.onUpdate)) differences.push({ object, field: 'onUpdate', declared: declared.onUpdate, actual: actual.onUpdate });
  return differences;
}

/**
 * RESTRICT and NO ACTION refuse the same changes for a key checked at once,
 * which is every key idem creates: InnoDB treats them as one
 * (https://dev.mysql.com/doc/refman/8.0/en/create-table-foreign-keys.html),
 * PostgreSQL differs only for deferred checks, and engines report an
 * unspecified action as either. Telling them apart would only be noise.
 */
function sameAction(actual: ReferentialAction, declared: ReferentialAction): boolean {
  const refuse = (a: ReferentialAction) => (a === 'restrict' ? 'no action' : a);
  return refuse(actual) === refuse(declared);
}

/** A column as the catalog describes it, in declaration terms (for rebuilds and for printing). */
export function columnAsSpec(column: CatalogColumn, table: CatalogTable): ColumnSpec {
  const spec: ColumnSpec = { sqlType: column.type.raw, nullable: column.nullable };
  if (column.default !== null) spec.default = { sql: column.default };
  if (table.primaryKey.length === 1 && table.primaryKey[0] === column.name) spec.primaryKey = true;
  if (column.autoIncrement) spec.autoIncrement = true;
  return spec;
}

export const TYPE_FIELDS = ['type', 'length', 'precision', 'scale', 'withTimezone', 'unsigned', 'sqlType'] as const;

/**
 * The column as it will be after `changes`: the catalog's column with the
 * declared fields replaced. A change of any type field restates the type in
 * portable terms, so `{ length: 512 }` on varchar(255) gives varchar(512).
 */
export function mergeColumnChanges(column: CatalogColumn, table: CatalogTable, changes: ColumnSpec): ColumnSpec {
  const base = columnAsSpec(column, table);
  // A declared portable type replaces a catalog type that has no portable name (interval → text).
  if (changes.type !== undefined && changes.sqlType === undefined && column.type.type === null) delete base.sqlType;
  if (TYPE_FIELDS.some((f) => changes[f] !== undefined) && changes.sqlType === undefined && column.type.type !== null) {
    delete base.sqlType;
    base.type = column.type.type;
    if (column.type.length !== undefined) base.length = column.type.length;
    if (column.type.precision !== undefined) base.precision = column.type.precision;
    if (column.type.scale !== undefined) base.scale = column.type.scale;
    if (column.type.withTimezone !== undefined) base.withTimezone = column.type.withTimezone;
    if (column.type.unsigned === true) base.unsigned = true;
    if (changes.type !== undefined && changes.type !== column.type.type) {
      delete base.length; delete base.precision; delete base.scale; delete base.withTimezone; delete base.unsigned;
    }
  }
  const merged: ColumnSpec = { ...base, ...changes };
  if (changes.default === undefined && base.default !== undefined) merged.default = base.default;
  return merged;
}

/** The fields of `changes` that differ from the column as it is: what alterColumn must apply. */
export function columnChangesNeeded(types: TypeMapper, column: CatalogColumn, table: CatalogTable, changes: ColumnSpec): { needed: ColumnSpec; differences: Difference[] } {
  const merged = mergeColumnChanges(column, table, changes);
  const object = `${table.name}.${column.name}`;
  const needed: ColumnSpec = {};
  const differences: Difference[] = [];
  if (TYPE_FIELDS.some((f) => changes[f] !== undefined)) {
    const declared = types.declaredType(merged);
    if (!sameType(declared, column.type, types)) {
      for (const f of TYPE_FIELDS) if (merged[f] !== undefined) (needed as Record<string, unknown>)[f] = merged[f];
      differences.push({ object, field: 'type', declared: describeDeclaredType(types, merged, declared), actual: column.type.raw });
    }
  }
  if (changes.nullable !== undefined && changes.nullable !== column.nullable) {
    needed.nullable = changes.nullable;
    differences.push({ object, field: 'nullable', declared: changes.nullable, actual: column.nullable });
  }
  if (changes.default !== undefined) {
    const declared = types.normalizeDefault(changes.default === null ? null : types.defaultSql(changes.default, merged), column.type);
    const actual = types.normalizeDefault(column.default, column.type);
    if (declared !== actual) {
      needed.default = changes.default;
      differences.push({ object, field: 'default', declared, actual });
    }
  }
  if (changes.unique !== undefined && changes.unique !== hasUniqueKey(table, [column.name])) {
    needed.unique = changes.unique;
    differences.push({ object, field: 'unique', declared: changes.unique, actual: !changes.unique });
  }
  return { needed, differences };
}
