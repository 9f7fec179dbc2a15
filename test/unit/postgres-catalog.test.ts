/**
 * PostgresCatalogReader against the real server: tables made by hand the way
 * an ORM or init script makes them, read back as the exact portable
 * snapshot; then every portable type and default created with
 * PostgresDdlCompiler's DDL and read back equal to what was declared.
 * Each run works in a scratch database of its own, dropped at the end.
 * The server: IDEM_TEST_POSTGRES_URL, else the local one.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { compareColumn, sameType } from '../../src/catalog/compare-shape.ts';
import type { CatalogTable } from '../../src/catalog/snapshot.ts';
import { openPostgresSession, type PostgresSession } from '../../src/dialect/postgres/postgres-session.ts';
import type { ColumnSpec } from '../../src/plan/column-spec.ts';
import { POSTGRES_URL, postgresAdmin, withoutPostgres } from '../support/servers.ts';

const ADMIN_URL = POSTGRES_URL;
const name = `idem_t_${randomBytes(6).toString('hex')}`;
const url = (() => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
})();

let session: PostgresSession;

describe('PostgreSQL server', { skip: withoutPostgres }, () => {
  before(async () => {
    await postgresAdmin(`CREATE DATABASE "${name}"`);
    session = await openPostgresSession({ url }, ['idem_version']);
  });

  after(async () => {
    await session?.close();
    await postgresAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  // As an init script or an ORM writes it: SERIAL and IDENTITY keys, unnamed
  // constraints PostgreSQL names itself (users_email_key, …_fkey), named ones,
  // partial, expression and INCLUDE indexes, quoted names with spaces and quotes.
  // Indexes and keys are listed in the order they were made.
  const INIT_SCRIPT = `
  CREATE TABLE users (
    id SERIAL PRIMARY KEY,
    email VARCHAR(120) NOT NULL UNIQUE,
    name varchar NOT NULL DEFAULT 'anon',
    is_admin boolean NOT NULL DEFAULT false,
    balance numeric(12,2) DEFAULT 0.00,
    doubled numeric GENERATED ALWAYS AS (balance * 2) STORED,
    created_at timestamp without time zone DEFAULT CURRENT_TIMESTAMP,
    profile jsonb DEFAULT '{}'::jsonb,
    tags text[]
  );
  CREATE INDEX ix_users_lower_email ON users (lower(email));
  CREATE UNIQUE INDEX ux_users_admin_name ON users (name) WHERE is_admin;
  CREATE INDEX ix_users_created ON users (created_at DESC) INCLUDE (name);
  CREATE TABLE groups (
    id integer GENERATED ALWAYS AS IDENTITY,
    code char(4),
    label text,
    CONSTRAINT pk_groups PRIMARY KEY (id),
    CONSTRAINT uq_groups_code UNIQUE (code),
    UNIQUE (label, code)
  );
  CREATE TABLE "user groups" (
    "user id" bigint NOT NULL REFERENCES users ON DELETE CASCADE,
    group_id int NOT NULL,
    "weird ""col""" double precision,
    note varchar(10) DEFAULT 'it''s',
    PRIMARY KEY ("user id", group_id),
    CONSTRAINT "fk group" FOREIGN KEY (group_id) REFERENCES groups (id) ON UPDATE SET NULL ON DELETE RESTRICT
  );
  CREATE TABLE idem_version (revision text PRIMARY KEY);
  CREATE VIEW admins AS SELECT * FROM users WHERE is_admin;
  CREATE SCHEMA elsewhere;
  CREATE TABLE elsewhere.hidden (id int);
  `;

  const int = { type: 'integer', raw: 'integer' } as const;

  const expected: CatalogTable[] = [
    {
      name: 'groups',
      columns: [
        { name: 'id', type: int, nullable: false, default: null, autoIncrement: true },
        { name: 'code', type: { type: 'string', length: 4, raw: 'char(4)' }, nullable: true, default: null, autoIncrement: false },
        { name: 'label', type: { type: 'text', raw: 'text' }, nullable: true, default: null, autoIncrement: false },
      ],
      primaryKey: ['id'],
      indexes: [
        { name: 'pk_groups', columns: ['id'], unique: true, origin: 'primaryKey', partial: false },
        { name: 'uq_groups_code', columns: ['code'], unique: true, origin: 'unique', partial: false },
        { name: 'groups_label_code_key', columns: ['label', 'code'], unique: true, origin: 'unique', partial: false },
      ],
      foreignKeys: [],
    },
    {
      name: 'user groups',
      columns: [
        { name: 'user id', type: { type: 'bigint', raw: 'bigint' }, nullable: false, default: null, autoIncrement: false },
        { name: 'group_id', type: int, nullable: false, default: null, autoIncrement: false },
        { name: 'weird "col"', type: { type: 'double', raw: 'double precision' }, nullable: true, default: null, autoIncrement: false },
        { name: 'note', type: { type: 'string', length: 10, raw: 'varchar(10)' }, nullable: true, default: "'it''s'::character varying", autoIncrement: false },
      ],
      primaryKey: ['user id', 'group_id'],
      indexes: [
        { name: 'user groups_pkey', columns: ['user id', 'group_id'], unique: true, origin: 'primaryKey', partial: false },
      ],
      foreignKeys: [
        { name: 'user groups_user id_fkey', columns: ['user id'], refTable: 'users', refColumns: ['id'], onDelete: 'cascade', onUpdate: 'no action' },
        { name: 'fk group', columns: ['group_id'], refTable: 'groups', refColumns: ['id'], onDelete: 'restrict', onUpdate: 'set null' },
      ],
    },
    {
      name: 'users',
      columns: [
        { name: 'id', type: int, nullable: false, default: "nextval('users_id_seq'::regclass)", autoIncrement: true },
        { name: 'email', type: { type: 'string', length: 120, raw: 'varchar(120)' }, nullable: false, default: null, autoIncrement: false },
        { name: 'name', type: { type: 'string', raw: 'varchar' }, nullable: false, default: "'anon'::character varying", autoIncrement: false },
        { name: 'is_admin', type: { type: 'boolean', raw: 'boolean' }, nullable: false, default: 'false', autoIncrement: false },
        { name: 'balance', type: { type: 'decimal', precision: 12, scale: 2, raw: 'numeric(12,2)' }, nullable: true, default: '0.00', autoIncrement: false },
        { name: 'doubled', type: { type: 'decimal', raw: 'numeric' }, nullable: true, default: null, autoIncrement: false },
        { name: 'created_at', type: { type: 'timestamp', withTimezone: false, precision: 6, raw: 'timestamp' }, nullable: true, default: 'CURRENT_TIMESTAMP', autoIncrement: false },
        { name: 'profile', type: { type: 'json', raw: 'jsonb' }, nullable: true, default: "'{}'::jsonb", autoIncrement: false },
        { name: 'tags', type: { type: null, raw: 'text[]' }, nullable: true, default: null, autoIncrement: false },
      ],
      primaryKey: ['id'],
      indexes: [
        { name: 'users_pkey', columns: ['id'], unique: true, origin: 'primaryKey', partial: false },
        { name: 'users_email_key', columns: ['email'], unique: true, origin: 'unique', partial: false },
        { name: 'ix_users_lower_email', columns: ['lower(email::text)'], unique: false, origin: 'index', partial: true },
        { name: 'ux_users_admin_name', columns: ['name'], unique: true, origin: 'index', partial: true },
        { name: 'ix_users_created', columns: ['created_at'], unique: false, origin: 'index', partial: false },
      ],
      foreignKeys: [],
    },
  ];

  describe('PostgresCatalogReader', () => {
    before(() => session.driver.execute(INIT_SCRIPT));

    it('reads an init script\'s tables as the exact portable snapshot, in one query', async () => {
      let queries = 0;
      const query = session.driver.query.bind(session.driver);
      const queryPrepared = session.driver.queryPrepared.bind(session.driver);
      session.driver.query = ((sql: string, params?: unknown[]) => { queries++; return query(sql, params); }) as typeof session.driver.query;
      session.driver.queryPrepared = ((name: string, sql: string, params: unknown[]) => {
        queries++;
        return queryPrepared(name, sql, params);
      }) as typeof session.driver.queryPrepared;
      try {
        const snapshot = await session.catalog.readAll();
        assert.deepEqual([...snapshot.tables.values()], expected);
        assert.deepEqual([...snapshot.tables.keys()], ['groups', 'user groups', 'users'], 'views, other schemas and idem_version left out');
        assert.equal(queries, 1);
        assert.deepEqual([...(await session.catalog.readAll()).tables.values()], expected, 'read again through the prepared statement');
      } finally {
        delete (session.driver as { query?: unknown }).query;
        delete (session.driver as { queryPrepared?: unknown }).queryPrepared;
      }
    });

    it('readTables reads only the named tables; absent ones are missing', async () => {
      const tables = await session.catalog.readTables(['users', 'no_such_table', 'idem_version']);
      assert.deepEqual([...tables.keys()], ['users']);
      assert.deepEqual(tables.get('users'), expected[2]);
      assert.equal((await session.catalog.readTables([])).size, 0);
    });

    it('hasTable sees idem\'s own tables, not views or other schemas, and compares names exactly', async () => {
      assert.equal(await session.catalog.hasTable('idem_version'), true);
      assert.equal(await session.catalog.hasTable('user groups'), true);
      assert.equal(await session.catalog.hasTable('USERS'), false);
      assert.equal(await session.catalog.hasTable('admins'), false);
      assert.equal(await session.catalog.hasTable('hidden'), false);
    });

    it('reads the schema named by ?schema= only', async () => {
      const other = await openPostgresSession({ url: `${url}?schema=elsewhere` }, []);
      try {
        assert.equal(other.schema, 'elsewhere');
        assert.deepEqual([...(await other.catalog.readAll()).tables.keys()], ['hidden']);
      } finally {
        await other.close();
      }
    });
  });

  /** One column per case: [declared spec, portable type and default]. */
  const ROUND_TRIP: ColumnSpec[] = [
    { type: 'string' }, { type: 'string', length: 40, default: "it's" }, { type: 'string', default: 5 }, { type: 'string', default: '' },
    { type: 'string', default: null }, { type: 'string', nullable: false, default: 'user' },
    { type: 'text', default: 'hello ? world' }, { type: 'text', default: { sql: "lower('X')" } }, { type: 'text', default: true },
    { type: 'integer', default: 0 }, { type: 'integer', default: -1 }, { type: 'integer', default: '7' }, { type: 'integer', default: { sql: '1 + 2 * 3' } },
    { type: 'bigint', default: 9007199254740991 }, { type: 'bigint', default: '9007199254740993' }, { type: 'bigint', default: -5 },
    { type: 'smallint', default: -3 }, { type: 'smallint', default: false },
    { type: 'boolean', default: true }, { type: 'boolean', default: false }, { type: 'boolean', default: 0 }, { type: 'boolean', default: 'yes' },
    { type: 'decimal' }, { type: 'decimal', precision: 12, scale: 2, default: 1.5 }, { type: 'decimal', precision: 12, scale: 2, default: -1.5 },
    { type: 'decimal', precision: 8, scale: 3, default: '1.50' }, { type: 'decimal', default: 0 },
    { type: 'float', default: -2.5 }, { type: 'float', default: 0.1 }, { type: 'double', default: 1e21 }, { type: 'double', default: 0.1 },
    { type: 'date', default: '2020-1-1' }, { type: 'date', default: { sql: 'CURRENT_DATE' } },
    { type: 'timestamp', default: '2020-01-01' }, { type: 'timestamp', default: '2020-01-01T10:00:00.500' },
    { type: 'timestamp', default: { sql: 'CURRENT_TIMESTAMP' } }, { type: 'timestamp', default: { sql: 'now()' } },
    { type: 'timestamp', withTimezone: true, default: '2020-01-01T10:00:00+02:00' }, { type: 'timestamp', withTimezone: true, default: '2020-06-01 12:30:00.25Z' },
    { type: 'timestamp', withTimezone: true, default: { sql: 'now()' } }, { type: 'timestamp', withTimezone: true, default: { sql: 'CURRENT_TIMESTAMP' } },
    { type: 'json' }, { type: 'json', default: '{"b": 1, "a": [1,2]}' }, { type: 'json', default: 5 }, { type: 'json', default: '[]' },
    { type: 'uuid', default: 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' }, { type: 'uuid', default: { sql: 'gen_random_uuid()' } },
    { type: 'binary', default: '\\x00FF' }, { type: 'binary', length: 16 },
    { sqlType: 'int4', default: 1 }, { sqlType: 'timestamp(3) with time zone' }, { sqlType: 'text[]', default: { sql: "'{}'" } },
    { sqlType: 'json', default: '{"a":1}' }, { sqlType: 'character(3)', default: 'ab' }, { sqlType: 'float8', default: 2 },
    { sqlType: 'interval', default: { sql: "'1 day'" } }, { sqlType: 'varchar(30)[]' },
  ];

  describe('PostgresDdlCompiler and PostgresTypeMapper round trip', () => {
    const columns: Record<string, ColumnSpec> = Object.fromEntries(ROUND_TRIP.map((spec, i) => [`c${i}`, spec]));
    let table: CatalogTable;

    before(async () => {
      for (const s of session.ddl.compile({ kind: 'createTable', table: 'round_trip', columns, options: {} }, undefined)) {
        await session.driver.execute(s.sql, s.params);
      }
      table = (await session.catalog.readTables(['round_trip'])).get('round_trip')!;
    });

    for (const [i, spec] of ROUND_TRIP.entries()) {
      it(`c${i} ${JSON.stringify(spec)}: declared type and default equal what the catalog reports`, () => {
        const column = table.columns.find((c) => c.name === `c${i}`)!;
        const declared = session.types.declaredType(spec);
        assert.ok(sameType(declared, column.type), `declared ${JSON.stringify(declared)}, catalog ${JSON.stringify(column.type)}`);
        assert.equal(declared.raw, column.type.raw);
        if (spec.default !== undefined) {
          const declaredDefault = session.types.normalizeDefault(spec.default === null ? null : session.types.defaultSql(spec.default, spec));
          assert.equal(declaredDefault, session.types.normalizeDefault(column.default), `catalog default ${column.default}`);
        }
        assert.deepEqual(compareColumn(session.types, `round_trip.c${i}`, spec, column, table, { inPrimaryKey: false }), []);
      });
    }

    it('identity keys: integer and bigint primary keys read back auto-incrementing, with no drift', async () => {
      for (const [tableName, type] of [['ids_int', 'integer'], ['ids_big', 'bigint']] as const) {
        const spec: ColumnSpec = { type, primaryKey: true, autoIncrement: true };
        for (const s of session.ddl.compile({ kind: 'createTable', table: tableName, columns: { id: spec, v: { type: 'text' } }, options: {} }, undefined)) {
          await session.driver.execute(s.sql, s.params);
        }
        const read = (await session.catalog.readTables([tableName])).get(tableName)!;
        assert.deepEqual(read.columns[0], { name: 'id', type: { type, raw: type }, nullable: false, default: null, autoIncrement: true });
        assert.deepEqual(read.primaryKey, ['id']);
        assert.deepEqual(compareColumn(session.types, `${tableName}.id`, spec, read.columns[0]!, read, { inPrimaryKey: true }), []);
        await session.driver.execute(`INSERT INTO ${session.quoteIdentifier(tableName)} (v) VALUES ($1), ($2)`, ['a', 'b']);
        const rows = await session.driver.query<{ id: unknown }>(`SELECT id FROM ${session.quoteIdentifier(tableName)} ORDER BY id`);
        assert.deepEqual(rows.map((r) => Number(r.id)), [1, 2]);
      }
    });
  });
});
