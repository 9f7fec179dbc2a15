/**
 * What lint reads from raw SQL text: structure or data, the matching `m.`
 * operation, a guard of its own, a constant condition. Where it cannot be
 * sure it must answer "not constant" / "other": never a false accusation.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { changesOnlyRows, hasOwnGuard, isConstantCondition, matchingOperation, sqlExcerpt, statementKind } from '../../src/plan/sql-facts.ts';

describe('lint: statementKind', () => {
  const cases: Array<[string, ReturnType<typeof statementKind>]> = [
    ['CREATE TABLE t (id int)', 'structure'],
    ['  alter table t add column c int', 'structure'],
    ['DROP INDEX ix', 'structure'],
    ['INSERT INTO t VALUES (1)', 'data'],
    ['update t set a = 1 where b = 2', 'data'],
    ['DELETE FROM t', 'data'],
    ['TRUNCATE t', 'data'],
    ['WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x', 'data'],
    ['WITH x AS (SELECT 1) SELECT * FROM x', 'other'],
    ['-- CREATE TABLE t\nINSERT INTO t VALUES (1)', 'data'],
    ["/* DROP TABLE t */ UPDATE t SET note = 'CREATE TABLE x'", 'data'],
    ['INSERT INTO t VALUES (1); CREATE INDEX ix ON t (a)', 'structure'],
    ['PRAGMA foreign_keys = ON', 'other'],
    ['SET search_path = public', 'other'],
    ["SELECT 'DELETE FROM t'", 'other'],
  ];
  for (const [sql, kind] of cases) {
    test(`${JSON.stringify(sql)} is ${kind}`, () => assert.equal(statementKind(sql), kind));
  }
});

describe('changesOnlyRows (the runner keeps its catalog after such SQL)', () => {
  test('statements that only read and write rows', () => {
    for (const sql of [
      "INSERT INTO t (name) SELECT 'a' WHERE NOT EXISTS (SELECT 1 FROM t)",
      'UPDATE t SET a = 1 WHERE a IS NULL; DELETE FROM u WHERE id = ?',
      'WITH old AS (SELECT id FROM t) DELETE FROM u WHERE id IN (SELECT id FROM old)',
      "REPLACE INTO t VALUES (1, 'x')", 'TRUNCATE t', 'SELECT 1',
      "INSERT INTO notes (body) VALUES ('DROP TABLE t; CREATE TABLE u (id int)')",
      '-- CREATE TABLE in a comment\nINSERT INTO t VALUES (1)',
    ]) assert.equal(changesOnlyRows(sql), true, sql);
  });

  test('anything that may change the schema, or that cannot be told', () => {
    for (const sql of [
      'CREATE TABLE t (id int)', 'INSERT INTO t VALUES (1); ALTER TABLE t ADD c int', 'CALL refresh_schema()',
      'DO $$ BEGIN EXECUTE \'CREATE TABLE t (id int)\'; END $$', "INSERT INTO t VALUES ($tag$x$tag$)", 'SET search_path TO x',
      'PRAGMA foreign_keys = ON', '', '-- nothing',
    ]) assert.equal(changesOnlyRows(sql), false, sql);
  });
});

describe('lint: isConstantCondition', () => {
  for (const sql of ['SELECT 1', 'select true', 'SELECT TRUE;', 'SELECT 1 = 1', 'SELECT (1) AS go', "SELECT 'yes' AS \"answer\"", 'SELECT ?', 'SELECT $1',
    'SELECT 1 FROM DUAL', 'SELECT NOT FALSE', 'VALUES (1)', '  SELECT 1 -- always\n', 'SELECT 0', 'SELECT NULL IS NULL']) {
    test(`${JSON.stringify(sql)} is constant`, () => assert.equal(isConstantCondition(sql), true));
  }
  for (const sql of ['SELECT COUNT(*) = 0 FROM roles', 'SELECT EXISTS (SELECT 1 FROM t)', "SELECT to_regclass('public.t') IS NULL",
    'SELECT 1 FROM t', 'SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM t)', 'SELECT count', 'SELECT NOW() > ?', '', 'SELECT',
    'SELECT 1 AS a b', 'WITH x AS (SELECT 1) SELECT * FROM x']) {
    test(`${JSON.stringify(sql)} is not constant`, () => assert.equal(isConstantCondition(sql), false));
  }
});

describe('lint: matchingOperation', () => {
  const cases: Array<[string, string | undefined]> = [
    ['CREATE TABLE t (id int)', 'm.createTable'],
    ['CREATE UNIQUE INDEX ix ON t (a)', 'm.createIndex'],
    ['DROP TABLE t', 'm.dropTable'],
    ['DROP INDEX ix', 'm.dropIndex'],
    ['ALTER TABLE t ADD COLUMN c int', 'm.addColumn'],
    ['ALTER TABLE t ADD c int', 'm.addColumn'],
    ['ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES u (id)', 'm.addForeignKey'],
    ['ALTER TABLE t ADD CONSTRAINT uq UNIQUE (a)', 'm.addUnique'],
    ['ALTER TABLE t DROP COLUMN c', 'm.dropColumn'],
    ['ALTER TABLE t DROP FOREIGN KEY fk', 'm.dropForeignKey'],
    ['ALTER TABLE t RENAME COLUMN a TO b', 'm.renameColumn'],
    ['ALTER TABLE t RENAME TO u', 'm.renameTable'],
    ['ALTER TABLE t ALTER COLUMN a TYPE bigint', 'm.alterColumn'],
    ['ALTER TABLE t MODIFY a bigint', 'm.alterColumn'],
    ['INSERT INTO t VALUES (1)', 'm.executeIf'],
    ['CREATE EXTENSION pgcrypto', undefined],
    ['VACUUM', undefined],
  ];
  for (const [sql, op] of cases) {
    test(`${JSON.stringify(sql)} -> ${op}`, () => assert.equal(matchingOperation(sql), op));
  }
});

describe('lint: hasOwnGuard', () => {
  for (const sql of ['CREATE TABLE IF NOT EXISTS t (id int)', 'DROP TABLE IF EXISTS t', 'INSERT INTO t SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM t)',
    'INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING', 'INSERT IGNORE INTO t VALUES (1)', 'INSERT OR IGNORE INTO t VALUES (1)',
    'INSERT INTO t VALUES (1) ON DUPLICATE KEY UPDATE a = 1', 'CREATE OR REPLACE VIEW v AS SELECT 1']) {
    test(`${JSON.stringify(sql)} guards itself`, () => assert.equal(hasOwnGuard(sql), true));
  }
  for (const sql of ['CREATE TABLE t (id int)', "INSERT INTO t VALUES ('IF NOT EXISTS')", 'INSERT INTO t VALUES (1) -- ON CONFLICT DO NOTHING']) {
    test(`${JSON.stringify(sql)} does not`, () => assert.equal(hasOwnGuard(sql), false));
  }
});

test('lint: sqlExcerpt is one line of at most 60 characters', () => {
  assert.equal(sqlExcerpt('CREATE TABLE t (\n  id int\n)'), 'CREATE TABLE t ( id int )');
  const long = sqlExcerpt(`INSERT INTO t VALUES (${'1, '.repeat(40)}1)`);
  assert.equal(long.length, 60);
  assert.ok(long.endsWith('...'));
});
