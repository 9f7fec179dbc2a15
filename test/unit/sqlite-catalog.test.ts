import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, before, describe, it } from 'node:test';
import { SqliteCatalogReader } from '../../src/dialect/sqlite/sqlite-catalog.ts';
import { openSqlite, SqliteDriver as Driver } from '../../src/dialect/sqlite/sqlite-driver.ts';
import type { SqliteDriver } from '../../src/dialect/sqlite/sqlite-driver.ts';
import { SqliteTypeMapper } from '../../src/dialect/sqlite/sqlite-types.ts';
import type { CatalogTable } from '../../src/catalog/snapshot.ts';

// As SQLAlchemy's create_all writes it (tabs, trailing spaces, table-level keys).
const SQLALCHEMY = `
CREATE TABLE users (
\tid INTEGER NOT NULL, 
\temail VARCHAR(120) NOT NULL, 
\tname VARCHAR(50), 
\tcreated_at DATETIME DEFAULT (CURRENT_TIMESTAMP), 
\tPRIMARY KEY (id), 
\tUNIQUE (email)
);
CREATE INDEX ix_users_name ON users (name);
CREATE TABLE posts (
\tid INTEGER NOT NULL, 
\tuser_id INTEGER NOT NULL, 
\ttitle VARCHAR(200) NOT NULL, 
\tPRIMARY KEY (id), 
\tFOREIGN KEY(user_id) REFERENCES users (id) ON DELETE CASCADE
);`;

// As a hand-written init script would: named constraints, composite keys, odd names.
const INIT_SCRIPT = `
CREATE TABLE orders (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  placed_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
  status TEXT DEFAULT 'new' -- lifecycle
);
CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT CONSTRAINT uq_products_name UNIQUE, weight) WITHOUT ROWID;
CREATE TABLE "order items" (
  "order id" INTEGER NOT NULL REFERENCES orders,
  sku TEXT NOT NULL,
  "qty ""x""" INT DEFAULT 1 CHECK ("qty ""x""" > 0),
  price NUMERIC(10, 2) DEFAULT 0.0,
  CONSTRAINT "pk order items" PRIMARY KEY ("order id", sku),
  CONSTRAINT uq_sku_price UNIQUE (sku, price),
  CONSTRAINT "fk, sku" FOREIGN KEY (sku) REFERENCES products (sku) ON UPDATE CASCADE ON DELETE SET NULL
);
CREATE UNIQUE INDEX ux_products_lower_name ON products (lower(name));
CREATE INDEX ix_orders_open ON orders (status, placed_at) WHERE status <> 'done';
CREATE TABLE shipments (
  order_id INTEGER,
  sku TEXT,
  carrier TEXT REFERENCES carriers,
  FOREIGN KEY (order_id, sku) REFERENCES "order items" ON DELETE RESTRICT
);
CREATE TABLE quirks (
  id INTEGER PRIMARY KEY DESC,
  total INT GENERATED ALWAYS AS (id * 2) VIRTUAL,
  code TEXT UNIQUE
);
CREATE TABLE idem_version (revision TEXT PRIMARY KEY);`;

describe('SqliteCatalogReader', () => {
  let dir: string;
  let driver: SqliteDriver;
  let reader: SqliteCatalogReader;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'idem-sqlite-catalog-'));
    driver = openSqlite(join(dir, 'nested', 'app.db'), 1000);
    await driver.exec(SQLALCHEMY + INIT_SCRIPT);
    reader = new SqliteCatalogReader(driver, new SqliteTypeMapper(), ['IDEM_VERSION']);
  });

  after(async () => {
    await driver.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function table(name: string): Promise<CatalogTable> {
    const found = (await reader.readAll()).tables.get(name);
    assert.ok(found, `table ${name} read`);
    return found;
  }

  it('lists user tables only: no sqlite_ internals, not the excluded version table', async () => {
    const { tables } = await reader.readAll();
    assert.deepEqual([...tables.keys()], ['order items', 'orders', 'posts', 'products', 'quirks', 'shipments', 'users']);
  });

  it('reads a SQLAlchemy table: rowid alias via table-level PRIMARY KEY, unnamed UNIQUE, plain index', async () => {
    assert.deepEqual(await table('users'), {
      name: 'users',
      columns: [
        { name: 'id', type: { type: 'integer', raw: 'integer' }, nullable: false, default: null, autoIncrement: true },
        { name: 'email', type: { type: 'string', length: 120, raw: 'varchar(120)' }, nullable: false, default: null, autoIncrement: false },
        { name: 'name', type: { type: 'string', length: 50, raw: 'varchar(50)' }, nullable: true, default: null, autoIncrement: false },
        // SQLite reports an expression default without its outer parentheses.
        { name: 'created_at', type: { type: 'timestamp', withTimezone: false, raw: 'datetime' }, nullable: true, default: 'CURRENT_TIMESTAMP', autoIncrement: false },
      ],
      primaryKey: ['id'],
      indexes: [
        { name: 'sqlite_autoindex_users_1', engineName: 'sqlite_autoindex_users_1', columns: ['email'], unique: true, origin: 'unique', partial: false },
        { name: 'ix_users_name', columns: ['name'], unique: false, origin: 'index', partial: false, sql: 'CREATE INDEX ix_users_name ON users (name)' },
      ],
      foreignKeys: [],
      sql: SQLALCHEMY.slice(SQLALCHEMY.indexOf('CREATE TABLE users'), SQLALCHEMY.indexOf(';')),
      columnNamesFoldCase: true,
    });
  });

  it('reads an unnamed table-level foreign key', async () => {
    const posts = await table('posts');
    assert.deepEqual(posts.foreignKeys, [
      { name: null, columns: ['user_id'], refTable: 'users', refColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' },
    ]);
    assert.deepEqual(posts.indexes, []);
  });

  it('reads AUTOINCREMENT, bare keyword and string defaults, and a partial index', async () => {
    const orders = await table('orders');
    assert.deepEqual(orders.columns.map((c) => [c.name, c.nullable, c.default, c.autoIncrement]), [
      ['id', false, null, true],
      ['placed_at', false, 'CURRENT_TIMESTAMP', false],
      ['status', true, "'new'", false],
    ]);
    assert.deepEqual(orders.indexes, [{
      name: 'ix_orders_open', columns: ['status', 'placed_at'], unique: false, origin: 'index', partial: true,
      sql: "CREATE INDEX ix_orders_open ON orders (status, placed_at) WHERE status <> 'done'",
    }]);
  });

  it('names constraints from the DDL and resolves implicit foreign key targets', async () => {
    const items = await table('order items');
    assert.deepEqual(items.columns.map((c) => [c.name, c.type.type, c.nullable, c.default, c.autoIncrement]), [
      ['order id', 'integer', false, null, false],
      ['sku', 'text', false, null, false],
      ['qty "x"', 'integer', true, '1', false],
      ['price', 'decimal', true, '0.0', false],
    ]);
    assert.deepEqual(items.primaryKey, ['order id', 'sku']);
    assert.deepEqual(items.indexes, [
      { name: 'sqlite_autoindex_order items_1', engineName: 'sqlite_autoindex_order items_1', columns: ['order id', 'sku'], unique: true, origin: 'primaryKey', partial: false },
      { name: 'uq_sku_price', engineName: 'sqlite_autoindex_order items_2', columns: ['sku', 'price'], unique: true, origin: 'unique', partial: false },
    ]);
    // Declaration order, although SQLite numbers foreign keys last-first.
    assert.deepEqual(items.foreignKeys, [
      { name: null, columns: ['order id'], refTable: 'orders', refColumns: ['id'], onDelete: 'no action', onUpdate: 'no action' },
      { name: 'fk, sku', columns: ['sku'], refTable: 'products', refColumns: ['sku'], onDelete: 'set null', onUpdate: 'cascade' },
    ]);
  });

  it('resolves a composite implicit target and leaves a missing parent unresolved', async () => {
    const shipments = await table('shipments');
    assert.deepEqual(shipments.foreignKeys, [
      { name: null, columns: ['carrier'], refTable: 'carriers', refColumns: [], onDelete: 'no action', onUpdate: 'no action' },
      { name: null, columns: ['order_id', 'sku'], refTable: 'order items', refColumns: ['order id', 'sku'], onDelete: 'restrict', onUpdate: 'no action' },
    ]);
  });

  it('reads WITHOUT ROWID keys, inline named UNIQUE and expression indexes', async () => {
    const products = await table('products');
    assert.deepEqual(products.columns.map((c) => [c.name, c.type, c.nullable, c.autoIncrement]), [
      ['sku', { type: 'text', raw: 'text' }, false, false],
      ['name', { type: 'text', raw: 'text' }, true, false],
      ['weight', { type: null, raw: '' }, true, false],
    ]);
    assert.deepEqual(products.indexes, [
      { name: 'sqlite_autoindex_products_1', engineName: 'sqlite_autoindex_products_1', columns: ['sku'], unique: true, origin: 'primaryKey', partial: false },
      { name: 'uq_products_name', engineName: 'sqlite_autoindex_products_2', columns: ['name'], unique: true, origin: 'unique', partial: false },
      { name: 'ux_products_lower_name', columns: ['<expr>'], unique: true, origin: 'index', partial: true, sql: 'CREATE UNIQUE INDEX ux_products_lower_name ON products (lower(name))' },
    ]);
  });

  it('does not take INTEGER PRIMARY KEY DESC for the rowid alias; keeps generated columns', async () => {
    const quirks = await table('quirks');
    assert.deepEqual(quirks.columns.map((c) => [c.name, c.nullable, c.autoIncrement]), [
      ['id', true, false],
      ['total', true, false],
      ['code', true, false],
    ]);
    assert.deepEqual(quirks.indexes.map((i) => [i.origin, i.columns]), [['primaryKey', ['id']], ['unique', ['code']]]);
  });

  it('reads only the named tables, exactly as named', async () => {
    const tables = await reader.readTables(['posts', 'users', 'missing', 'ORDERS', 'idem_version', 'sqlite_sequence']);
    assert.deepEqual([...tables.keys()], ['posts', 'users']);
    assert.deepEqual(tables.get('posts'), (await reader.readAll()).tables.get('posts'));
    assert.equal((await reader.readTables([])).size, 0);
  });

  it('checks existence case-insensitively, idem tables included', async () => {
    assert.equal(await reader.hasTable('idem_version'), true);
    assert.equal(await reader.hasTable('USERS'), true);
    assert.equal(await reader.hasTable('ix_users_name'), false);
    assert.equal(await reader.hasTable('nope'), false);
  });

  it('reads main, not a TEMP table that shadows it', async () => {
    await driver.exec('CREATE TEMP TABLE users (shadow INTEGER)');
    try {
      assert.deepEqual((await table('users')).columns.map((c) => c.name), ['id', 'email', 'name', 'created_at']);
    } finally {
      await driver.exec('DROP TABLE temp.users');
    }
  });
});

describe('SqliteCatalogReader with virtual tables', () => {
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'idem-sqlite-vtab-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a loaded module and survives one that is not loaded', async () => {
    const path = join(dir, 'v.db');
    // A schema row for a module this process lacks, as a database made with
    // an extension (sqlite-vec, spatialite) has; defensive mode off to write it.
    const raw = new DatabaseSync(path, { defensive: false });
    raw.exec(`CREATE TABLE plain (a INT);
      CREATE VIRTUAL TABLE docs USING fts5(title, body);
      PRAGMA writable_schema = ON;
      INSERT INTO sqlite_schema (type, name, tbl_name, rootpage, sql) VALUES ('table', 'vec', 'vec', 0, 'CREATE VIRTUAL TABLE vec USING vec0(x)');
      PRAGMA writable_schema = OFF;`);
    raw.close();
    const driver = openSqlite(path, 1000);
    try {
      const { tables } = await new SqliteCatalogReader(driver, new SqliteTypeMapper(), []).readAll();
      assert.deepEqual(tables.get('docs')?.columns.map((c) => c.name), ['title', 'body']);
      assert.equal(tables.get('docs')?.sql, 'CREATE VIRTUAL TABLE docs USING fts5(title, body)');
      assert.deepEqual(tables.get('vec')?.columns, []);
      assert.deepEqual(tables.get('plain')?.columns.map((c) => c.name), ['a']);
      // fts5's own storage tables are ordinary tables and are listed as such.
      assert.ok(tables.has('docs_content'));
    } finally {
      await driver.close();
    }
  });
});

describe('SqliteCatalogReader defaults against SqliteTypeMapper', () => {
  it('reads back every default idem writes as equal after normalising', async () => {
    const types = new SqliteTypeMapper();
    const values: Parameters<SqliteTypeMapper['defaultSql']>[0][] = [
      "it's", '', 0, -1.5, 1e21, true, false, null,
      { sql: 'CURRENT_TIMESTAMP' }, { sql: "strftime('%s', 'now')" }, { sql: '(1 + 2) * 3' }, { sql: "('x')" },
    ];
    const driver = openSqlite(':memory:', 1000);
    try {
      const columns = values.map((v, i) => `c${i} ${types.columnType({ type: 'text' })} DEFAULT ${types.defaultSql(v, { type: 'text' })}`);
      await driver.exec(`CREATE TABLE d (${columns.join(', ')})`);
      const table = (await new SqliteCatalogReader(driver, types, []).readTables(['d'])).get('d');
      assert.ok(table);
      values.forEach((value, i) => {
        const reported = table.columns[i]!.default;
        assert.equal(types.normalizeDefault(reported), types.normalizeDefault(types.defaultSql(value, { type: 'text' })), `${JSON.stringify(value)} reported as ${reported}`);
      });
      assert.equal(types.normalizeDefault(table.columns[7]!.default), null);
    } finally {
      await driver.close();
    }
  });
});

describe('SqliteDriver', () => {
  it('binds JavaScript values as SQLite stores them and returns plain rows', async () => {
    const driver = new Driver(':memory:', { busyTimeoutMs: 10 });
    try {
      await driver.exec('CREATE TABLE v (a, b, c, d, e, f, g); CREATE TABLE other (x)');
      const when = new Date('2024-05-06T07:08:09.010Z');
      const result = await driver.execute('INSERT INTO v VALUES (?, ?, ?, ?, ?, ?, ?)', [true, false, undefined, when, { k: [1] }, Buffer.from([1, 2]), 7n]);
      assert.deepEqual(result, { rowsAffected: 1 });
      const rows = await driver.query('SELECT a, b, c, d, e, typeof(f) AS f, g FROM v');
      assert.deepEqual(rows, [{ a: 1, b: 0, c: null, d: '2024-05-06T07:08:09.010Z', e: '{"k":[1]}', f: 'blob', g: 7 }]);
      assert.equal(Object.getPrototypeOf(rows[0]), Object.prototype);
      assert.deepEqual(await driver.execute('UPDATE v SET a = 2 WHERE b = ?', [false]), { rowsAffected: 1 });
    } finally {
      await driver.close();
    }
  });

  it('keeps cached statements working across schema changes and reports errors as rejections', async () => {
    const driver = new Driver(':memory:', { busyTimeoutMs: 10 });
    try {
      await driver.exec('CREATE TABLE s (a)');
      const sql = 'SELECT * FROM s';
      assert.deepEqual(await driver.query(sql), []);
      await driver.exec('ALTER TABLE s ADD COLUMN b; INSERT INTO s VALUES (1, 2)');
      assert.deepEqual(await driver.query(sql), [{ a: 1, b: 2 }]);
      for (let i = 0; i < 250; i++) await driver.query(`SELECT ${i} AS n`);
      assert.deepEqual(await driver.query(sql), [{ a: 1, b: 2 }]);
      await assert.rejects(driver.query('SELECT * FROM missing'), /no such table: missing/);
    } finally {
      await driver.close();
    }
    await driver.close(); // twice is harmless
  });

  it('enforces foreign keys', async () => {
    const driver = openSqlite(':memory:', 10);
    try {
      await driver.exec('CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p REFERENCES p)');
      await assert.rejects(driver.execute('INSERT INTO c VALUES (?)', [1]), /FOREIGN KEY constraint failed/);
    } finally {
      await driver.close();
    }
  });
});

describe('SqliteDriver with several statements in one text', () => {
  it('execute runs every statement and counts every change (a prepared statement would silently run the first only)', async () => {
    const driver = openSqlite(':memory:', 1000);
    try {
      await driver.exec('CREATE TABLE t (a INTEGER)');
      const result = await driver.execute('INSERT INTO t VALUES (1); -- one\n INSERT INTO t VALUES (2); /* two */ INSERT INTO t VALUES (3);');
      assert.equal(result.rowsAffected, 3);
      assert.deepEqual(await driver.query('SELECT a FROM t ORDER BY a'), [{ a: 1 }, { a: 2 }, { a: 3 }]);
      const single = await driver.execute('INSERT INTO t VALUES (?); -- trailing comment only', [4]);
      assert.equal(single.rowsAffected, 1);
    } finally {
      await driver.close();
    }
  });

  it('several statements with bound parameters, or a query with several statements, are refused', async () => {
    const driver = openSqlite(':memory:', 1000);
    try {
      await driver.exec('CREATE TABLE t (a INTEGER)');
      await assert.rejects(driver.execute('INSERT INTO t VALUES (?); INSERT INTO t VALUES (?)', [1, 2]), { code: 'OPERATION_INVALID', message: /cannot share bound parameters/ });
      await assert.rejects(driver.query('SELECT 1; SELECT 2'), { code: 'OPERATION_INVALID' });
      assert.deepEqual(await driver.query('SELECT COUNT(*) AS n FROM t'), [{ n: 0 }]);
    } finally {
      await driver.close();
    }
  });
});
