/**
 * The MySQL-family catalog reader and DDL against a real server:
 * IDEM_TEST_MARIADB_URL (default: the local MariaDB, root, database test).
 * Each run works in a scratch database of its own, dropped at the end.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { columnChangesNeeded, sameType } from '../../src/catalog/compare-shape.ts';
import type { CatalogColumn, CatalogTable, ColumnTypeInfo } from '../../src/catalog/snapshot.ts';
import { MysqlCatalogReader } from '../../src/dialect/mysql/mysql-catalog.ts';
import { MysqlDdlCompiler } from '../../src/dialect/mysql/mysql-ddl.ts';
import { MysqlDriver } from '../../src/dialect/mysql/mysql-driver.ts';
import { MysqlTypeMapper } from '../../src/dialect/mysql/mysql-types.ts';
import type { ColumnSpec } from '../../src/plan/column-spec.ts';
import { MARIADB_URL, withoutMariadb } from '../support/servers.ts';

const ADMIN_URL = MARIADB_URL;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

// As an application's init script (or an ORM's create_all) would write them.
const INIT_SCRIPT = [
  `CREATE TABLE users (
    id INT NOT NULL AUTO_INCREMENT,
    email VARCHAR(120) NOT NULL,
    name VARCHAR(50) DEFAULT 'anon',
    is_admin TINYINT(1) NOT NULL DEFAULT 0,
    created_at DATETIME DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    PRIMARY KEY (id),
    UNIQUE KEY (email),
    KEY ix_users_name_prefix (name(10))
  ) ENGINE=InnoDB`,
  `CREATE TABLE \`order items\` (
    \`order id\` BIGINT UNSIGNED NOT NULL,
    sku CHAR(36) NOT NULL,
    \`qty \`\`x\`\`\` INT DEFAULT 1,
    price DECIMAL(10,2) DEFAULT 0.00,
    meta JSON,
    code VARCHAR(20) COLLATE utf8mb4_bin,
    PRIMARY KEY (\`order id\`, sku),
    CONSTRAINT uq_sku_price UNIQUE (sku, price)
  )`,
  `CREATE TABLE posts (
    id INT AUTO_INCREMENT PRIMARY KEY,
    user_id INT NOT NULL,
    title VARCHAR(200) NOT NULL,
    body TEXT,
    FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    FULLTEXT KEY ft_body (body)
  )`,
  'CREATE UNIQUE INDEX ux_posts_title ON posts (title)',
  `CREATE TABLE comments (
    id INT PRIMARY KEY,
    post_id INT,
    CONSTRAINT fk_comments_post FOREIGN KEY (post_id) REFERENCES posts (id) ON UPDATE SET NULL ON DELETE NO ACTION
  )`,
  'CREATE VIEW v_users AS SELECT id, email FROM users',
  'CREATE TABLE idem_version (revision VARCHAR(64) PRIMARY KEY)',
];

const int: ColumnTypeInfo = { type: 'integer', raw: 'int' };
const pk = (columns: string[]) => ({ name: 'PRIMARY', columns, unique: true, origin: 'primaryKey' as const, partial: false });
const index = (name: string, columns: string[], extra: { unique?: boolean; partial?: boolean } = {}) => ({
  name, columns, unique: extra.unique ?? false, origin: extra.unique ? 'unique' as const : 'index' as const, partial: extra.partial ?? false,
});
const col = (name: string, type: ColumnTypeInfo, nullable: boolean, dflt: string | null = null, autoIncrement = false): CatalogColumn =>
  ({ name, type, nullable, default: dflt, autoIncrement });

const EXPECTED: CatalogTable[] = [
  {
    name: 'comments',
    columns: [col('id', int, false), col('post_id', int, true)],
    primaryKey: ['id'],
    indexes: [pk(['id']), index('fk_comments_post', ['post_id'])],
    foreignKeys: [{ name: 'fk_comments_post', columns: ['post_id'], refTable: 'posts', refColumns: ['id'], onDelete: 'no action', onUpdate: 'set null' }],
  },
  {
    name: 'order items',
    columns: [
      col('order id', { type: 'bigint', unsigned: true, raw: 'bigint unsigned' }, false),
      col('sku', { type: 'string', length: 36, raw: 'char(36)' }, false),
      col('qty `x`', int, true, '1'),
      col('price', { type: 'decimal', precision: 10, scale: 2, raw: 'decimal(10,2)' }, true, '0.00'),
      col('meta', { type: 'json', raw: 'json' }, true),
      col('code', { type: 'string', length: 20, raw: 'varchar(20) collate utf8mb4_bin' }, true),
    ],
    primaryKey: ['order id', 'sku'],
    indexes: [pk(['order id', 'sku']), index('uq_sku_price', ['sku', 'price'], { unique: true })],
    foreignKeys: [],
  },
  {
    name: 'posts',
    columns: [
      col('id', int, false, null, true),
      col('user_id', int, false),
      col('title', { type: 'string', length: 200, raw: 'varchar(200)' }, false),
      col('body', { type: 'text', raw: 'text' }, true),
    ],
    primaryKey: ['id'],
    // The index InnoDB made for the unnamed foreign key carries the column's name.
    indexes: [pk(['id']), index('ft_body', ['body'], { partial: true }), index('user_id', ['user_id']), index('ux_posts_title', ['title'], { unique: true })],
    foreignKeys: [{ name: 'posts_ibfk_1', columns: ['user_id'], refTable: 'users', refColumns: ['id'], onDelete: 'cascade', onUpdate: 'restrict' }],
  },
  {
    name: 'users',
    columns: [
      col('id', int, false, null, true),
      col('email', { type: 'string', length: 120, raw: 'varchar(120)' }, false),
      col('name', { type: 'string', length: 50, raw: 'varchar(50)' }, true, "'anon'"),
      col('is_admin', { type: 'boolean', raw: 'tinyint(1)' }, false, '0'),
      col('created_at', { type: 'timestamp', withTimezone: false, precision: 0, raw: 'datetime' }, true, 'current_timestamp()'),
      col('updated_at', { type: 'timestamp', withTimezone: true, precision: 0, raw: 'timestamp on update current_timestamp' }, false, 'current_timestamp()'),
    ],
    primaryKey: ['id'],
    indexes: [pk(['id']), index('email', ['email'], { unique: true }), index('ix_users_name_prefix', ['name'], { partial: true })],
    foreignKeys: [],
  },
];

describe('MariaDB server', { skip: withoutMariadb }, () => {
  describe('MysqlCatalogReader and MysqlDdlCompiler on a real server', () => {
    const database = `idem_t_${process.pid}_${randomBytes(4).toString('hex')}`;
    let admin: MysqlDriver;
    let driver: MysqlDriver;
    let types: MysqlTypeMapper;
    let reader: MysqlCatalogReader;
    let ddl: MysqlDdlCompiler;

    before(async () => {
      admin = await MysqlDriver.connect(ADMIN_URL);
      await admin.execute(`CREATE DATABASE \`${database}\``);
      driver = await MysqlDriver.connect(withDatabase(ADMIN_URL, database));
      types = new MysqlTypeMapper(driver.server.flavor);
      ddl = new MysqlDdlCompiler(types);
      reader = new MysqlCatalogReader(driver, types, { database, flavor: driver.server.flavor, excludeTables: ['idem_version'] });
      for (const statement of INIT_SCRIPT) await driver.execute(statement);
    });

    after(async () => {
      await driver?.close();
      await admin?.execute(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin?.close();
    });

    it('reads an init script\'s tables exactly: keys under the engine\'s names, views and idem\'s table left out', async (t) => {
      if (driver.server.flavor !== 'mariadb') t.skip('the expected snapshot spells MariaDB defaults');
      const { tables } = await reader.readAll();
      assert.deepEqual([...tables.keys()], EXPECTED.map((e) => e.name));
      // Every MySQL/MariaDB table resolves its column names without regard to case.
      for (const expected of EXPECTED) assert.deepEqual(tables.get(expected.name), { ...expected, columnNamesFoldCase: true }, expected.name);
    });

    it('reads only the tables asked for, and tells whether a table exists (idem\'s own included)', async () => {
      assert.deepEqual([...(await reader.readTables(['posts', 'missing', 'v_users'])).keys()], ['posts']);
      assert.equal((await reader.readTables([])).size, 0);
      assert.equal(await reader.hasTable('idem_version'), true);
      assert.equal(await reader.hasTable('missing'), false);
    });

    // Every portable type and default: created by our DDL, read back, compared as the runner compares.
    const ROUND_TRIP: Record<string, ColumnSpec> = {
      s_default: { type: 'string' },
      s_quoted: { type: 'string', length: 40, default: "it's a \\ 'quoted'\nvalue" },
      s_empty: { type: 'string', length: 5, nullable: false, default: '' },
      s_null_text: { type: 'string', length: 5, default: 'NULL' },
      s_null: { type: 'string', length: 5, default: null },
      s_number: { type: 'string', length: 5, default: 5 },
      t_text: { type: 'text', default: 'hello' },
      i_int: { type: 'integer', nullable: false, default: 42 },
      i_negative: { type: 'integer', default: -7 },
      i_string: { type: 'integer', default: '12' },
      b_big: { type: 'bigint', default: '9007199254740993' },
      b_small: { type: 'smallint', default: 3 },
      bool_true: { type: 'boolean', nullable: false, default: true },
      bool_false: { type: 'boolean', default: false },
      d_default: { type: 'decimal', default: 12 },
      d_money: { type: 'decimal', precision: 16, scale: 2, default: '12345678901234.5' },
      d_half: { type: 'decimal', precision: 10, scale: 2, default: 1.5 },
      f_float: { type: 'float', default: 1.5 },
      f_double: { type: 'double', default: 0.1 },
      dt_date: { type: 'date', default: '2024-02-29' },
      ts_now: { type: 'timestamp', default: { sql: 'CURRENT_TIMESTAMP' } },
      ts_literal: { type: 'timestamp', default: '2024-01-01' },
      ts_zone: { type: 'timestamp', withTimezone: true, nullable: false, default: { sql: 'now()' } },
      j_json: { type: 'json' },
      j_default: { type: 'json', default: '{}' },
      u_uuid: { type: 'uuid', default: { sql: 'uuid()' } },
      bin_sized: { type: 'binary', length: 16 },
      bin_blob: { type: 'binary' },
      raw_enum: { sqlType: "enum('a','b')", default: 'b' },
    };

    it('reads back every portable type and default as declared', async () => {
      const columns: Record<string, ColumnSpec> = { id: { type: 'bigint', primaryKey: true, autoIncrement: true }, ...ROUND_TRIP };
      for (const statement of ddl.compile({ kind: 'createTable', table: 'round trip', columns, options: {} }, undefined)) {
        await driver.execute(statement.sql, statement.params);
      }
      const table = (await reader.readTables(['round trip'])).get('round trip')!;
      for (const [name, spec] of Object.entries(columns)) {
        const actual = table.columns.find((c) => c.name === name)!;
        const declared = types.declaredType(spec);
        assert.ok(sameType(declared, actual.type), `${name}: declared ${JSON.stringify(declared)}, read ${JSON.stringify(actual.type)}`);
        assert.equal(actual.nullable, spec.primaryKey ? false : spec.nullable ?? true, `${name}: nullable`);
        assert.equal(actual.autoIncrement, spec.autoIncrement === true, `${name}: autoIncrement`);
        if (spec.default !== undefined) {
          assert.equal(types.normalizeDefault(actual.default), types.normalizeDefault(types.defaultSql(spec.default, spec)),
            `${name}: default ${JSON.stringify(spec.default)} read back as ${actual.default}`);
        }
        // Nothing to change: the runner would skip this column.
        assert.deepEqual(columnChangesNeeded(types, actual, table, { ...spec, primaryKey: undefined, autoIncrement: undefined }).differences, [], name);
      }
    });

    it('alters a column in place keeping what the declaration does not mention', async () => {
      const alter = async (tableName: string, column: string, changes: ColumnSpec): Promise<CatalogTable> => {
        const table = (await reader.readTables([tableName])).get(tableName)!;
        const current = table.columns.find((c) => c.name === column)!;
        const { needed } = columnChangesNeeded(types, current, table, changes);
        for (const s of ddl.compile({ kind: 'alterColumn', table: tableName, column, changes: needed }, table)) await driver.execute(s.sql, s.params);
        const after = (await reader.readTables([tableName])).get(tableName)!;
        assert.deepEqual(columnChangesNeeded(types, after.columns.find((c) => c.name === column)!, after, changes).differences, [], `${tableName}.${column} as declared`);
        return after;
      };
      // (InnoDB refuses to change the type of a column another table's foreign key references: users.id is one.)
      await driver.execute('CREATE TABLE counters (id SMALLINT AUTO_INCREMENT PRIMARY KEY, n INT)');
      const counters = await alter('counters', 'id', { type: 'bigint' });
      assert.deepEqual(counters.columns[0], { name: 'id', type: { type: 'bigint', raw: 'bigint' }, nullable: false, default: null, autoIncrement: true });
      let users = await alter('users', 'updated_at', { nullable: true });
      assert.equal(users.columns.find((c) => c.name === 'updated_at')!.type.raw, 'timestamp on update current_timestamp');
      users = await alter('users', 'name', { length: 80, unique: true });
      assert.equal(users.columns.find((c) => c.name === 'name')!.default, "'anon'");
      assert.ok(users.indexes.some((i) => i.name === 'uq_users_name' && i.unique));
      const items = await alter('order items', 'code', { length: 40, nullable: false, default: 'none' });
      assert.equal(items.columns.find((c) => c.name === 'code')!.type.raw, 'varchar(40) collate utf8mb4_bin');
      const meta = (await alter('order items', 'meta', { nullable: false })).columns.find((c) => c.name === 'meta')!;
      assert.deepEqual(meta.type, { type: 'json', raw: 'json' });
    });

    it('reads MariaDB\'s own prefix on a TEXT or BLOB column indexed whole as the whole column; a chosen prefix stays partial', async (t) => {
      if (driver.server.flavor !== 'mariadb') t.skip('MySQL refuses an index on a whole TEXT or BLOB column');
      await driver.execute(`CREATE TABLE notes (id INT PRIMARY KEY, body TEXT, tiny TINYTEXT, latin LONGTEXT CHARACTER SET latin1,
        legacy TEXT CHARACTER SET utf8mb3, data BLOB, title VARCHAR(50))`);
      // As an init script writes them: body(768), tiny(255), latin(3072), legacy(1024), data(3072) on the server.
      for (const column of ['tiny', 'latin', 'legacy', 'data']) await driver.execute(`CREATE INDEX ix_${column} ON notes (${column})`);
      await driver.execute('CREATE INDEX ix_body_10 ON notes (body(10))');
      await driver.execute('CREATE INDEX ix_title_body ON notes (title, body(100))');
      // And as idem writes one.
      for (const s of ddl.compile({ kind: 'createIndex', table: 'notes', index: { name: 'ix_body', columns: ['body'], unique: false } }, undefined)) await driver.execute(s.sql, s.params);
      const notes = (await reader.readTables(['notes'])).get('notes')!;
      assert.deepEqual(notes.indexes.filter((i) => i.origin === 'index').map((i) => [i.name, i.columns, i.partial]), [
        ['ix_body', ['body'], false],
        ['ix_body_10', ['body'], true],
        ['ix_data', ['data'], false],
        ['ix_latin', ['latin'], false],
        ['ix_legacy', ['legacy'], false],
        ['ix_tiny', ['tiny'], false],
        ['ix_title_body', ['title', 'body'], true],
      ]);
    });

    it('drops a column its foreign key and multi-column keys use, and a foreign key found by shape', async () => {
      const run = async (op: Parameters<MysqlDdlCompiler['compile']>[0], name: string): Promise<CatalogTable> => {
        const table = (await reader.readTables([name])).get(name);
        for (const s of ddl.compile(op, table)) await driver.execute(s.sql, s.params);
        return (await reader.readTables([name])).get(name)!;
      };
      const items = await run({ kind: 'dropColumn', table: 'order items', column: 'price' }, 'order items');
      assert.deepEqual(items.indexes.map((i) => i.name), ['PRIMARY']);
      const posts = await run({ kind: 'dropForeignKey', table: 'posts', name: 'fk_posts_user', resolved: { columns: ['user_id'], refTable: 'users' } }, 'posts');
      assert.deepEqual(posts.foreignKeys, []);
      assert.ok(!posts.indexes.some((i) => i.name === 'user_id'), 'the index InnoDB made for the unnamed key went with it');
      const comments = await run({ kind: 'dropColumn', table: 'comments', column: 'post_id' }, 'comments');
      assert.deepEqual([comments.columns.map((c) => c.name), comments.foreignKeys], [['id'], []]);
    });
  });
});
