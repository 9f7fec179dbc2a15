import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdemError } from '../../src/errors.ts';
import { SqliteTypeMapper } from '../../src/dialect/sqlite/sqlite-types.ts';
import type { ColumnSpec } from '../../src/plan/column-spec.ts';
import { validateColumnSpec } from '../../src/plan/validate-column.ts';

const types = new SqliteTypeMapper();

function invalid(pattern: RegExp, hint?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof IdemError, 'an IdemError');
    assert.equal(e.code, 'OPERATION_INVALID');
    assert.match(e.message, pattern);
    if (hint !== undefined) assert.match(e.hint ?? '', hint);
    return true;
  };
}

describe('SqliteTypeMapper.columnType', () => {
  it('spells every portable type', () => {
    const cases: [ColumnSpec, string][] = [
      [{ type: 'string' }, 'varchar(255)'],
      [{ type: 'string', length: 40 }, 'varchar(40)'],
      [{ type: 'text' }, 'text'],
      [{ type: 'integer' }, 'integer'],
      [{ type: 'bigint' }, 'bigint'],
      [{ type: 'smallint' }, 'smallint'],
      [{ type: 'boolean' }, 'boolean'],
      [{ type: 'decimal' }, 'decimal(10,0)'],
      [{ type: 'decimal', precision: 12, scale: 2 }, 'decimal(12,2)'],
      [{ type: 'float' }, 'float'],
      [{ type: 'double' }, 'double'],
      [{ type: 'date' }, 'date'],
      [{ type: 'timestamp' }, 'timestamp'],
      [{ type: 'timestamp', withTimezone: true }, 'timestamptz'],
      [{ type: 'json' }, 'json'],
      [{ type: 'uuid' }, 'uuid'],
      [{ type: 'binary' }, 'blob'],
      [{ type: 'binary', length: 16 }, 'blob'],
    ];
    for (const [spec, expected] of cases) assert.equal(types.columnType(spec), expected, JSON.stringify(spec));
  });

  it('makes an auto-incrementing integer primary key exactly integer (the rowid alias)', () => {
    assert.equal(types.columnType({ type: 'bigint', primaryKey: true, autoIncrement: true }), 'integer');
    assert.equal(types.columnType({ type: 'smallint', primaryKey: true, autoIncrement: true }), 'integer');
    assert.equal(types.columnType({ type: 'bigint', primaryKey: true }), 'bigint');
  });

  it('lets sqlType win', () => {
    assert.equal(types.columnType({ type: 'string', sqlType: ' char(2) ' }), 'char(2)');
    assert.equal(types.columnType({ sqlType: 'INT8' }), 'INT8');
  });

  it('rejects impossible specs with a message and a hint', () => {
    assert.throws(() => types.columnType({}), invalid(/neither type nor sqlType/, /string, text, integer/));
    assert.throws(() => types.columnType({ type: 'varchar' as never }), invalid(/unknown type "varchar"/, /string, text.*binary/));
    assert.throws(() => types.columnType({ type: 'integer', length: 10 }), invalid(/length is only valid for string and binary/));
    assert.throws(() => types.columnType({ type: 'string', length: 0 }), invalid(/positive integer, got 0/));
    assert.throws(() => types.columnType({ type: 'string', length: 2.5 }), invalid(/positive integer, got 2.5/));
    assert.throws(() => types.columnType({ type: 'float', precision: 5 }), invalid(/only valid for decimal and timestamp columns, not float/));
    assert.throws(() => types.columnType({ type: 'integer', scale: 0 }), invalid(/only valid for decimal/));
    assert.throws(() => types.columnType({ type: 'decimal', precision: 4, scale: 6 }), invalid(/scale 6 is larger than precision 4/));
    assert.throws(() => types.columnType({ type: 'decimal', scale: 12 }), invalid(/scale 12 is larger than precision 10/));
    assert.throws(() => types.columnType({ type: 'string', autoIncrement: true }), invalid(/autoIncrement needs an integer type, not string/, /integer/));
    assert.throws(() => types.columnType({ type: 'string', withTimezone: true }), invalid(/withTimezone is only valid for timestamp/));
    assert.throws(() => types.columnType({ sqlType: 'varchar', length: 4 }), invalid(/length has no effect with sqlType/));
    assert.throws(() => types.columnType({ sqlType: '  ' }), invalid(/sqlType is empty/));
  });

  it('names the column when the caller knows it', () => {
    assert.throws(() => validateColumnSpec('price', { type: 'text', precision: 2 }), invalid(/^column "price": precision and scale/));
    assert.doesNotThrow(() => validateColumnSpec('id', { type: 'bigint', primaryKey: true, autoIncrement: true }));
  });
});

describe('SqliteTypeMapper.parseType', () => {
  it('reads the spellings of SQLite, SQLAlchemy, Knex and hand-written DDL', () => {
    const cases: [string, object][] = [
      ['VARCHAR(50)', { type: 'string', length: 50, raw: 'varchar(50)' }],
      ['character  varying(20)', { type: 'string', length: 20, raw: 'character varying(20)' }],
      ['VARYING CHARACTER(255)', { type: 'string', length: 255, raw: 'varying character(255)' }],
      ['NVARCHAR(100)', { type: 'string', length: 100, raw: 'nvarchar(100)' }],
      ['NATIVE CHARACTER(70)', { type: 'string', length: 70, raw: 'native character(70)' }],
      ['nchar(5)', { type: 'string', length: 5, raw: 'nchar(5)' }],
      ['CHAR', { type: 'string', raw: 'char' }],
      ['character(36)', { type: 'string', length: 36, raw: 'character(36)' }],
      ['CLOB', { type: 'text', raw: 'clob' }],
      ['LONGTEXT', { type: 'text', raw: 'longtext' }],
      ['TEXT', { type: 'text', raw: 'text' }],
      ['INTEGER', { type: 'integer', raw: 'integer' }],
      ['int', { type: 'integer', raw: 'int' }],
      ['INT(11) UNSIGNED', { type: 'integer', raw: 'int(11) unsigned' }],
      ['MEDIUMINT', { type: 'integer', raw: 'mediumint' }],
      ['UNSIGNED BIG INT', { type: 'bigint', raw: 'unsigned big int' }],
      ['INT8', { type: 'bigint', raw: 'int8' }],
      ['TINYINT', { type: 'smallint', raw: 'tinyint' }],
      ['INT2', { type: 'smallint', raw: 'int2' }],
      ['BOOL', { type: 'boolean', raw: 'bool' }],
      ['NUMERIC(10, 2)', { type: 'decimal', precision: 10, scale: 2, raw: 'numeric(10, 2)' }],
      ['DECIMAL(10,5)', { type: 'decimal', precision: 10, scale: 5, raw: 'decimal(10,5)' }],
      ['numeric', { type: 'decimal', raw: 'numeric' }],
      ['REAL', { type: 'float', raw: 'real' }],
      ['DOUBLE PRECISION', { type: 'double', raw: 'double precision' }],
      ['DATE', { type: 'date', raw: 'date' }],
      ['DATETIME', { type: 'timestamp', withTimezone: false, raw: 'datetime' }],
      ['timestamp without time zone', { type: 'timestamp', withTimezone: false, raw: 'timestamp without time zone' }],
      ['TIMESTAMP(3) WITH TIME ZONE', { type: 'timestamp', withTimezone: true, precision: 3, raw: 'timestamp(3) with time zone' }],
      ['datetime(6)', { type: 'timestamp', withTimezone: false, precision: 6, raw: 'datetime(6)' }],
      ['timestamptz', { type: 'timestamp', withTimezone: true, raw: 'timestamptz' }],
      ['JSONB', { type: 'json', raw: 'jsonb' }],
      ['UUID', { type: 'uuid', raw: 'uuid' }],
      ['BLOB', { type: 'binary', raw: 'blob' }],
      ['VARBINARY(16)', { type: 'binary', length: 16, raw: 'varbinary(16)' }],
      ['bytea', { type: 'binary', raw: 'bytea' }],
      ['', { type: null, raw: '' }],
      ['GEOMETRY', { type: null, raw: 'geometry' }],
      ['integer primary', { type: null, raw: 'integer primary' }],
    ];
    for (const [raw, expected] of cases) assert.deepEqual(types.parseType(raw), expected, raw);
  });

  it('round-trips what columnType writes', () => {
    const specs: ColumnSpec[] = [
      { type: 'string', length: 12 }, { type: 'text' }, { type: 'integer' }, { type: 'bigint' }, { type: 'smallint' },
      { type: 'boolean' }, { type: 'decimal', precision: 8, scale: 3 }, { type: 'float' }, { type: 'double' },
      { type: 'date' }, { type: 'timestamp' }, { type: 'timestamp', withTimezone: true }, { type: 'json' },
      { type: 'uuid' }, { type: 'binary' },
    ];
    for (const spec of specs) {
      const info = types.declaredType(spec);
      assert.equal(info.type, spec.type, JSON.stringify(spec));
      assert.deepEqual(types.parseType(info.raw.toUpperCase()), info);
    }
    assert.deepEqual(types.declaredType({ type: 'string' }), { type: 'string', length: 255, raw: 'varchar(255)' });
    assert.deepEqual(types.declaredType({ type: 'decimal' }), { type: 'decimal', precision: 10, scale: 0, raw: 'decimal(10,0)' });
    assert.deepEqual(types.declaredType({ type: 'bigint', primaryKey: true, autoIncrement: true }), { type: 'integer', raw: 'integer' });
  });
});

describe('SqliteTypeMapper defaults', () => {
  it('writes defaults as SQLite DDL accepts them', () => {
    assert.equal(types.defaultSql("it's", { type: 'text' }), "'it''s'");
    assert.equal(types.defaultSql(42, { type: 'integer' }), '42');
    assert.equal(types.defaultSql(-1.5, { type: 'float' }), '-1.5');
    assert.equal(types.defaultSql(true, { type: 'boolean' }), '1');
    assert.equal(types.defaultSql(false, { type: 'boolean' }), '0');
    assert.equal(types.defaultSql(null, { type: 'text' }), 'NULL');
    assert.equal(types.defaultSql({ sql: 'CURRENT_TIMESTAMP' }, { type: 'timestamp' }), 'CURRENT_TIMESTAMP');
    assert.equal(types.defaultSql({ sql: 'current_date' }, { type: 'date' }), 'current_date');
    assert.equal(types.defaultSql({ sql: "strftime('%s','now')" }, { type: 'integer' }), "(strftime('%s','now'))");
    assert.equal(types.defaultSql({ sql: '(1 + 2)' }, { type: 'integer' }), '(1 + 2)');
    assert.equal(types.defaultSql({ sql: '(1) + (2)' }, { type: 'integer' }), '((1) + (2))');
  });

  it('rejects defaults SQLite cannot store', () => {
    assert.throws(() => types.defaultSql(Number.NaN, { type: 'float' }), invalid(/NaN/));
    assert.throws(() => types.defaultSql(Number.POSITIVE_INFINITY, { type: 'float' }), invalid(/Infinity/));
    assert.throws(() => types.defaultSql({ sql: ' ' }, { type: 'text' }), invalid(/empty/));
  });

  it('normalises catalog defaults for comparison', () => {
    assert.equal(types.normalizeDefault(null), null);
    assert.equal(types.normalizeDefault('NULL'), null);
    assert.equal(types.normalizeDefault('(null)'), null);
    assert.equal(types.normalizeDefault("'NULL'"), "'NULL'");
    assert.equal(types.normalizeDefault('((0))'), '0');
    assert.equal(types.normalizeDefault('TRUE'), '1');
    assert.equal(types.normalizeDefault('false'), '0');
    assert.equal(types.normalizeDefault('CURRENT_TIMESTAMP'), 'current_timestamp');
    assert.equal(types.normalizeDefault("'It''s A'"), "'It''s A'");
    assert.equal(types.normalizeDefault("(STRFTIME('%s', 'NOW'))"), "strftime('%s','NOW')");
    assert.equal(types.normalizeDefault('(1) + (2)'), '(1)+(2)');
    assert.equal(types.normalizeDefault('- -1'), '- -1');
    assert.equal(types.normalizeDefault('+1.5'), '1.5');
    assert.equal(types.normalizeDefault('1 + 2'), '1+2');
  });

  it('normalises what defaultSql writes to what SQLite reports', () => {
    // SQLite reports the default text as written, so these pairs must agree.
    const pairs: [Parameters<SqliteTypeMapper['defaultSql']>[0], string][] = [
      ['x', "'x'"], [3, '3'], [true, '1'], [{ sql: 'CURRENT_TIMESTAMP' }, 'CURRENT_TIMESTAMP'],
      [{ sql: "datetime('now')" }, "(datetime('now'))"], [{ sql: "datetime('now')" }, "( DATETIME( 'now' ) )"],
    ];
    for (const [value, reported] of pairs) {
      assert.equal(types.normalizeDefault(types.defaultSql(value, { type: 'text' })), types.normalizeDefault(reported), reported);
    }
  });
});
