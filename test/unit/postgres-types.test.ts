/**
 * PostgresTypeMapper without a database: every spelling the catalog and init
 * scripts use parses to the portable type, and defaults normalise the way
 * PostgreSQL rewrites them (the real round trip is in postgres-catalog.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnTypeInfo } from '../../src/catalog/snapshot.ts';
import { PostgresTypeMapper } from '../../src/dialect/postgres/postgres-types.ts';
import { IdemError } from '../../src/errors.ts';
import type { ColumnSpec } from '../../src/plan/column-spec.ts';

const types = new PostgresTypeMapper();

describe('PostgresTypeMapper.columnType', () => {
  it('spells every portable type', () => {
    const cases: [ColumnSpec, string][] = [
      [{ type: 'string' }, 'varchar(255)'], [{ type: 'string', length: 40 }, 'varchar(40)'], [{ type: 'text' }, 'text'],
      [{ type: 'integer' }, 'integer'], [{ type: 'bigint' }, 'bigint'], [{ type: 'smallint' }, 'smallint'], [{ type: 'boolean' }, 'boolean'],
      [{ type: 'decimal' }, 'numeric(10,0)'], [{ type: 'decimal', precision: 12, scale: 2 }, 'numeric(12,2)'],
      [{ type: 'float' }, 'real'], [{ type: 'double' }, 'double precision'], [{ type: 'date' }, 'date'],
      [{ type: 'timestamp' }, 'timestamp'], [{ type: 'timestamp', withTimezone: true }, 'timestamptz'],
      [{ type: 'json' }, 'jsonb'], [{ type: 'uuid' }, 'uuid'], [{ type: 'binary' }, 'bytea'], [{ type: 'binary', length: 16 }, 'bytea'],
      [{ type: 'integer', primaryKey: true, autoIncrement: true }, 'integer'], [{ sqlType: ' CITEXT ' }, 'CITEXT'],
    ];
    for (const [spec, expected] of cases) assert.equal(types.columnType(spec), expected, JSON.stringify(spec));
  });

  it('refuses impossible specs before any SQL', () => {
    assert.throws(() => types.columnType({ type: 'text', autoIncrement: true }), (e: unknown) => e instanceof IdemError && e.code === 'OPERATION_INVALID');
    assert.throws(() => types.columnType({ type: 'decimal', precision: 2, scale: 3 }), (e: unknown) => e instanceof IdemError && e.code === 'OPERATION_INVALID');
  });
});

describe('PostgresTypeMapper.parseType', () => {
  it('reads format_type() spellings and the aliases of DDL alike', () => {
    const cases: [string, ColumnTypeInfo][] = [
      ['character varying(255)', { type: 'string', length: 255, raw: 'varchar(255)' }],
      ['VARCHAR(255)', { type: 'string', length: 255, raw: 'varchar(255)' }],
      ['character varying', { type: 'string', raw: 'varchar' }],
      ['character(3)', { type: 'string', length: 3, raw: 'char(3)' }],
      ['char', { type: 'string', length: 1, raw: 'char(1)' }],
      ['bpchar', { type: 'string', raw: 'bpchar' }],
      ['integer', { type: 'integer', raw: 'integer' }], ['int4', { type: 'integer', raw: 'integer' }], ['serial', { type: 'integer', raw: 'integer' }],
      ['int8', { type: 'bigint', raw: 'bigint' }], ['bigserial', { type: 'bigint', raw: 'bigint' }], ['int2', { type: 'smallint', raw: 'smallint' }],
      ['bool', { type: 'boolean', raw: 'boolean' }],
      ['numeric(10,2)', { type: 'decimal', precision: 10, scale: 2, raw: 'numeric(10,2)' }],
      ['decimal(12, 3)', { type: 'decimal', precision: 12, scale: 3, raw: 'numeric(12,3)' }],
      ['numeric(7)', { type: 'decimal', precision: 7, scale: 0, raw: 'numeric(7,0)' }],
      ['numeric', { type: 'decimal', raw: 'numeric' }],
      ['real', { type: 'float', raw: 'real' }], ['float4', { type: 'float', raw: 'real' }], ['float(24)', { type: 'float', raw: 'real' }],
      ['double precision', { type: 'double', raw: 'double precision' }], ['float8', { type: 'double', raw: 'double precision' }],
      ['float', { type: 'double', raw: 'double precision' }], ['float(53)', { type: 'double', raw: 'double precision' }],
      ['date', { type: 'date', raw: 'date' }],
      ['timestamp without time zone', { type: 'timestamp', withTimezone: false, precision: 6, raw: 'timestamp' }],
      ['timestamp(0) without time zone', { type: 'timestamp', withTimezone: false, precision: 0, raw: 'timestamp(0)' }],
      ['timestamp with time zone', { type: 'timestamp', withTimezone: true, precision: 6, raw: 'timestamptz' }],
      ['timestamp(3) with time zone', { type: 'timestamp', withTimezone: true, precision: 3, raw: 'timestamptz(3)' }],
      ['timestamptz(3)', { type: 'timestamp', withTimezone: true, precision: 3, raw: 'timestamptz(3)' }],
      ['jsonb', { type: 'json', raw: 'jsonb' }], ['json', { type: 'json', raw: 'json' }],
      ['uuid', { type: 'uuid', raw: 'uuid' }], ['bytea', { type: 'binary', raw: 'bytea' }],
      ['integer[]', { type: null, raw: 'integer[]' }], ['int[]', { type: null, raw: 'integer[]' }],
      ['character varying(10)[]', { type: null, raw: 'varchar(10)[]' }], ['text[][]', { type: null, raw: 'text[]' }],
      ['interval', { type: null, raw: 'interval' }], ['time without time zone', { type: null, raw: 'time without time zone' }],
      ['"Mood"', { type: null, raw: '"mood"' }],
    ];
    for (const [raw, expected] of cases) assert.deepEqual(types.parseType(raw), expected, raw);
  });

  it('declaredType equals what the catalog reports for the column DDL creates', () => {
    assert.deepEqual(types.declaredType({ type: 'string', length: 100 }), types.parseType('character varying(100)'));
    assert.deepEqual(types.declaredType({ type: 'timestamp', withTimezone: true }), types.parseType('timestamp with time zone'));
    assert.deepEqual(types.declaredType({ type: 'decimal' }), types.parseType('numeric(10,0)'));
    assert.deepEqual(types.declaredType({ sqlType: 'int[]' }), types.parseType('integer[]'));
  });
});

describe('PostgresTypeMapper defaults', () => {
  const norm = (sql: string | null) => types.normalizeDefault(sql);

  it('writes values for the column type, escaped', () => {
    const cases: [ColumnSpec['default'], ColumnSpec, string][] = [
      ["it's", { type: 'string' }, "'it''s'"], [5, { type: 'string' }, "'5'"], [true, { type: 'text' }, "'true'"],
      [-1, { type: 'integer' }, '-1'], ['7', { type: 'integer' }, '7'], [1e21, { type: 'double' }, '1000000000000000000000'],
      [true, { type: 'boolean' }, 'TRUE'], [0, { type: 'boolean' }, 'FALSE'], ['off', { type: 'boolean' }, 'FALSE'], [false, { type: 'smallint' }, '0'],
      ['2020-01-01', { type: 'date' }, "'2020-01-01'::date"], ['2020-01-01', { type: 'timestamp', withTimezone: true }, "'2020-01-01'::timestamptz"],
      ['{}', { type: 'json' }, "'{}'::jsonb"], [5, { type: 'json' }, "'5'::jsonb"],
      [null, { type: 'string' }, 'NULL'], [{ sql: 'now()' }, { type: 'timestamp' }, 'now()'], [{ sql: 'CURRENT_TIMESTAMP' }, { type: 'timestamp' }, 'CURRENT_TIMESTAMP'],
      [{ sql: "x IS NULL" }, { type: 'boolean' }, '(x IS NULL)'], [{ sql: '(1 + 2)' }, { type: 'integer' }, '(1 + 2)'],
    ];
    for (const [value, spec, expected] of cases) assert.equal(types.defaultSql(value!, spec), expected, JSON.stringify([value, spec]));
    assert.throws(() => types.defaultSql(Number.NaN, { type: 'double' }), (e: unknown) => e instanceof IdemError && e.code === 'OPERATION_INVALID');
    assert.throws(() => types.defaultSql({ sql: ' ' }, { type: 'text' }), (e: unknown) => e instanceof IdemError && e.code === 'OPERATION_INVALID');
  });

  it('strips the casts, quotes and parentheses PostgreSQL adds', () => {
    const same: [string, string][] = [
      ["'user'::character varying", "'user'"],
      ["'-1'::integer", '-1'],
      ["'9007199254740993'::bigint", '9007199254740993'],
      ["'-2.5'::numeric", '-2.5'],
      ['1.50', '1.5'],
      ['0.00', '0'],
      ['(1 + (2 * 3))', '1 + 2 * 3'],
      ["lower('X'::text)", "lower('X')"],
      ['CURRENT_TIMESTAMP', 'now()'],
      ['true', 'TRUE'],
      ["'2020-01-01 00:00:00'::timestamp without time zone", "'2020-1-1'::timestamp"],
      ["'2020-01-01'::date", "date '2020-1-1'"],
      ["'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid", "'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11'::uuid"],
      [`'{"a": [1, 2], "b": 1}'::jsonb`, `'{"b":1,"a":[1,2]}'::jsonb`],
      ["'t'::boolean", 'true'],
      ["E'it\\'s'", "'it''s'"],
      ["'x'::text::character varying(20)", "'x'"],
      ["CASE WHEN (x > 1) THEN 'a'::text ELSE 'b'::text END", "case when x > 1 then 'a' else 'b' end"],
    ];
    for (const [catalog, declared] of same) assert.equal(norm(catalog), norm(declared), `${catalog} ~ ${declared}`);
    assert.equal(norm("nextval('users_id_seq'::regclass)"), "nextval('users_id_seq')");
  });

  it('keeps what differs apart', () => {
    const different: [string, string][] = [
      ["'1'::character varying", '1'],
      ["'user'", "'User'"],
      ['now()', "'now'"],
      ['1', '10'],
      ['10', '1.0'],
    ];
    for (const [a, b] of different) assert.notEqual(norm(a), norm(b), `${a} vs ${b}`);
  });

  it('reads NULL defaults as no default', () => {
    assert.equal(norm(null), null);
    assert.equal(norm('NULL::character varying'), null);
    assert.equal(norm('NULL'), null);
  });
});
