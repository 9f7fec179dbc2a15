/**
 * The table or column an engine's error says is missing, as each engine
 * words it (messages copied from the servers), so a data operation that
 * reads what a run left absent is told apart from one with a typo.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mysqlMissingObject } from '../../src/dialect/mysql/mysql-session.ts';
import { postgresMissingObject } from '../../src/dialect/postgres/postgres-session.ts';
import { sqliteMissingObject } from '../../src/dialect/sqlite/sqlite-session.ts';
import { LeftAbsent } from '../../src/runner/left-absent.ts';

const error = (message: string, fields: Record<string, unknown> = {}) => Object.assign(new Error(message), fields);

test('sqlite: no such table / column, qualified or not', () => {
  assert.deepEqual(sqliteMissingObject(error('no such table: legacy_users')), { kind: 'table', name: 'legacy_users' });
  assert.deepEqual(sqliteMissingObject(error('no such table: main.legacy_users')), { kind: 'table', name: 'legacy_users' });
  assert.deepEqual(sqliteMissingObject(error('no such column: u.old_name')), { kind: 'column', name: 'old_name' });
  assert.equal(sqliteMissingObject(error('UNIQUE constraint failed: users.email')), undefined);
});

test('postgres: 42P01 and 42703, quoted, unqualified, with the relation named', () => {
  assert.deepEqual(postgresMissingObject(error('relation "legacy users" does not exist', { code: '42P01' })), { kind: 'table', name: 'legacy users' });
  assert.deepEqual(postgresMissingObject(error('column "old_name" does not exist', { code: '42703' })), { kind: 'column', name: 'old_name' });
  assert.deepEqual(postgresMissingObject(error('column u.old_name does not exist', { code: '42703' })), { kind: 'column', name: 'old_name' });
  assert.deepEqual(postgresMissingObject(error('column "old_name" of relation "users" does not exist', { code: '42703' })), { kind: 'column', name: 'old_name' });
  assert.equal(postgresMissingObject(error('relation "legacy" does not exist')), undefined, 'without the SQLSTATE nothing is assumed');
  assert.equal(postgresMissingObject(error('duplicate key value violates unique constraint "x"', { code: '23505' })), undefined);
});

test('mysql: 1146 and 1054', () => {
  assert.deepEqual(mysqlMissingObject(error("Table 'app.legacy_users' doesn't exist", { errno: 1146 })), { kind: 'table', name: 'legacy_users' });
  assert.deepEqual(mysqlMissingObject(error("Unknown column 'u.old_name' in 'field list'", { errno: 1054 })), { kind: 'column', name: 'old_name' });
  assert.deepEqual(mysqlMissingObject(error("Unknown column 'old_name' in 'SET'", { errno: 1054 })), { kind: 'column', name: 'old_name' });
  assert.equal(mysqlMissingObject(error("Duplicate entry 'a' for key 'uq'", { errno: 1062 })), undefined);
});

test('LeftAbsent: tables and columns by name, the revision that removes them', () => {
  const left = new LeftAbsent();
  assert.equal(left.isEmpty, true);
  left.add({ table: 'legacy' }, 'v3');
  left.add({ table: 'users', column: 'Old_Name' }, 'v4');
  assert.equal(left.removing({ kind: 'table', name: 'legacy' }), 'v3');
  assert.equal(left.removing({ kind: 'column', name: 'old_name' }), 'v4');
  assert.equal(left.removing({ kind: 'column', name: 'legacy' }), undefined, 'a table is not a column');
  assert.equal(left.removing({ kind: 'table', name: 'userz' }), undefined);
});
