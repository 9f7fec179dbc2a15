// node:sqlite behind the small better-sqlite3 API that Kysely's SqliteDialect
// and Knex's better-sqlite3 client call (prepare, reader, all, run, iterate),
// so the peers run on SQLite with the same engine idem uses and no native
// build. Only the calls those two libraries make are provided.
//
// Plain JavaScript: the bench times this file's process, and Node's type
// stripping would add its own start-up (~40 ms) to the peers' figures.
import { DatabaseSync } from 'node:sqlite';

class NodeSqliteStatement {
  /** @type {import('node:sqlite').StatementSync} */
  #statement;

  /** @param {import('node:sqlite').StatementSync} statement */
  constructor(statement) {
    this.#statement = statement;
    // better-sqlite3 calls a statement a reader when it returns columns (SELECT, PRAGMA, RETURNING).
    this.reader = statement.columns().length > 0;
  }

  /** @param {readonly unknown[]} parameters */
  all(parameters = []) {
    return this.#statement.all(.../** @type {any[]} */ (parameters));
  }

  /** @param {readonly unknown[]} parameters */
  run(parameters = []) {
    return this.#statement.run(.../** @type {any[]} */ (parameters));
  }

  /** @param {readonly unknown[]} parameters */
  iterate(parameters = []) {
    return this.#statement.iterate(.../** @type {any[]} */ (parameters));
  }

  /** @param {boolean} on */
  safeIntegers(on) {
    this.#statement.setReadBigInts(on);
    return this;
  }
}

export class NodeSqliteDatabase {
  /** @type {DatabaseSync} */
  #db;

  /** @param {string} filename */
  constructor(filename) {
    this.#db = new DatabaseSync(filename);
  }

  /** @param {string} sql */
  prepare(sql) {
    return new NodeSqliteStatement(this.#db.prepare(sql));
  }

  close() {
    if (this.#db.isOpen) this.#db.close();
  }
}
