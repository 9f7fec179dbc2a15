import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdemError } from '../../src/errors.ts';
import { parseCreateTable, tokenizeSql } from '../../src/dialect/sqlite/sqlite-table-sql.ts';
import type { ColumnItem, ConstraintItem, TableItem } from '../../src/dialect/sqlite/sqlite-table-sql.ts';

function column(items: TableItem[], name: string): ColumnItem {
  const item = items.find((i): i is ColumnItem => i.kind === 'column' && i.name === name);
  assert.ok(item, `column ${name} parsed`);
  return item;
}

function constraints(items: TableItem[]): ConstraintItem[] {
  return items.filter((i): i is ConstraintItem => i.kind === 'constraint');
}

describe('tokenizeSql', () => {
  it('unquotes every identifier quoting style and skips comments', () => {
    const tokens = tokenizeSql(`"a""b" \`c\`\`d\` [e f] -- note\n 'it''s' /* x, y */ X'0aFF' 12.5e3 .5 0x1F a_1$ (,.;)`);
    assert.deepEqual(
      tokens.map((t) => [t.kind, t.value]),
      [
        ['quoted', 'a"b'], ['quoted', 'c`d'], ['quoted', 'e f'], ['string', "it's"], ['blob', '0aFF'],
        ['number', '12.5e3'], ['number', '.5'], ['number', '0x1F'], ['ident', 'a_1$'],
        ['punct', '('], ['punct', ','], ['punct', '.'], ['punct', ';'], ['punct', ')'],
      ],
    );
  });

  it('runs an unterminated quote or comment to the end instead of failing', () => {
    assert.deepEqual(tokenizeSql("a 'it''s").map((t) => [t.kind, t.value]), [['ident', 'a'], ['string', "it's"]]);
    assert.deepEqual(tokenizeSql('a /* open'), [{ text: 'a', kind: 'ident', value: 'a', start: 0, end: 1 }]);
    assert.deepEqual(tokenizeSql('[x""y]').map((t) => t.value), ['x""y']);
  });

  it('keeps exact source offsets', () => {
    const sql = `CREATE TABLE "x y" (a)`;
    const quoted = tokenizeSql(sql)[2]!;
    assert.equal(quoted.text, '"x y"');
    assert.equal(sql.slice(quoted.start, quoted.end), '"x y"');
  });
});

describe('parseCreateTable', () => {
  it('reads SQLAlchemy create_all DDL', () => {
    const sql = 'CREATE TABLE users (\n\tid INTEGER NOT NULL, \n\tname VARCHAR(50) NOT NULL, \n\tPRIMARY KEY (id), \n\tUNIQUE (name)\n)';
    const parsed = parseCreateTable(sql);
    assert.equal(parsed.prefix, 'CREATE TABLE users (');
    assert.equal(parsed.suffix, '');
    assert.deepEqual(parsed.items.map((i) => i.text), ['id INTEGER NOT NULL', 'name VARCHAR(50) NOT NULL', 'PRIMARY KEY (id)', 'UNIQUE (name)']);
    assert.equal(column(parsed.items, 'name').typeText, 'VARCHAR(50)');
    assert.deepEqual(constraints(parsed.items).map((c) => [c.type, c.constraintName, c.columns]), [
      ['primaryKey', null, ['id']],
      ['unique', null, ['name']],
    ]);
  });

  it('reads Alembic-style named constraints and foreign keys', () => {
    const sql = `CREATE TABLE orders (
	id INTEGER NOT NULL, 
	user_id INTEGER, 
	amount NUMERIC(10, 2), 
	CONSTRAINT pk_orders PRIMARY KEY (id), 
	CONSTRAINT fk_orders_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE, 
	CONSTRAINT uq_orders_user_amount UNIQUE (user_id, amount), 
	CONSTRAINT ck_orders_amount CHECK (amount > 0 AND amount IN (1, 2, 3))
)`;
    const parsed = parseCreateTable(sql);
    assert.equal(column(parsed.items, 'amount').typeText, 'NUMERIC(10, 2)');
    assert.deepEqual(constraints(parsed.items), [
      { kind: 'constraint', constraintName: 'pk_orders', type: 'primaryKey', columns: ['id'], text: 'CONSTRAINT pk_orders PRIMARY KEY (id)' },
      {
        kind: 'constraint', constraintName: 'fk_orders_user_id_users', type: 'foreignKey', columns: ['user_id'],
        refTable: 'users', refColumns: ['id'],
        text: 'CONSTRAINT fk_orders_user_id_users FOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE',
      },
      { kind: 'constraint', constraintName: 'uq_orders_user_amount', type: 'unique', columns: ['user_id', 'amount'], text: 'CONSTRAINT uq_orders_user_amount UNIQUE (user_id, amount)' },
      { kind: 'constraint', constraintName: 'ck_orders_amount', type: 'check', columns: [], text: 'CONSTRAINT ck_orders_amount CHECK (amount > 0 AND amount IN (1, 2, 3))' },
    ]);
  });

  it('does not split on commas inside quotes, strings or parentheses', () => {
    const sql = `CREATE TABLE "we""ird, table" ("a,b" TEXT DEFAULT 'x, y', "x""y" INT, created INT DEFAULT (strftime('%s','now')), [c d] CHECK ("a,b" IN ('p', 'q')))`;
    const parsed = parseCreateTable(sql);
    assert.equal(parsed.prefix, `CREATE TABLE "we""ird, table" (`);
    assert.deepEqual(parsed.items.map((i) => (i.kind === 'column' ? i.name : i.type)), ['a,b', 'x"y', 'created', 'c d']);
    assert.deepEqual(parsed.items.map((i) => i.text), [
      `"a,b" TEXT DEFAULT 'x, y'`, `"x""y" INT`, `created INT DEFAULT (strftime('%s','now'))`, `[c d] CHECK ("a,b" IN ('p', 'q'))`,
    ]);
    assert.equal(column(parsed.items, 'c d').typeText, '');
  });

  it('reads inline column constraints with and without names', () => {
    const sql = `CREATE TABLE t (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      email TEXT CONSTRAINT uq_email UNIQUE NOT NULL COLLATE NOCASE,
      code TEXT UNIQUE ON CONFLICT REPLACE,
      owner INTEGER CONSTRAINT fk_owner REFERENCES "Users"(id) ON DELETE CASCADE ON UPDATE SET NULL,
      parent INTEGER REFERENCES t DEFERRABLE INITIALLY DEFERRED,
      flag BOOLEAN DEFAULT NULL CONSTRAINT ck_flag CHECK (flag IN (0, 1)),
      neg INT DEFAULT -1 UNIQUE,
      total DOUBLE PRECISION GENERATED ALWAYS AS (neg * 2 + coalesce(neg, 1)) STORED
    )`;
    const items = parseCreateTable(sql).items;
    const id = column(items, 'id');
    assert.equal(id.inlinePrimaryKey, true);
    assert.equal(id.inlineAutoIncrement, true);
    assert.equal(id.typeText, 'INTEGER');
    assert.deepEqual(column(items, 'email').inlineUnique, { name: 'uq_email' });
    assert.deepEqual(column(items, 'code').inlineUnique, { name: null });
    assert.deepEqual(column(items, 'owner').inlineReferences, { name: 'fk_owner', refTable: 'Users', refColumns: ['id'] });
    assert.deepEqual(column(items, 'parent').inlineReferences, { name: null, refTable: 't', refColumns: [] });
    assert.equal(column(items, 'flag').inlineUnique, null);
    assert.deepEqual(column(items, 'neg').inlineUnique, { name: null });
    assert.equal(column(items, 'total').typeText, 'DOUBLE PRECISION');
    assert.equal(column(items, 'total').text, 'total DOUBLE PRECISION GENERATED ALWAYS AS (neg * 2 + coalesce(neg, 1)) STORED');
    assert.equal(column(items, 'email').inlinePrimaryKey, false);
  });

  it('skips comments inside the DDL but keeps them within an item', () => {
    const sql = `CREATE TABLE t ( -- the table
      a INT, /* first, really */
      b /* typed */ TEXT -- trailing, comment
      , CONSTRAINT "pk t" PRIMARY KEY (a, "b")
    ) WITHOUT ROWID`;
    const parsed = parseCreateTable(sql);
    assert.deepEqual(parsed.items.map((i) => i.text), ['a INT', 'b /* typed */ TEXT', 'CONSTRAINT "pk t" PRIMARY KEY (a, "b")']);
    assert.equal(column(parsed.items, 'b').typeText, 'TEXT');
    assert.deepEqual(constraints(parsed.items)[0]!.columns, ['a', 'b']);
    assert.equal(constraints(parsed.items)[0]!.constraintName, 'pk t');
    assert.equal(parsed.suffix, ' WITHOUT ROWID');
  });

  it('keeps key columns without COLLATE/ASC and reads composite foreign keys without target columns', () => {
    const sql = 'CREATE TABLE IF NOT EXISTS main.t (a TEXT, b INT, PRIMARY KEY (a COLLATE NOCASE DESC, b), FOREIGN KEY (a, b) REFERENCES p MATCH FULL) STRICT';
    const parsed = parseCreateTable(sql);
    assert.equal(parsed.prefix, 'CREATE TABLE IF NOT EXISTS main.t (');
    assert.equal(parsed.suffix, ' STRICT');
    assert.deepEqual(constraints(parsed.items).map((c) => [c.type, c.columns, c.refTable, c.refColumns]), [
      ['primaryKey', ['a', 'b'], undefined, undefined],
      ['foreignKey', ['a', 'b'], 'p', []],
    ]);
  });

  it('reads the text SQLite stores for CREATE TABLE AS and ALTER TABLE ADD COLUMN', () => {
    const parsed = parseCreateTable(`CREATE TABLE s(a,"b c", d int REFERENCES p(id))`);
    assert.deepEqual(parsed.items.map((i) => i.kind === 'column' && [i.name, i.typeText]), [['a', ''], ['b c', ''], ['d', 'int']]);
    assert.deepEqual(column(parsed.items, 'd').inlineReferences, { name: null, refTable: 'p', refColumns: ['id'] });
  });

  it('refuses text that has no column list, naming the table', () => {
    for (const [sql, pattern] of [
      ['CREATE TABLE copy AS SELECT * FROM t', /table "copy" cannot be rebuilt/],
      ['CREATE VIRTUAL TABLE docs USING fts5(title, body)', /table "docs" cannot be rebuilt/],
      ['CREATE INDEX i ON t(a)', /cannot be rebuilt/],
    ] as const) {
      assert.throws(() => parseCreateTable(sql), (e: unknown) => e instanceof IdemError && e.code === 'INTERNAL' && pattern.test(e.message));
    }
  });
});
