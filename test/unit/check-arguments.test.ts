/**
 * The check of one `m.` call's arguments (check-arguments.ts, known-keys.ts):
 * every problem at once, unknown keys with the key they likely meant, shapes,
 * options that do not apply, lengths the engine cannot hold; and each engine's
 * count of `?` placeholders, which the check matches against the values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countMysqlPlaceholders } from '../../src/dialect/mysql/mysql-placeholders.ts';
import { bindPostgresPlaceholders, countPostgresPlaceholders } from '../../src/dialect/postgres/postgres-placeholders.ts';
import { countSqlitePlaceholders } from '../../src/dialect/sqlite/sqlite-placeholders.ts';
import { columnMapProblems, columnProblems, tableOptionsProblems } from '../../src/plan/check-arguments.ts';
import { closestKey, COLUMN_KEYS } from '../../src/plan/known-keys.ts';

const messages = (problems: Array<{ message: string }>) => problems.map((p) => p.message);

describe('unknown keys', () => {
  it('names the key a misspelling most likely meant', () => {
    const keys = Object.keys(COLUMN_KEYS);
    assert.equal(closestKey('primarykey', keys), 'primaryKey');
    assert.equal(closestKey('autoincrement', keys), 'autoIncrement');
    assert.equal(closestKey('auto_increment', keys), 'autoIncrement');
    assert.equal(closestKey('lenght', keys), 'length');
    assert.equal(closestKey('nulable', keys), 'nullable');
    assert.equal(closestKey('notNull', keys), 'nullable: false');
    assert.equal(closestKey('defaultValue', keys), 'default');
    assert.equal(closestKey('frobnicate', keys), undefined);
  });

  it('reports every misspelt key of a column, with its hint', () => {
    const problems = columnProblems('id', { type: 'integer', primarykey: true, autoincrement: true }, 'sqlite');
    assert.deepEqual(problems, [
      { message: 'column "id": unknown key "primarykey"', hint: 'did you mean `primaryKey`?' },
      { message: 'column "id": unknown key "autoincrement"', hint: 'did you mean `autoIncrement`?' },
    ]);
    assert.deepEqual(messages(columnProblems('name', { lenght: 50, notNull: true }, 'sqlite')), [
      'column "name": unknown key "lenght"', 'column "name": unknown key "notNull"', 'column "name": has neither type nor sqlType',
    ]);
  });

  it('knows unsigned (integers) and a timestamp precision of 0 to 6', () => {
    assert.deepEqual(columnProblems('n', { type: 'integer', unsigned: true }, 'mysql'), []);
    assert.deepEqual(messages(columnProblems('n', { type: 'string', unsigned: true }, 'mysql')), ['column "n": unsigned is only valid for integer columns, not string']);
    assert.deepEqual(messages(columnProblems('n', { type: 'integer', unsigned: 'yes' }, 'mysql')), ['column "n": unsigned is "yes", not true or false']);
    assert.deepEqual(columnProblems('at', { type: 'timestamp', precision: 3 }, 'postgres'), []);
    assert.deepEqual(columnProblems('at', { type: 'timestamp', precision: 0 }, 'postgres'), []);
    assert.match(messages(columnProblems('at', { type: 'timestamp', precision: 7 }, 'postgres'))[0]!, /0 to 6; got 7/);
  });
});

describe('column shapes and options', () => {
  it('refuses values of the wrong shape, once each', () => {
    assert.deepEqual(messages(columnProblems('c', { type: 'string', length: '50', nullable: 'no', default: [1] }, 'sqlite')), [
      'column "c": length is "50", not a whole number',
      'column "c": nullable is "no", not true or false',
      "column \"c\": default is a list, not a string, a number, true or false, null, or { sql: '…' }",
    ]);
    assert.match(messages(columnProblems('c', { type: 'integer', default: { sql: 'now()', raw: true } }, 'sqlite'))[0]!, /default is an object/);
  });

  it('refuses options that do not apply to the type, and lengths out of range', () => {
    assert.deepEqual(messages(columnProblems('n', { type: 'integer', length: 5 }, 'sqlite')), ['column "n": length is only valid for string and binary columns, not integer']);
    assert.deepEqual(messages(columnProblems('n', { type: 'text', withTimezone: true }, 'sqlite')), ['column "n": withTimezone is only valid for timestamp columns, not text']);
    assert.deepEqual(messages(columnProblems('n', { sqlType: 'varchar(5)', length: 5 }, 'sqlite')), ['column "n": length has no effect with sqlType alone']);
    assert.deepEqual(messages(columnProblems('n', { type: 'string', length: 0 }, 'sqlite')), ['column "n": length must be a positive integer, got 0']);
    assert.match(messages(columnProblems('n', { type: 'string', length: 20000 }, 'mysql'))[0]!, /length 20000 is more than MySQL\/MariaDB holds in a string column \(at most 16383\)/);
    assert.deepEqual(columnProblems('n', { type: 'string', length: 20000 }, 'postgres'), []);
    assert.match(messages(columnProblems('n', { type: 'decimal', precision: 70 }, 'mysql'))[0]!, /precision must be a whole number from 1 to 65 on MySQL\/MariaDB, got 70/);
    assert.deepEqual(messages(columnProblems('n', { type: 'decimal', precision: 4, scale: 6 }, 'sqlite')), ['column "n": scale 6 is larger than precision 4']);
    assert.deepEqual(messages(columnProblems('n', { type: 'integer', autoIncrement: true, default: 1 }, 'sqlite')), ['column "n": autoIncrement and a default cannot be combined']);
  });

  it('checks sqlType and default { sql } against their grammars', () => {
    assert.match(messages(columnProblems('n', { sqlType: 'int; drop table t' }, 'sqlite'))[0]!, /sqlType "int; drop table t" holds a `;`/);
    assert.match(messages(columnProblems('n', { type: 'integer', default: { sql: '1); drop table t; --' } }, 'sqlite'))[0]!, /default \{ sql: "1\); drop table t; --" \} holds a `;`/);
    assert.deepEqual(columnProblems('n', { type: 'timestamp', default: { sql: 'CURRENT_TIMESTAMP' } }, 'sqlite'), []);
  });

  it('judges an alterColumn change only by what it names', () => {
    assert.deepEqual(columnProblems('n', { length: 512 }, 'sqlite', true), []);
    assert.deepEqual(messages(columnProblems('n', { lenght: 512 }, 'sqlite', true)), ['column "n": unknown key "lenght"']);
  });
});

describe('createTable arguments', () => {
  it('refuses a Knex-style list of columns', () => {
    assert.deepEqual(messages(columnMapProblems([{ name: 'id', type: 'integer' }], 'sqlite')), ['declares its columns as a list; idem takes an object keyed by column name']);
  });

  it('checks the table options: keys, entries and the columns they name', () => {
    const columns = { id: { type: 'integer' }, email: { type: 'string' } };
    assert.deepEqual(messages(tableOptionsProblems({ primaryKey: ['id'], indexes: [{ columns: ['email'], uniqe: true }] }, columns)), [
      'options.indexes[0]: unknown key "uniqe"',
    ]);
    assert.deepEqual(messages(tableOptionsProblems({ primaryKey: ['ID'], index: [] }, columns)), ['options: unknown key "index"']);
    assert.deepEqual(messages(tableOptionsProblems({ primaryKey: ['ID'] }, columns)), ['options.primaryKey names column "ID", which the table does not declare']);
    assert.deepEqual(messages(tableOptionsProblems({ foreignKeys: [{ columns: ['id'], references: { table: 'p', column: ['id'] } }] }, columns)), [
      'options.foreignKeys[0].references: unknown key "column"', 'options.foreignKeys[0].references needs table and columns',
    ]);
  });
});

describe('placeholder counts', () => {
  it('count what each engine binds, not what lies in strings, names or comments', () => {
    const sql = `SELECT ?, '?', "?", /* ? */ ? -- ?\n, ?`;
    assert.equal(countSqlitePlaceholders(sql), 3);
    assert.equal(countPostgresPlaceholders(sql), 3);
    assert.equal(countMysqlPlaceholders(sql), 3);
    assert.equal(countMysqlPlaceholders("SELECT 'it\\'s ?', `a?`, ? # ?\n"), 1);
    assert.equal(countSqlitePlaceholders('SELECT ?2, ?1, :a, :a, @b'), 4);
    assert.equal(countPostgresPlaceholders('SELECT $$ ? $$, doc ?| array[?], doc ?? ?'), 2);
  });

  it('PostgreSQL: ?? writes the jsonb ? operator and @?? the jsonpath @? operator', () => {
    assert.equal(bindPostgresPlaceholders(`SELECT doc ?? 'a', doc ?? ?, doc @?? '$.a' FROM t WHERE id = ?`),
      `SELECT doc ? 'a', doc ? $1, doc @? '$.a' FROM t WHERE id = $2`);
  });
});
