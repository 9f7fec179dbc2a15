/**
 * DDL for SQLite. Where SQLite can change a table in place (add a plain
 * column, rename, create or drop an index, drop an unconstrained column) the
 * statements do that; everything else goes through `rebuildTable`, the
 * procedure SQLite documents: https://www.sqlite.org/lang_altertable.html#otheralter
 */
import { declaredPrimaryKey, mergeColumnChanges } from '../../catalog/compare-shape.ts';
import { indexByName, uniqueByShape } from '../../catalog/find-by-shape.ts';
import { findColumn, foldCase, type CatalogTable } from '../../catalog/snapshot.ts';
import { IdemError } from '../../errors.ts';
import type { ColumnSpec, ReferentialAction } from '../../plan/column-spec.ts';
import { uniqueColumnConstraintName } from '../../plan/constraint-names.ts';
import { referentialActionSql } from '../../plan/referential-actions.ts';
import type { Operation } from '../../plan/operations.ts';
import { validateColumnSpec } from '../../plan/validate-column.ts';
import type { DdlCompiler, Statement } from '../dialect.ts';
import { quoteSqliteIdentifier as q, quoteSqliteList as ql } from './sqlite-quote.ts';
import { rebuildTable, type RebuildChange } from './sqlite-rebuild.ts';
import { SQLITE_LIMITS, type SqliteTypeMapper } from './sqlite-types.ts';

type SchemaOperation = Exclude<Operation, { kind: 'executeIf' | 'sql' }>;

const stmt = (sql: string): Statement => ({ sql, params: [] });

export class SqliteDdlCompiler implements DdlCompiler {
  readonly #types: SqliteTypeMapper;

  constructor(types: SqliteTypeMapper) {
    this.#types = types;
  }

  /** `"name" type [PRIMARY KEY [AUTOINCREMENT]] [NOT NULL] [DEFAULT …]`; keys are added by the caller. */
  columnDefinition(name: string, spec: ColumnSpec, inlinePrimaryKey: boolean): string {
    // Checked here with the column's name, as mysql-ddl.ts does: the type mapper alone cannot name it.
    if (spec.type !== undefined) validateColumnSpec(name, spec, SQLITE_LIMITS);
    const parts = [q(name), this.#types.columnType(spec)];
    if (inlinePrimaryKey) parts.push(spec.autoIncrement ? 'PRIMARY KEY AUTOINCREMENT' : 'PRIMARY KEY');
    if (inlinePrimaryKey || spec.nullable === false) parts.push('NOT NULL');
    if (spec.default !== undefined) parts.push(`DEFAULT ${this.#types.defaultSql(spec.default, spec)}`);
    return parts.join(' ');
  }

  /** A rebuild starts from the table's CREATE TABLE text; dropping a column or a key depends on what holds it. */
  readsCatalog(op: SchemaOperation): boolean {
    switch (op.kind) {
      case 'addColumn': return addColumnRebuilds(op.spec);
      case 'dropColumn': case 'alterColumn': case 'dropIndex': case 'dropUnique': case 'addForeignKey': case 'dropForeignKey': return true;
      default: return false;
    }
  }

  compile(op: SchemaOperation, table: CatalogTable | undefined): Statement[] {
    switch (op.kind) {
      case 'createTable': return this.#createTable(op);
      case 'dropTable': return [stmt(`DROP TABLE ${q(op.table)}`)];
      case 'renameTable': {
        // SQLite refuses a new name that matches an existing table without regard to case, its own name
        // included: a rename that changes only the case goes through a name of idem's own.
        if (foldCase(op.from) !== foldCase(op.to)) return [stmt(`ALTER TABLE ${q(op.from)} RENAME TO ${q(op.to)}`)];
        const passing = `_idem_case_rename_${op.to}`;
        return [stmt(`ALTER TABLE ${q(op.from)} RENAME TO ${q(passing)}`), stmt(`ALTER TABLE ${q(passing)} RENAME TO ${q(op.to)}`)];
      }
      case 'renameColumn': return [stmt(`ALTER TABLE ${q(op.table)} RENAME COLUMN ${q(op.from)} TO ${q(op.to)}`)];
      case 'addColumn': return this.#addColumn(op.table, op.column, op.spec, need(table, op));
      case 'dropColumn': return this.#dropColumn(op.table, op.column, need(table, op));
      case 'alterColumn': return this.#alterColumn(op.table, op.column, op.changes, need(table, op));
      case 'createIndex':
        return [stmt(`CREATE ${op.index.unique ? 'UNIQUE ' : ''}INDEX ${q(op.index.name)} ON ${q(op.table)} (${ql(op.index.columns)})`)];
      case 'addUnique':
        // A unique index is SQLite's unique constraint without a table rebuild.
        return [stmt(`CREATE UNIQUE INDEX ${q(op.unique.name)} ON ${q(op.table)} (${ql(op.unique.columns)})`)];
      case 'dropIndex': case 'dropUnique': {
        const existing = indexByName(need(table, op), op.name);
        if (existing && existing.origin === 'index') return [stmt(`DROP INDEX ${q(existing.engineName ?? existing.name)}`)];
        if (existing && existing.origin === 'unique') return this.#rebuild(need(table, op), { kind: 'dropUnique', columns: existing.columns });
        throw new IdemError('OPERATION_INVALID', `${op.kind} ${op.table}.${op.name}: it is the primary key, which cannot be dropped this way`, {
          hint: 'a primary key changes with the table; create a new table and copy the rows',
        });
      }
      case 'addForeignKey': {
        const fk = op.foreignKey;
        return this.#rebuild(need(table, op), { kind: 'addConstraint', text: foreignKeyClause(fk.name, fk.columns, fk.references.table, fk.references.columns, fk.onDelete, fk.onUpdate) });
      }
      case 'dropForeignKey': {
        if (!op.resolved) throw new IdemError('INTERNAL', `dropForeignKey ${op.table}.${op.name}: compiled without a matching key`);
        return this.#rebuild(need(table, op), { kind: 'dropForeignKey', columns: op.resolved.columns, refTable: op.resolved.refTable });
      }
    }
  }

  createVersionTable(name: string): Statement[] {
    return [
      stmt(`CREATE TABLE IF NOT EXISTS ${q(name)} (
  revision TEXT PRIMARY KEY NOT NULL,
  description TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  applied INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  drift INTEGER NOT NULL,
  operations TEXT NOT NULL,
  seq INTEGER NOT NULL
)`),
      // The next row's seq is MAX(seq) + 1, read at every insert.
      stmt(`CREATE INDEX IF NOT EXISTS ${q(`${name}_seq`)} ON ${q(name)} (seq)`),
    ];
  }

  createProgressTable(name: string): Statement[] {
    return [stmt(`CREATE TABLE IF NOT EXISTS ${q(name)} (
  revision TEXT NOT NULL,
  direction TEXT NOT NULL,
  checksum TEXT NOT NULL,
  done TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (revision, direction)
)`)];
  }

  #createTable(op: Extract<Operation, { kind: 'createTable' }>): Statement[] {
    const primaryKey = declaredPrimaryKey(op.columns, op.options);
    const entries = Object.entries(op.columns);
    // A single auto-increment key must be written inline to become SQLite's rowid alias.
    const inlineKey = primaryKey.length === 1 && op.columns[primaryKey[0]!]?.autoIncrement === true ? primaryKey[0] : undefined;
    const items = entries.map(([name, spec]) =>
      this.columnDefinition(name, { ...spec, ...(primaryKey.includes(name) ? { nullable: false } : {}) }, name === inlineKey));
    if (primaryKey.length > 0 && inlineKey === undefined) items.push(`PRIMARY KEY (${ql(primaryKey)})`);
    for (const fk of op.options.foreignKeys ?? []) {
      items.push(foreignKeyClause(fk.name!, fk.columns, fk.references.table, fk.references.columns, fk.onDelete, fk.onUpdate));
    }
    const statements = [stmt(`CREATE TABLE ${q(op.table)} (\n  ${items.join(',\n  ')}\n)`)];
    for (const [name, spec] of entries) {
      if (spec.unique && !(primaryKey.length === 1 && primaryKey[0] === name)) {
        statements.push(stmt(`CREATE UNIQUE INDEX ${q(uniqueColumnConstraintName(op.table, name))} ON ${q(op.table)} (${q(name)})`));
      }
    }
    for (const unique of op.options.unique ?? []) {
      statements.push(stmt(`CREATE UNIQUE INDEX ${q(unique.name!)} ON ${q(op.table)} (${ql(unique.columns)})`));
    }
    for (const index of op.options.indexes ?? []) {
      statements.push(stmt(`CREATE ${index.unique ? 'UNIQUE ' : ''}INDEX ${q(index.name!)} ON ${q(op.table)} (${ql(index.columns)})`));
    }
    return statements;
  }

  #addColumn(tableName: string, column: string, spec: ColumnSpec, table: CatalogTable): Statement[] {
    const statements = addColumnRebuilds(spec)
      ? this.#rebuild(table, { kind: 'addColumn', definition: this.columnDefinition(column, spec, false) })
      : [stmt(`ALTER TABLE ${q(tableName)} ADD COLUMN ${this.columnDefinition(column, spec, false)}`)];
    if (spec.unique) statements.push(stmt(`CREATE UNIQUE INDEX ${q(uniqueColumnConstraintName(tableName, column))} ON ${q(tableName)} (${q(column)})`));
    return statements;
  }

  /** `changes` holds only what differs (the executor compared first). */
  #alterColumn(tableName: string, column: string, changes: ColumnSpec, table: CatalogTable): Statement[] {
    const { unique, ...shape } = changes;
    const statements: Statement[] = [];
    if (Object.keys(shape).length > 0) {
      const current = findColumn(table, column);
      if (!current) throw new IdemError('INTERNAL', `alterColumn ${tableName}.${column} compiled for a missing column`);
      const merged = mergeColumnChanges(current, table, shape);
      statements.push(...this.#rebuild(table, {
        kind: 'alterColumn', column,
        definition: (inlinePrimaryKey, autoIncrement) => this.columnDefinition(column, { ...merged, autoIncrement }, inlinePrimaryKey),
      }));
    }
    if (unique === true) {
      statements.push(stmt(`CREATE UNIQUE INDEX ${q(uniqueColumnConstraintName(tableName, column))} ON ${q(tableName)} (${q(column)})`));
    } else if (unique === false) {
      const existing = uniqueByShape(table, [column]);
      if (existing?.origin === 'index') statements.push(stmt(`DROP INDEX ${q(existing.engineName ?? existing.name)}`));
      else if (existing?.origin === 'unique') statements.push(...this.#rebuild(table, { kind: 'dropUnique', columns: [column] }));
    }
    return statements;
  }

  #dropColumn(tableName: string, column: string, table: CatalogTable): Statement[] {
    if (inKey(table, column)) return this.#rebuild(table, { kind: 'dropColumn', column });
    // DROP COLUMN refuses indexed columns; the indexes go with the column, as on PostgreSQL.
    const dropIndexes = table.indexes
      .filter((i) => i.origin === 'index' && i.columns.includes(column))
      .map((i) => stmt(`DROP INDEX ${q(i.engineName ?? i.name)}`));
    return [...dropIndexes, stmt(`ALTER TABLE ${q(tableName)} DROP COLUMN ${q(column)}`)];
  }

  #rebuild(table: CatalogTable, change: RebuildChange): Statement[] {
    return rebuildTable(table, change).map(stmt);
  }
}


function foreignKeyClause(name: string, columns: string[], refTable: string, refColumns: string[], onDelete?: ReferentialAction, onUpdate?: ReferentialAction): string {
  let clause = `CONSTRAINT ${q(name)} FOREIGN KEY (${ql(columns)}) REFERENCES ${q(refTable)} (${ql(refColumns)})`;
  if (onDelete) clause += ` ON DELETE ${referentialActionSql(onDelete)}`;
  if (onUpdate) clause += ` ON UPDATE ${referentialActionSql(onUpdate)}`;
  return clause;
}

/**
 * Whether the operation rebuilds the table (a new table from the old one's
 * CREATE TABLE text, rows copied): SQLite's ALTER TABLE cannot do it in place.
 * A rebuild renumbers the table's autoindexes.
 */
export function sqliteRebuilds(op: SchemaOperation, table: CatalogTable | undefined): boolean {
  switch (op.kind) {
    case 'addColumn': return addColumnRebuilds(op.spec);
    case 'dropColumn': return table !== undefined && inKey(table, op.column);
    case 'alterColumn': case 'addForeignKey': case 'dropForeignKey': return true;
    case 'dropIndex': case 'dropUnique': return table !== undefined && indexByName(table, op.name)?.origin === 'unique';
    default: return false;
  }
}

/** DROP COLUMN refuses a column of a key. */
function inKey(table: CatalogTable, column: string): boolean {
  return table.primaryKey.includes(column)
    || table.foreignKeys.some((f) => f.columns.includes(column))
    || table.indexes.some((i) => i.origin !== 'index' && i.columns.includes(column));
}

/**
 * ADD COLUMN refuses keys, NOT NULL without a constant default, and
 * expression defaults: such a column is added by rebuilding the table.
 * https://www.sqlite.org/lang_altertable.html#altertabaddcol
 */
function addColumnRebuilds(spec: ColumnSpec): boolean {
  return spec.primaryKey === true
    || (spec.nullable === false && (spec.default === undefined || spec.default === null))
    || (spec.default !== null && typeof spec.default === 'object');
}

function need(table: CatalogTable | undefined, op: SchemaOperation): CatalogTable {
  if (!table) throw new IdemError('INTERNAL', `${op.kind} compiled for a table the catalog does not have`);
  return table;
}
