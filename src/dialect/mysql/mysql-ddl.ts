/**
 * DDL for MySQL 8 and MariaDB 10.5+. Every statement is plain ALTER/CREATE/
 * DROP without IF [NOT] EXISTS: MySQL lacks most of those clauses and the
 * catalog has already decided what is missing. Each DDL statement commits on
 * its own (https://dev.mysql.com/doc/refman/8.0/en/implicit-commit.html), so
 * where one change takes several clauses they go into one ALTER TABLE, which
 * the server applies whole or not at all.
 * https://dev.mysql.com/doc/refman/8.0/en/alter-table.html
 * https://mariadb.com/kb/en/alter-table/
 */
import { declaredPrimaryKey, mergeColumnChanges } from '../../catalog/compare-shape.ts';
import { foreignKeyByName, indexByName, uniqueByShape } from '../../catalog/find-by-shape.ts';
import { findColumn, sameColumns, type CatalogIndex, type CatalogTable } from '../../catalog/snapshot.ts';
import { IdemError } from '../../errors.ts';
import type { ColumnSpec, ReferentialAction } from '../../plan/column-spec.ts';
import { defaultConstraintName, uniqueColumnConstraintName } from '../../plan/constraint-names.ts';
import { referentialActionSql } from '../../plan/referential-actions.ts';
import type { Operation } from '../../plan/operations.ts';
import { validateColumnSpec } from '../../plan/validate-column.ts';
import type { DdlCompiler, Statement } from '../dialect.ts';
import { quoteMysqlIdentifier as q, quoteMysqlList as ql, quoteNewMysqlIdentifier as qn } from './mysql-quote.ts';
import { splitColumnAttributes, type MysqlTypeMapper } from './mysql-types.ts';

type SchemaOperation = Exclude<Operation, { kind: 'executeIf' | 'sql' }>;

const stmt = (sql: string): Statement => ({ sql, params: [] });

/**
 * InnoDB, named: a server whose default engine is MyISAM would accept FOREIGN
 * KEY clauses and silently drop them, and could not roll back data changes.
 * https://dev.mysql.com/doc/refman/8.0/en/myisam-storage-engine.html
 */
const TABLE_SUFFIX = 'ENGINE=InnoDB';

/** How a column definition is written besides its spec. */
export interface ColumnClauses {
  /** `PRIMARY KEY` inline (a single-column key in CREATE TABLE / ADD COLUMN). */
  inlinePrimaryKey?: boolean;
  /** A key column: NOT NULL whatever the spec says, as the server would make it. */
  inPrimaryKey?: boolean;
  /** Attributes to keep from the column as it is (collation, ON UPDATE), for MODIFY. */
  keep?: { collate?: string; onUpdate?: string };
}

export class MysqlDdlCompiler implements DdlCompiler {
  readonly #types: MysqlTypeMapper;

  constructor(types: MysqlTypeMapper) {
    this.#types = types;
  }

  /**
   * `` `name` type [COLLATE c] NULL|NOT NULL [DEFAULT …] [ON UPDATE …] [AUTO_INCREMENT] [PRIMARY KEY] ``.
   * NULL is always written: with explicit_defaults_for_timestamp off (MySQL
   * 5.7, MariaDB before 10.10) a bare TIMESTAMP column would be NOT NULL.
   * https://mariadb.com/kb/en/server-system-variables/#explicit_defaults_for_timestamp
   */
  columnDefinition(name: string, spec: ColumnSpec, clauses: ColumnClauses = {}): string {
    // A raw type (the catalog's, restated by MODIFY) is the engine's word; a portable one is checked whole.
    if (spec.type !== undefined) validateColumnSpec(name, spec);
    const nullable = clauses.inPrimaryKey || clauses.inlinePrimaryKey ? false : spec.nullable ?? true;
    const { autoIncrement, ...typeSpec } = spec;
    const written = typeSpec.sqlType !== undefined ? splitColumnAttributes(typeSpec.sqlType.trim()) : { type: this.#types.columnType(typeSpec) };
    const collate = clauses.keep?.collate ?? written.collate;
    const onUpdate = clauses.keep?.onUpdate ?? written.onUpdate;
    const parts = [qn(name), written.type];
    if (collate !== undefined && isCharacterType(written.type)) parts.push(`COLLATE ${collate}`);
    parts.push(nullable ? 'NULL' : 'NOT NULL');
    if (spec.default !== undefined && autoIncrement !== true && !(spec.default === null && !nullable)) {
      parts.push(`DEFAULT ${this.#types.defaultSql(spec.default, typeSpec)}`);
    }
    if (onUpdate !== undefined) parts.push(`ON UPDATE ${onUpdate.toUpperCase()}`);
    if (autoIncrement === true) parts.push('AUTO_INCREMENT');
    if (clauses.inlinePrimaryKey) parts.push('PRIMARY KEY');
    return parts.join(' ');
  }

  /**
   * MODIFY restates the whole column from the catalog; a dropped column takes
   * its keys first; a dropped foreign key takes the index InnoDB made for it.
   */
  readsCatalog(op: SchemaOperation): boolean {
    return op.kind === 'alterColumn' || op.kind === 'dropColumn' || op.kind === 'dropForeignKey';
  }

  compile(op: SchemaOperation, table: CatalogTable | undefined): Statement[] {
    switch (op.kind) {
      case 'createTable': return [this.#createTable(op)];
      case 'dropTable': return [stmt(`DROP TABLE ${q(op.table)}`)];
      case 'renameTable': return [stmt(`RENAME TABLE ${q(op.from)} TO ${qn(op.to)}`)];
      // RENAME COLUMN: MySQL 8.0, MariaDB 10.5. https://mariadb.com/kb/en/alter-table/#rename-column
      case 'renameColumn': return [stmt(`ALTER TABLE ${q(op.table)} RENAME COLUMN ${q(op.from)} TO ${qn(op.to)}`)];
      case 'addColumn': return [this.#addColumn(op.table, op.column, op.spec, table)];
      case 'dropColumn': return this.#dropColumn(op.table, op.column, need(table, op));
      case 'alterColumn': return this.#alterColumn(op.table, op.column, op.changes, need(table, op));
      case 'createIndex':
        return [stmt(`CREATE ${op.index.unique ? 'UNIQUE ' : ''}INDEX ${qn(op.index.name)} ON ${q(op.table)} (${ql(op.index.columns)})`)];
      case 'addUnique':
        return [stmt(`ALTER TABLE ${q(op.table)} ADD CONSTRAINT ${qn(op.unique.name)} UNIQUE (${ql(op.unique.columns)})`)];
      case 'dropIndex': case 'dropUnique': {
        // A UNIQUE constraint is its index: both go with DROP INDEX.
        const existing = table && indexByName(table, op.name);
        if (existing?.origin === 'primaryKey') {
          throw new IdemError('OPERATION_INVALID', `${op.kind} ${op.table}.${op.name}: it is the primary key, which cannot be dropped this way`, {
            hint: 'a primary key changes with the table; create a new table and copy the rows',
          });
        }
        return [stmt(`DROP INDEX ${q(existing?.name ?? op.name)} ON ${q(op.table)}`)];
      }
      case 'addForeignKey': {
        const fk = op.foreignKey;
        return [stmt(`ALTER TABLE ${q(op.table)} ADD ${foreignKeyClause(fk.name, fk.columns, fk.references.table, fk.references.columns, fk.onDelete, fk.onUpdate)}`)];
      }
      case 'dropForeignKey': {
        // InnoDB made an index for the key under the key's own name (or its column's, for a key
        // it named itself: generatedIndex); it goes with the key, so that down() leaves the table
        // as it was before addForeignKey. An index of another name (one the table had, or one a
        // migration created) stays.
        const t = need(table, op);
        const name = foreignKeyName(op, t);
        const helper = t.indexes.find((i) => i.name === name && i.origin === 'index') ?? generatedIndex(t, name);
        return [stmt(`ALTER TABLE ${q(op.table)} DROP FOREIGN KEY ${q(name)}${helper ? `, DROP INDEX ${q(helper.name)}` : ''}`)];
      }
    }
  }

  /** The same columns as every dialect's version table; created if missing (the caller checked, this guards a race). */
  createVersionTable(name: string): Statement[] {
    return [stmt(`CREATE TABLE IF NOT EXISTS ${q(name)} (
  revision varchar(64) NOT NULL PRIMARY KEY,
  description text NOT NULL,
  checksum varchar(64) NOT NULL,
  applied_at varchar(32) NOT NULL,
  duration_ms int NOT NULL,
  applied int NOT NULL,
  skipped int NOT NULL,
  drift int NOT NULL,
  operations longtext NOT NULL,
  seq int NOT NULL,
  KEY ${qn(`${name}_seq`)} (seq)
) ${TABLE_SUFFIX}`)];
  }

  createProgressTable(name: string): Statement[] {
    return [stmt(`CREATE TABLE IF NOT EXISTS ${q(name)} (
  revision varchar(64) NOT NULL,
  direction varchar(4) NOT NULL,
  checksum varchar(64) NOT NULL,
  done longtext NOT NULL,
  updated_at varchar(32) NOT NULL,
  PRIMARY KEY (revision, direction)
) ${TABLE_SUFFIX}`)];
  }

  /** One statement: the table appears with all its keys at once, or not at all. */
  #createTable(op: Extract<SchemaOperation, { kind: 'createTable' }>): Statement {
    const primaryKey = declaredPrimaryKey(op.columns, op.options);
    const single = primaryKey.length === 1 ? primaryKey[0] : undefined;
    const items = Object.entries(op.columns).map(([name, spec]) =>
      this.columnDefinition(name, spec, { inlinePrimaryKey: name === single, inPrimaryKey: primaryKey.includes(name) }));
    if (primaryKey.length > 1) items.push(`PRIMARY KEY (${ql(primaryKey)})`);
    for (const [name, spec] of Object.entries(op.columns)) {
      if (spec.unique && name !== single) items.push(`CONSTRAINT ${q(uniqueColumnConstraintName(op.table, name))} UNIQUE (${q(name)})`);
    }
    for (const unique of op.options.unique ?? []) {
      items.push(`CONSTRAINT ${q(unique.name ?? defaultConstraintName('uq', op.table, unique.columns))} UNIQUE (${ql(unique.columns)})`);
    }
    for (const index of op.options.indexes ?? []) {
      const name = index.name ?? defaultConstraintName(index.unique ? 'uq' : 'ix', op.table, index.columns);
      items.push(`${index.unique ? 'UNIQUE ' : ''}INDEX ${qn(name)} (${ql(index.columns)})`);
    }
    for (const fk of op.options.foreignKeys ?? []) {
      const name = fk.name ?? defaultConstraintName('fk', op.table, fk.columns, fk.references.table);
      items.push(foreignKeyClause(name, fk.columns, fk.references.table, fk.references.columns, fk.onDelete, fk.onUpdate));
    }
    return stmt(`CREATE TABLE ${qn(op.table)} (\n  ${items.join(',\n  ')}\n) ${TABLE_SUFFIX}`);
  }

  /** The column and its unique key in one ALTER: a key that fails (duplicate defaults) leaves no column behind. */
  #addColumn(tableName: string, column: string, spec: ColumnSpec, table: CatalogTable | undefined): Statement {
    const inlinePrimaryKey = spec.primaryKey === true && (table === undefined || table.primaryKey.length === 0);
    const clauses = [`ADD COLUMN ${this.columnDefinition(column, spec, { inlinePrimaryKey })}`];
    if (spec.unique && !inlinePrimaryKey) clauses.push(`ADD CONSTRAINT ${q(uniqueColumnConstraintName(tableName, column))} UNIQUE (${q(column)})`);
    return stmt(`ALTER TABLE ${q(tableName)} ${clauses.join(', ')}`);
  }

  /**
   * MySQL refuses to drop a column its foreign key uses, and MariaDB one that
   * is part of a multi-column unique key; MySQL would instead shrink such a
   * key to the other columns, a stronger constraint nobody declared. So the
   * keys that use the column go first, as PostgreSQL drops them. A plain
   * index another foreign key still needs is left to shrink, which keeps it
   * serving that key. Single-column indexes go with the column.
   * https://dev.mysql.com/doc/refman/8.0/en/alter-table.html#alter-table-add-drop-column
   */
  #dropColumn(tableName: string, column: string, table: CatalogTable): Statement[] {
    const statements: Statement[] = [];
    const dropped = table.foreignKeys.filter((f) => f.columns.includes(column));
    for (const fk of dropped) if (fk.name !== null) statements.push(stmt(`ALTER TABLE ${q(tableName)} DROP FOREIGN KEY ${q(fk.name)}`));
    const remaining = table.foreignKeys.filter((f) => !dropped.includes(f));
    for (const index of table.indexes) {
      if (index.origin === 'primaryKey' || index.columns.length < 2 || !index.columns.includes(column)) continue;
      const servesKey = remaining.some((f) => sameColumns(index.columns.slice(0, f.columns.length), f.columns));
      if (servesKey && !index.unique) continue;
      statements.push(stmt(`DROP INDEX ${q(index.name)} ON ${q(tableName)}`));
    }
    statements.push(stmt(`ALTER TABLE ${q(tableName)} DROP COLUMN ${q(column)}`));
    return statements;
  }

  /**
   * `changes` holds only what differs. MODIFY COLUMN replaces the whole
   * definition, so it restates the column as the catalog has it with the
   * changes merged in, AUTO_INCREMENT, collation and ON UPDATE kept.
   */
  #alterColumn(tableName: string, column: string, changes: ColumnSpec, table: CatalogTable): Statement[] {
    const { unique, ...shape } = changes;
    const current = findColumn(table, column);
    if (!current) throw new IdemError('INTERNAL', `alterColumn ${tableName}.${column} compiled for a missing column`);
    const clauses: string[] = [];
    if (Object.keys(shape).length > 0) {
      const merged = mergeColumnChanges(current, table, shape);
      const { collate, onUpdate } = splitColumnAttributes(current.type.raw);
      const keep = { ...(collate !== undefined ? { collate } : {}), ...(onUpdate !== undefined ? { onUpdate } : {}) };
      const spec: ColumnSpec = { ...merged, autoIncrement: current.autoIncrement };
      delete spec.primaryKey;
      delete spec.unique;
      clauses.push(`MODIFY COLUMN ${this.columnDefinition(column, spec, { inPrimaryKey: table.primaryKey.includes(column), keep })}`);
    }
    if (unique === true) {
      clauses.push(`ADD CONSTRAINT ${q(uniqueColumnConstraintName(tableName, column))} UNIQUE (${q(column)})`);
    } else if (unique === false) {
      const existing = uniqueByShape(table, [column]);
      if (existing !== undefined && existing.origin !== 'primaryKey') clauses.push(`DROP INDEX ${q(existing.name)}`);
    }
    return clauses.length === 0 ? [] : [stmt(`ALTER TABLE ${q(tableName)} ${clauses.join(', ')}`)];
  }
}


function foreignKeyClause(name: string, columns: string[], refTable: string, refColumns: string[], onDelete?: ReferentialAction, onUpdate?: ReferentialAction): string {
  let clause = `CONSTRAINT ${qn(name)} FOREIGN KEY (${ql(columns)}) REFERENCES ${q(refTable)} (${ql(refColumns)})`;
  if (onDelete) clause += ` ON DELETE ${referentialActionSql(onDelete)}`;
  if (onUpdate) clause += ` ON UPDATE ${referentialActionSql(onUpdate)}`;
  return clause;
}

/** The key's name in the database: ours, or the one found by shape (`t_ibfk_1`). */
function foreignKeyName(op: Extract<SchemaOperation, { kind: 'dropForeignKey' }>, table: CatalogTable): string {
  const named = foreignKeyByName(table, op.name);
  if (named?.name) return named.name;
  const resolved = op.resolved;
  const found = resolved && table.foreignKeys.find((f) => sameColumns(f.columns, resolved.columns) && f.refTable === resolved.refTable);
  return found?.name ?? op.name;
}

/**
 * The index InnoDB made for a key declared without a name (`REFERENCES p
 * (id)`, as init scripts and ORMs write it): the server names the key
 * `<table>_ibfk_<n>` and its index after the key's first column. It goes with
 * the key like the one under our own key's name, so that dropping a hand-made
 * key leaves what dropping ours leaves: adding our key over that index makes
 * MariaDB replace it with one under our key's name, which the drop then takes.
 * Only an index on exactly the key's columns, which no other key needs.
 * https://mariadb.com/kb/en/foreign-keys/
 */
function generatedIndex(table: CatalogTable, name: string): CatalogIndex | undefined {
  const key = foreignKeyByName(table, name);
  if (key === undefined || !name.startsWith(`${table.name}_ibfk_`) || !/^\d+$/.test(name.slice(table.name.length + 6))) return undefined;
  const index = table.indexes.find((i) => i.name === key.columns[0] && i.origin === 'index' && !i.unique && sameColumns(i.columns, key.columns));
  const needed = index && table.foreignKeys.some((f) => f !== key && sameColumns(index.columns.slice(0, f.columns.length), f.columns));
  return needed ? undefined : index;
}

/** COLLATE applies to character types only; restating it on a new numeric type would be an error. */
function isCharacterType(type: string): boolean {
  return /^(var)?char\b|^n(var)?char\b|text\b|^enum\b|^set\b/i.test(type.trim());
}

function need(table: CatalogTable | undefined, op: SchemaOperation): CatalogTable {
  if (!table) throw new IdemError('INTERNAL', `${op.kind} compiled for a table the catalog does not have`);
  return table;
}
