import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CatalogColumn, CatalogTable } from '../../src/catalog/snapshot.ts';
import { MysqlDdlCompiler } from '../../src/dialect/mysql/mysql-ddl.ts';
import { isMysqlAlreadyExistsError } from '../../src/dialect/mysql/mysql-session.ts';
import { mysqlLockName } from '../../src/dialect/mysql/mysql-lock.ts';
import { MysqlTypeMapper } from '../../src/dialect/mysql/mysql-types.ts';
import { quoteMysqlIdentifier } from '../../src/dialect/mysql/mysql-quote.ts';
import type { Operation } from '../../src/plan/operations.ts';
import { IdemError } from '../../src/errors.ts';

type SchemaOperation = Exclude<Operation, { kind: 'executeIf' | 'sql' }>;

const types = new MysqlTypeMapper('mariadb');
const ddl = new MysqlDdlCompiler(types);
const sql = (op: SchemaOperation, table?: CatalogTable): string[] => ddl.compile(op, table).map((s) => {
  assert.deepEqual(s.params, [], 'DDL binds nothing');
  return s.sql;
});

function column(name: string, raw: string, extra: Partial<CatalogColumn> = {}): CatalogColumn {
  return { name, type: types.parseType(raw), nullable: true, default: null, autoIncrement: false, ...extra };
}

// As the catalog reader reports an init script's table on MariaDB.
const posts: CatalogTable = {
  name: 'posts',
  columns: [
    column('id', 'int', { nullable: false, autoIncrement: true }),
    column('user_id', 'int', { nullable: false }),
    column('slug', 'varchar(40) collate utf8mb4_bin', { default: "'draft'" }),
    column('category', 'int'),
    column('updated_at', 'timestamp on update current_timestamp', { nullable: false, default: 'current_timestamp()' }),
    column('meta', 'json'),
  ],
  primaryKey: ['id'],
  indexes: [
    { name: 'PRIMARY', columns: ['id'], unique: true, origin: 'primaryKey', partial: false },
    { name: 'user_id', columns: ['user_id'], unique: false, origin: 'index', partial: false },
    { name: 'uq_slug_category', columns: ['slug', 'category'], unique: true, origin: 'unique', partial: false },
    { name: 'ix_category_slug', columns: ['category', 'slug'], unique: false, origin: 'index', partial: false },
    { name: 'email', columns: ['slug'], unique: true, origin: 'unique', partial: false },
  ],
  foreignKeys: [
    { name: 'posts_ibfk_1', columns: ['user_id'], refTable: 'users', refColumns: ['id'], onDelete: 'cascade', onUpdate: 'restrict' },
    { name: 'fk_posts_category', columns: ['category'], refTable: 'categories', refColumns: ['id'], onDelete: 'restrict', onUpdate: 'restrict' },
  ],
};

describe('MysqlDdlCompiler: tables', () => {
  it('creates a table in one statement: inline key, named uniques, indexes and foreign keys, InnoDB', () => {
    const op: SchemaOperation = {
      kind: 'createTable', table: 'groups',
      columns: {
        id: { type: 'integer', primaryKey: true, autoIncrement: true },
        name: { type: 'string', length: 50, nullable: false, unique: true },
        owner_id: { type: 'bigint' },
        active: { type: 'boolean', nullable: false, default: true },
        created_at: { type: 'timestamp', default: { sql: 'CURRENT_TIMESTAMP' } },
      },
      options: {
        unique: [{ name: 'uq_groups_owner_name', columns: ['owner_id', 'name'] }],
        indexes: [{ name: 'ix_groups_created', columns: ['created_at'] }, { name: 'ux_groups_owner', columns: ['owner_id'], unique: true }],
        foreignKeys: [{ name: 'fk_groups_owner', columns: ['owner_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'set null' }],
      },
    };
    assert.deepEqual(sql(op), [`CREATE TABLE \`groups\` (
  \`id\` int NOT NULL AUTO_INCREMENT PRIMARY KEY,
  \`name\` varchar(50) NOT NULL,
  \`owner_id\` bigint NULL,
  \`active\` tinyint(1) NOT NULL DEFAULT 1,
  \`created_at\` datetime NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT \`uq_groups_name\` UNIQUE (\`name\`),
  CONSTRAINT \`uq_groups_owner_name\` UNIQUE (\`owner_id\`, \`name\`),
  INDEX \`ix_groups_created\` (\`created_at\`),
  UNIQUE INDEX \`ux_groups_owner\` (\`owner_id\`),
  CONSTRAINT \`fk_groups_owner\` FOREIGN KEY (\`owner_id\`) REFERENCES \`users\` (\`id\`) ON DELETE SET NULL
) ENGINE=InnoDB`]);
  });

  it('writes a composite primary key at table level, its columns NOT NULL, and no unique key on a single key column', () => {
    const op: SchemaOperation = {
      kind: 'createTable', table: 'user groups',
      columns: { 'user`id': { type: 'integer' }, group_id: { type: 'integer' }, code: { type: 'uuid', primaryKey: false } },
      options: { primaryKey: ['user`id', 'group_id'] },
    };
    assert.deepEqual(sql(op), [`CREATE TABLE \`user groups\` (
  \`user\`\`id\` int NOT NULL,
  \`group_id\` int NOT NULL,
  \`code\` char(36) NULL,
  PRIMARY KEY (\`user\`\`id\`, \`group_id\`)
) ENGINE=InnoDB`]);
    const single: SchemaOperation = { kind: 'createTable', table: 't', columns: { id: { type: 'string', length: 10, primaryKey: true, unique: true } }, options: {} };
    assert.deepEqual(sql(single), ['CREATE TABLE `t` (\n  `id` varchar(10) NOT NULL PRIMARY KEY\n) ENGINE=InnoDB']);
  });

  it('drops and renames tables', () => {
    assert.deepEqual(sql({ kind: 'dropTable', table: 'a`b' }), ['DROP TABLE `a``b`']);
    assert.deepEqual(sql({ kind: 'renameTable', from: 'grp', to: 'groups' }), ['RENAME TABLE `grp` TO `groups`']);
  });

  it('creates the version table with the columns every dialect has, seq indexed', () => {
    assert.deepEqual(ddl.createVersionTable('idem_version').map((s) => s.sql), [`CREATE TABLE IF NOT EXISTS \`idem_version\` (
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
  KEY \`idem_version_seq\` (seq)
) ENGINE=InnoDB`]);
  });
});

describe('MysqlDdlCompiler: columns', () => {
  it('adds a column, with its unique key in the same ALTER', () => {
    assert.deepEqual(sql({ kind: 'addColumn', table: 'users', column: 'api_key', spec: { type: 'string', length: 255, unique: true } }, posts), [
      'ALTER TABLE `users` ADD COLUMN `api_key` varchar(255) NULL, ADD CONSTRAINT `uq_users_api_key` UNIQUE (`api_key`)',
    ]);
    assert.deepEqual(sql({ kind: 'addColumn', table: 'users', column: 'note', spec: { type: 'text', nullable: false, default: "it's \\ new" } }, posts), [
      "ALTER TABLE `users` ADD COLUMN `note` text NOT NULL DEFAULT 'it''s \\\\ new'",
    ]);
  });

  it('rejects an impossible column before any SQL, naming it', () => {
    assert.throws(() => sql({ kind: 'addColumn', table: 'users', column: 'code', spec: { type: 'string', autoIncrement: true } }, posts), (e: unknown) =>
      e instanceof IdemError && e.code === 'OPERATION_INVALID' && /column "code": autoIncrement needs an integer type/.test(e.message));
  });

  it('adds a primary key column inline only to a table without one', () => {
    const bare: CatalogTable = { name: 'log', columns: [column('msg', 'text')], primaryKey: [], indexes: [], foreignKeys: [] };
    assert.deepEqual(sql({ kind: 'addColumn', table: 'log', column: 'id', spec: { type: 'bigint', primaryKey: true, autoIncrement: true } }, bare), [
      'ALTER TABLE `log` ADD COLUMN `id` bigint NOT NULL AUTO_INCREMENT PRIMARY KEY',
    ]);
  });

  it('renames a column with RENAME COLUMN', () => {
    assert.deepEqual(sql({ kind: 'renameColumn', table: 'users', from: 'login', to: 'username' }, posts), [
      'ALTER TABLE `users` RENAME COLUMN `login` TO `username`',
    ]);
  });

  it('drops the foreign keys and multi-column keys that use a column before the column', () => {
    assert.deepEqual(sql({ kind: 'dropColumn', table: 'posts', column: 'category' }, posts), [
      'ALTER TABLE `posts` DROP FOREIGN KEY `fk_posts_category`',
      'DROP INDEX `uq_slug_category` ON `posts`',
      'DROP INDEX `ix_category_slug` ON `posts`',
      'ALTER TABLE `posts` DROP COLUMN `category`',
    ]);
    // A plain index another foreign key needs is left to shrink; its unique sibling goes.
    assert.deepEqual(sql({ kind: 'dropColumn', table: 'posts', column: 'slug' }, posts), [
      'DROP INDEX `uq_slug_category` ON `posts`',
      'ALTER TABLE `posts` DROP COLUMN `slug`',
    ]);
  });

  it('alters with MODIFY COLUMN restating the whole column: AUTO_INCREMENT, collation, ON UPDATE, default kept', () => {
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'id', changes: { type: 'bigint' } }, posts), [
      'ALTER TABLE `posts` MODIFY COLUMN `id` bigint NOT NULL AUTO_INCREMENT',
    ]);
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'slug', changes: { length: 80 } }, posts), [
      "ALTER TABLE `posts` MODIFY COLUMN `slug` varchar(80) COLLATE utf8mb4_bin NULL DEFAULT 'draft'",
    ]);
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'slug', changes: { nullable: false } }, posts), [
      "ALTER TABLE `posts` MODIFY COLUMN `slug` varchar(40) COLLATE utf8mb4_bin NOT NULL DEFAULT 'draft'",
    ]);
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'updated_at', changes: { nullable: true } }, posts), [
      'ALTER TABLE `posts` MODIFY COLUMN `updated_at` timestamp NULL DEFAULT current_timestamp() ON UPDATE CURRENT_TIMESTAMP',
    ]);
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'meta', changes: { nullable: false } }, posts), [
      'ALTER TABLE `posts` MODIFY COLUMN `meta` json NOT NULL',
    ]);
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'category', changes: { default: 7 } }, posts), [
      'ALTER TABLE `posts` MODIFY COLUMN `category` int NULL DEFAULT 7',
    ]);
    // A numeric type takes no collation; the old one is not restated.
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'slug', changes: { type: 'integer', default: null } }, posts), [
      'ALTER TABLE `posts` MODIFY COLUMN `slug` int NULL DEFAULT NULL',
    ]);
  });

  it('adds and drops a column unique key in the same ALTER as the type change', () => {
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'category', changes: { unique: true, nullable: false } }, posts), [
      'ALTER TABLE `posts` MODIFY COLUMN `category` int NOT NULL, ADD CONSTRAINT `uq_posts_category` UNIQUE (`category`)',
    ]);
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'slug', changes: { unique: false } }, posts), [
      'ALTER TABLE `posts` DROP INDEX `email`',
    ]);
    assert.deepEqual(sql({ kind: 'alterColumn', table: 'posts', column: 'id', changes: { unique: false } }, posts), []);
  });
});

describe('MysqlDdlCompiler: keys', () => {
  it('creates and drops indexes', () => {
    assert.deepEqual(sql({ kind: 'createIndex', table: 'users', index: { name: 'ix_users_email', columns: ['email', 'id'], unique: true } }, posts), [
      'CREATE UNIQUE INDEX `ix_users_email` ON `users` (`email`, `id`)',
    ]);
    assert.deepEqual(sql({ kind: 'dropIndex', table: 'posts', name: 'ix_category_slug' }, posts), ['DROP INDEX `ix_category_slug` ON `posts`']);
    assert.throws(() => sql({ kind: 'dropIndex', table: 'posts', name: 'PRIMARY' }, posts), (e: unknown) =>
      e instanceof IdemError && e.code === 'OPERATION_INVALID' && /primary key/.test(e.message));
  });

  it('adds a unique constraint and drops it as the index it is', () => {
    assert.deepEqual(sql({ kind: 'addUnique', table: 'inmates', unique: { name: 'uq_inmate', columns: ['name', 'dob', 'jail_id'] } }, posts), [
      'ALTER TABLE `inmates` ADD CONSTRAINT `uq_inmate` UNIQUE (`name`, `dob`, `jail_id`)',
    ]);
    assert.deepEqual(sql({ kind: 'dropUnique', table: 'posts', name: 'uq_slug_category' }, posts), ['DROP INDEX `uq_slug_category` ON `posts`']);
  });

  it('adds a foreign key with its actions and drops it by its real name, with the index InnoDB made for it', () => {
    assert.deepEqual(sql({
      kind: 'addForeignKey', table: 'user_groups',
      foreignKey: { name: 'fk_ug_user', columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade', onUpdate: 'no action' },
    }, posts), [
      'ALTER TABLE `user_groups` ADD CONSTRAINT `fk_ug_user` FOREIGN KEY (`user_id`) REFERENCES `users` (`id`) ON DELETE CASCADE ON UPDATE NO ACTION',
    ]);
    assert.deepEqual(sql({ kind: 'dropForeignKey', table: 'posts', name: 'fk_posts_category' }, posts), ['ALTER TABLE `posts` DROP FOREIGN KEY `fk_posts_category`']);
    // Declared as fk_posts_user, created by the init script as posts_ibfk_1: found by shape. The
    // index InnoDB made for that unnamed key, named after its column, goes with it, as ours would:
    // adding fk_posts_user over it makes MariaDB replace it with one under that name.
    assert.deepEqual(sql({ kind: 'dropForeignKey', table: 'posts', name: 'fk_posts_user', resolved: { columns: ['user_id'], refTable: 'users' } }, posts), [
      'ALTER TABLE `posts` DROP FOREIGN KEY `posts_ibfk_1`, DROP INDEX `user_id`',
    ]);
    // Not an index on other columns than the key's, nor one another key still needs.
    const wider = { ...posts, indexes: posts.indexes.map((i) => (i.name === 'user_id' ? { ...i, columns: ['user_id', 'slug'] } : i)) };
    assert.deepEqual(sql({ kind: 'dropForeignKey', table: 'posts', name: 'posts_ibfk_1' }, wider), ['ALTER TABLE `posts` DROP FOREIGN KEY `posts_ibfk_1`']);
    const shared = { ...posts, foreignKeys: [...posts.foreignKeys, { ...posts.foreignKeys[0]!, name: 'fk_posts_author', refTable: 'authors' }] };
    assert.deepEqual(sql({ kind: 'dropForeignKey', table: 'posts', name: 'posts_ibfk_1' }, shared), ['ALTER TABLE `posts` DROP FOREIGN KEY `posts_ibfk_1`']);
    // A key we named keeps an index that merely carries its column's name.
    const named = { ...posts, foreignKeys: posts.foreignKeys.map((f) => (f.name === 'posts_ibfk_1' ? { ...f, name: 'fk_posts_user' } : f)) };
    assert.deepEqual(sql({ kind: 'dropForeignKey', table: 'posts', name: 'fk_posts_user' }, named), ['ALTER TABLE `posts` DROP FOREIGN KEY `fk_posts_user`']);
    // The index InnoDB made under the key's own name goes with the key; one of another name stays.
    const withHelper = { ...posts, indexes: [...posts.indexes, { name: 'fk_posts_category', columns: ['category'], unique: false, origin: 'index' as const, partial: false }] };
    assert.deepEqual(sql({ kind: 'dropForeignKey', table: 'posts', name: 'fk_posts_category' }, withHelper), [
      'ALTER TABLE `posts` DROP FOREIGN KEY `fk_posts_category`, DROP INDEX `fk_posts_category`',
    ]);
  });
});

describe('MySQL session helpers', () => {
  it('quotes identifiers with backticks, doubling embedded ones', () => {
    assert.equal(quoteMysqlIdentifier('order items'), '`order items`');
    assert.equal(quoteMysqlIdentifier('a`b'), '`a``b`');
  });

  it('names the run lock after the database, within 64 characters', () => {
    assert.equal(mysqlLockName('app'), 'idem:app');
    const long = mysqlLockName('x'.repeat(64));
    assert.ok(long.length <= 64 && long.startsWith('idem:xxx'), long);
    assert.notEqual(mysqlLockName(`${'x'.repeat(63)}a`), mysqlLockName(`${'x'.repeat(63)}b`));
  });

  it('recognises the errors a concurrent creator causes', () => {
    const err = (errno: number, message = 'x') => Object.assign(new Error(message), { errno });
    for (const errno of [1050, 1060, 1061, 1022, 1826]) assert.ok(isMysqlAlreadyExistsError(err(errno)), String(errno));
    assert.ok(isMysqlAlreadyExistsError(err(1005, 'Can\'t create table `d`.`t` (errno: 121 "Duplicate key on write or update")')));
    assert.ok(!isMysqlAlreadyExistsError(err(1005, 'Can\'t create table `d`.`t` (errno: 150 "Foreign key constraint is incorrectly formed")')));
    assert.ok(!isMysqlAlreadyExistsError(err(1146)));
    assert.ok(!isMysqlAlreadyExistsError(new Error('no errno')));
  });
});

describe('MysqlTypeMapper', () => {
  it('spells every portable type', () => {
    const cases: [Parameters<MysqlTypeMapper['columnType']>[0], string][] = [
      [{ type: 'string' }, 'varchar(255)'], [{ type: 'string', length: 40 }, 'varchar(40)'], [{ type: 'text' }, 'text'],
      [{ type: 'integer' }, 'int'], [{ type: 'bigint' }, 'bigint'], [{ type: 'smallint' }, 'smallint'], [{ type: 'boolean' }, 'tinyint(1)'],
      [{ type: 'decimal' }, 'decimal(10,0)'], [{ type: 'decimal', precision: 12, scale: 2 }, 'decimal(12,2)'],
      [{ type: 'float' }, 'float'], [{ type: 'double' }, 'double'], [{ type: 'date' }, 'date'],
      [{ type: 'timestamp' }, 'datetime'], [{ type: 'timestamp', withTimezone: true }, 'timestamp'],
      [{ type: 'json' }, 'json'], [{ type: 'uuid' }, 'char(36)'], [{ type: 'binary' }, 'blob'], [{ type: 'binary', length: 16 }, 'varbinary(16)'],
      [{ sqlType: ' mediumint unsigned ' }, 'mediumint unsigned'],
    ];
    for (const [spec, expected] of cases) assert.equal(types.columnType(spec), expected, JSON.stringify(spec));
  });

  it('parses what either server prints, display widths ignored', () => {
    const cases: [string, object][] = [
      ['varchar(255)', { type: 'string', length: 255, raw: 'varchar(255)' }],
      ['int(11)', { type: 'integer', raw: 'int' }],
      ['int', { type: 'integer', raw: 'int' }],
      ['tinyint(1)', { type: 'boolean', raw: 'tinyint(1)' }],
      ['tinyint(4)', { type: 'boolean', raw: 'tinyint' }],
      ['bigint(20) unsigned', { type: 'bigint', unsigned: true, raw: 'bigint unsigned' }],
      ['int(10) unsigned zerofill', { type: 'integer', unsigned: true, raw: 'int unsigned zerofill' }],
      ['int8', { type: 'bigint', raw: 'bigint' }],
      ['INTEGER(11)', { type: 'integer', raw: 'int' }],
      ['bool', { type: 'boolean', raw: 'tinyint(1)' }],
      ['numeric(12,2)', { type: 'decimal', precision: 12, scale: 2, raw: 'decimal(12,2)' }],
      ['decimal(10,2)', { type: 'decimal', precision: 10, scale: 2, raw: 'decimal(10,2)' }],
      ['datetime', { type: 'timestamp', withTimezone: false, precision: 0, raw: 'datetime' }],
      ['datetime(6)', { type: 'timestamp', withTimezone: false, precision: 6, raw: 'datetime(6)' }],
      ['timestamp', { type: 'timestamp', withTimezone: true, precision: 0, raw: 'timestamp' }],
      ['timestamp(3)', { type: 'timestamp', withTimezone: true, precision: 3, raw: 'timestamp(3)' }],
      ['longtext', { type: 'text', raw: 'longtext' }],
      ['char(36)', { type: 'string', length: 36, raw: 'char(36)' }],
      ['varbinary(16)', { type: 'binary', length: 16, raw: 'varbinary(16)' }],
      ['blob', { type: 'binary', raw: 'blob' }],
      ['DOUBLE PRECISION', { type: 'double', raw: 'double' }],
      ["ENUM('A', 'b')", { type: null, raw: "enum('A','b')" }],
      ['varchar(20) collate utf8mb4_bin', { type: 'string', length: 20, raw: 'varchar(20) collate utf8mb4_bin' }],
    ];
    for (const [raw, expected] of cases) assert.deepEqual(types.parseType(raw), expected, raw);
  });

  it('writes defaults both servers read back the same way', () => {
    assert.equal(types.defaultSql("it's \\ x\n", { type: 'string' }), "'it''s \\\\ x\\n'");
    assert.equal(types.defaultSql(5, { type: 'string' }), "'5'");
    assert.equal(types.defaultSql('7', { type: 'integer' }), '7');
    assert.equal(types.defaultSql(true, { type: 'boolean' }), '1');
    assert.equal(types.defaultSql(null, { type: 'integer' }), 'NULL');
    assert.equal(types.defaultSql('2024-01-01', { type: 'timestamp' }), "'2024-01-01 00:00:00'");
    assert.equal(types.defaultSql({ sql: 'CURRENT_TIMESTAMP' }, { type: 'timestamp' }), 'CURRENT_TIMESTAMP');
    assert.equal(types.defaultSql({ sql: 'uuid()' }, { type: 'uuid' }), '(uuid())');
    // MySQL takes TEXT/BLOB/JSON defaults only as expressions.
    assert.equal(new MysqlTypeMapper('mysql').defaultSql('x', { type: 'text' }), "('x')");
    assert.throws(() => types.defaultSql(Number.NaN, { type: 'double' }), (e: unknown) => e instanceof IdemError && e.code === 'OPERATION_INVALID');
  });

  it('normalises both servers\' spellings of one default to one', () => {
    const same: [string | null, string | null][] = [
      ["'it''s'", "'it\\'s'"], ["_utf8mb4'x'", "'x'"], ["(_utf8mb4'x')", "('x')"],
      ['current_timestamp()', 'CURRENT_TIMESTAMP'], ['now()', 'LOCALTIMESTAMP'], ['current_timestamp(3)', 'NOW(3)'],
      ['1.50', '1.5'], ['-0', '0'], ['1e3', '1000'], ['TRUE', '1'], ['NULL', null],
      ["concat('a','b')", "(CONCAT('a', 'b'))"],
    ];
    for (const [a, b] of same) assert.equal(types.normalizeDefault(a), types.normalizeDefault(b), `${a} ~ ${b}`);
    assert.notEqual(types.normalizeDefault("'NULL'"), types.normalizeDefault('NULL'));
    assert.notEqual(types.normalizeDefault("'1'"), types.normalizeDefault("'1.0'"));
  });
});
