/**
 * The state diff `idem verify` reports, without a database: each kind of
 * difference names the table, the part and the field, in both directions,
 * and equal states give nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { SchemaTable } from '../../src/api/schema.ts';
import { describeDifference, diffData, diffSchema } from '../../src/catalog/schema-diff.ts';

/** Typed as `idem schema` describes a table: what verify hands the diff. */
function users(overrides: Partial<SchemaTable> = {}): SchemaTable {
  return {
    name: 'users',
    columns: [
      { name: 'email', type: 'varchar(100)', nullable: false, default: null, autoIncrement: false },
      { name: 'id', type: 'integer', nullable: false, default: null, autoIncrement: true },
    ],
    primaryKey: ['id'],
    uniqueKeys: [{ name: 'uq_users_email', columns: ['email'] }],
    indexes: [],
    foreignKeys: [],
    ...overrides,
  };
}

const posts: SchemaTable = {
  name: 'posts',
  columns: [{ name: 'id', type: 'integer', nullable: false, default: null, autoIncrement: true }],
  primaryKey: ['id'],
  uniqueKeys: [],
  indexes: [],
  foreignKeys: [],
};

const messages = (ds: ReturnType<typeof diffSchema>, when?: string) => ds.map((d) => describeDifference(d, when));

describe('schema diff', () => {
  test('equal descriptions give no difference, whatever the order of the lists', () => {
    const a = { tables: [users(), posts] };
    const b = { tables: [posts, users({ columns: [...users().columns].reverse() })] };
    assert.deepEqual(diffSchema(a, b), []);
  });

  test('a table present on one side only', () => {
    const d = diffSchema({ tables: [users()] }, { tables: [users(), posts] });
    assert.deepEqual(d, [{ table: 'posts', object: 'table', field: 'present', expected: false, actual: true }]);
    assert.deepEqual(messages(d, 'after down'), ['table posts present after down (expected absent)']);
    assert.deepEqual(messages(diffSchema({ tables: [users(), posts] }, { tables: [users()] }), 'after up again'), [
      'table posts absent after up again (expected present)',
    ]);
  });

  test('a column left behind by a down names the table and the column', () => {
    const extra = users({ columns: [...users().columns, { name: 'extra', type: 'text', nullable: true, default: null, autoIncrement: false }] });
    const d = diffSchema({ tables: [users()] }, { tables: [extra] });
    assert.deepEqual(d, [{ table: 'users', object: 'column', name: 'extra', field: 'present', expected: false, actual: true }]);
    assert.deepEqual(messages(d, 'after down'), ['table users: column extra present after down (expected absent)']);
  });

  test('a changed column field: each field that differs, with both values', () => {
    const changed = users({
      columns: [
        { name: 'email', type: 'varchar(200)', nullable: true, default: "'x'", autoIncrement: false },
        users().columns[1]!,
      ],
    });
    assert.deepEqual(messages(diffSchema({ tables: [users()] }, { tables: [changed] })), [
      "table users: column email default none -> 'x'",
      'table users: column email nullable false -> true',
      'table users: column email type varchar(100) -> varchar(200)',
    ]);
  });

  test('keys, indexes, foreign keys and the primary key', () => {
    const before = users();
    const after = users({
      primaryKey: ['id', 'email'],
      uniqueKeys: [{ name: 'uq_users_email', columns: ['email', 'id'] }],
      indexes: [{ name: 'ix_users_email', columns: ['email'], unique: false }],
      foreignKeys: [{ name: 'fk_users_id_posts', columns: ['id'], refTable: 'posts', refColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' }],
    });
    assert.deepEqual(messages(diffSchema({ tables: [before] }, { tables: [after] })), [
      'table users: unique key uq_users_email columns (email) -> (email, id)',
      'table users: index ix_users_email present (expected absent)',
      'table users: foreign key fk_users_id_posts present (expected absent)',
      'table users: primary key (id) -> (id, email)',
    ]);
  });

  test('unnamed foreign keys (SQLite) match by shape', () => {
    const fk = (onDelete: 'cascade' | 'set null'): SchemaTable['foreignKeys'] => [{ name: null, columns: ['user_id'], refTable: 'users', refColumns: ['id'], onDelete, onUpdate: 'no action' }];
    const a = { tables: [{ ...posts, foreignKeys: fk('cascade') }] };
    const b = { tables: [{ ...posts, foreignKeys: fk('set null') }] };
    assert.deepEqual(diffSchema(a, a), []);
    assert.deepEqual(messages(diffSchema(a, b)), ['table posts: foreign key (user_id) -> users (id) on delete cascade -> set null']);
  });
});

describe('data diff', () => {
  const data = (rows: number, checksum: string) => [{ table: 'users', rows, checksum }, { table: 'posts', rows: 0, checksum: 'e' }];

  test('same counts and checksums: nothing', () => {
    assert.deepEqual(diffData(data(3, 'a'), data(3, 'a')), []);
  });

  test('more rows: the count, both ways', () => {
    const d = diffData(data(3, 'a'), data(6, 'b'));
    assert.deepEqual(d, [{ table: 'users', object: 'rows', field: 'count', expected: 3, actual: 6 }]);
    assert.deepEqual(d.map((x) => describeDifference(x)), ['table users: rows 3 -> 6 (checksum changed)']);
  });

  test('same count, other values: the checksum', () => {
    const d = diffData(data(3, 'a'), data(3, 'b'));
    assert.deepEqual(d.map((x) => describeDifference(x, 'after up again')), ['table users: rows changed after up again (3 row(s), same count, checksum changed)']);
  });

  test('a table on one side only is left to the schema diff', () => {
    assert.deepEqual(diffData([{ table: 'gone', rows: 1, checksum: 'x' }], []), []);
  });
});
