/**
 * The little SQL the engine suites write by hand (an init script's tables,
 * the application's own statements) that cannot be portable as written, and
 * the few expectations that legitimately differ per engine: the database's
 * error texts, the names it gives unnamed keys, how a value arrives.
 *
 * Prefer SQL that is portable as written: explicit ids in INSERTs,
 * VARCHAR(n), INTEGER, TRUE/FALSE, standard constraints. Reach for these
 * only where the engines really differ, and assert the precise per-engine
 * expectation, never a pattern loose enough to fit all of them.
 */
import type { Engine } from '../engines.ts';

export type EngineName = Engine['name'];

/**
 * One value per engine. Every engine must be named, so an engine added to
 * test/engines.ts fails to compile here rather than pass unnoticed.
 */
export function pick<T>(engine: Engine | EngineName, values: Record<EngineName, T>): T {
  return values[typeof engine === 'string' ? engine : engine.name];
}

/**
 * A column definition, after the column's name, for an integer primary key
 * that numbers itself: what idem declares as `{ type: 'integer', primaryKey:
 * true, autoIncrement: true }`. PostgreSQL's SERIAL is an integer whose
 * default draws from a sequence; idem reads it as auto-increment, as it
 * reads an identity column.
 */
export function autoIncrementKey(engine: Engine | EngineName): string {
  return pick(engine, {
    sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT',
    postgres: 'SERIAL PRIMARY KEY',
    mariadb: 'INT AUTO_INCREMENT PRIMARY KEY',
  });
}

/**
 * The type (and numbering) of an integer column that numbers itself, for
 * tables that name their key at the end, as ORMs write them: `id ${type} NOT
 * NULL, …, PRIMARY KEY (id)`. SQLite needs nothing more: a rowid table's
 * single INTEGER primary key is the rowid, which assigns itself.
 * https://www.sqlite.org/lang_createtable.html#rowid
 */
export function autoIncrementInteger(engine: Engine | EngineName): string {
  return pick(engine, { sqlite: 'INTEGER', postgres: 'SERIAL', mariadb: 'INT AUTO_INCREMENT' });
}

/** What the database answers when the application breaks a key, in the engine's own words. */
export function violation(engine: Engine | EngineName, kind: 'unique' | 'foreignKey' | 'notNull'): RegExp {
  return pick(engine, {
    sqlite: { unique: /UNIQUE constraint failed/, foreignKey: /FOREIGN KEY constraint failed/, notNull: /NOT NULL constraint failed/ },
    postgres: {
      unique: /duplicate key value violates unique constraint/,
      foreignKey: /violates foreign key constraint/,
      notNull: /violates not-null constraint/,
    },
    // MariaDB, strict mode: a NOT NULL column left out of an INSERT "doesn't have a default value" (1364).
    mariadb: {
      unique: /Duplicate entry/,
      foreignKey: /a foreign key constraint fails/,
      notNull: /doesn't have a default value|cannot be null/,
    },
  })[kind];
}

/** The database's error for a statement naming a table that does not exist. */
export function noSuchTable(engine: Engine | EngineName, table: string): RegExp {
  return pick(engine, {
    sqlite: new RegExp(`no such table: ${table}\\b`),
    postgres: new RegExp(`relation "${table}" does not exist`),
    mariadb: new RegExp(`Table '[^']*\\.${table}' doesn't exist`),
  });
}

/** The database's error for an UPDATE that sets a column its table does not have. */
export function noSuchColumnToSet(engine: Engine | EngineName, table: string, column: string): RegExp {
  return pick(engine, {
    sqlite: new RegExp(`no such column: ${column}\\b`),
    postgres: new RegExp(`column "${column}" of relation "${table}" does not exist`),
    mariadb: new RegExp(`Unknown column '${column}' in 'SET'`),
  });
}

/**
 * Whether a migration's DDL rolls back with it when the migration fails.
 * SQLite and PostgreSQL run each migration in one transaction; MySQL and
 * MariaDB commit each DDL statement on its own, so a migration that fails
 * (or is killed) halfway leaves what ran before, is not recorded, and is
 * simply re-run. https://mariadb.com/kb/en/sql-statements-that-cause-an-implicit-commit/
 */
export function rollsBackDdl(engine: Engine | EngineName): boolean {
  return pick(engine, { sqlite: true, postgres: true, mariadb: false });
}

/** What the human `begin` line of a migration ends with, as a regular expression source: the mark of a run without a transaction. */
export function beginLineEnd(engine: Engine | EngineName): string {
  return rollsBackDdl(engine) ? '' : ' \\[no transaction: a failure leaves what ran; re-run converges\\]';
}

/** A name quoted as the engine quotes identifiers in hand-written SQL: `"…"` (standard SQL) or, on MariaDB, backticks. */
export function quoted(engine: Engine | EngineName, name: string): string {
  return pick(engine, {
    sqlite: `"${name.replaceAll('"', '""')}"`,
    postgres: `"${name.replaceAll('"', '""')}"`,
    mariadb: `\`${name.replaceAll('`', '``')}\``,
  });
}

/** The engine's own spelling of the portable `integer`, as the catalog (and so drift and summaries) reports it. */
export function integerType(engine: Engine | EngineName): string {
  return pick(engine, { sqlite: 'integer', postgres: 'integer', mariadb: 'int' });
}

/**
 * A declared type as drift and applied lines name it: the migration's words,
 * and the engine's spelling where that differs (`string(100) (varchar(100) on SQLite)`).
 */
export function declaredAs(engine: Engine | EngineName, written: string, spelled: string): string {
  const title = pick(engine, { sqlite: 'SQLite', postgres: 'PostgreSQL', mariadb: 'MariaDB' });
  return written === spelled ? spelled : `${written} (${spelled} on ${title})`;
}

/** `{ type: 'string', length }` as drift names it. */
export function declaredString(engine: Engine | EngineName, length: number): string {
  return declaredAs(engine, `string(${length})`, `varchar(${length})`);
}

/** `{ type: 'integer' }` as drift names it. */
export function declaredInteger(engine: Engine | EngineName): string {
  return declaredAs(engine, 'integer', integerType(engine));
}

/**
 * The word the catalog reports for a foreign key's action when none was
 * declared: PostgreSQL and SQLite say NO ACTION, MariaDB's
 * information_schema says RESTRICT. idem judges the two equal (compare-shape.ts).
 */
export function defaultAction(engine: Engine | EngineName): string {
  return pick(engine, { sqlite: 'no action', postgres: 'no action', mariadb: 'restrict' });
}
