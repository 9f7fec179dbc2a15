/**
 * `unsigned` and timestamp `precision` per dialect, without a database: how
 * each engine spells them, what it refuses, and how a declared column
 * compares with the spellings ORMs and engines leave in the catalog.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareColumn, describeDeclaredType, sameType } from '../../src/catalog/compare-shape.ts';
import type { CatalogColumn, CatalogTable } from '../../src/catalog/snapshot.ts';
import type { TypeMapper } from '../../src/dialect/dialect.ts';
import { mysqlConnectionOptions } from '../../src/dialect/mysql/mysql-driver.ts';
import { MysqlTypeMapper } from '../../src/dialect/mysql/mysql-types.ts';
import { PostgresTypeMapper } from '../../src/dialect/postgres/postgres-types.ts';
import { SqliteTypeMapper } from '../../src/dialect/sqlite/sqlite-types.ts';
import { IdemError } from '../../src/errors.ts';
import type { ColumnSpec } from '../../src/plan/column-spec.ts';
import { validateColumnSpec } from '../../src/plan/validate-column.ts';

const sqlite = new SqliteTypeMapper();
const postgres = new PostgresTypeMapper();
const mysql = new MysqlTypeMapper('mysql');
const mariadb = new MysqlTypeMapper('mariadb');

function invalid(pattern: RegExp, hint?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof IdemError, 'an IdemError');
    assert.equal(e.code, 'OPERATION_INVALID');
    assert.match(e.message, pattern);
    if (hint !== undefined) assert.match(e.hint ?? '', hint);
    return true;
  };
}

/** Does a column declared `spec` hold over one the catalog spells `raw`? */
function holds(types: TypeMapper, spec: ColumnSpec, raw: string): boolean {
  return sameType(types.declaredType(spec), types.parseType(raw), types);
}

describe('unsigned and timestamp precision: validation', () => {
  it('accepts them where they mean something', () => {
    for (const spec of [
      { type: 'integer', unsigned: true }, { type: 'bigint', unsigned: false }, { type: 'smallint', unsigned: true },
      { type: 'timestamp', precision: 0 }, { type: 'timestamp', precision: 6, withTimezone: true },
    ] as ColumnSpec[]) assert.doesNotThrow(() => validateColumnSpec('c', spec), JSON.stringify(spec));
  });

  it('refuses them elsewhere, naming the column and the fix', () => {
    assert.throws(() => validateColumnSpec('c', { type: 'string', unsigned: true }), invalid(/^column "c": unsigned is only valid for integer, bigint and smallint columns, not string/, /remove unsigned/));
    assert.throws(() => validateColumnSpec('c', { type: 'decimal', unsigned: true }), invalid(/unsigned is only valid for integer/));
    assert.throws(() => validateColumnSpec('c', { type: 'integer', unsigned: 'yes' as never }), invalid(/unsigned must be true or false, got "yes"/));
    assert.throws(() => validateColumnSpec('c', { sqlType: 'int', unsigned: true }), invalid(/unsigned has no effect with sqlType alone/, /int unsigned/));
    assert.throws(() => validateColumnSpec('c', { type: 'timestamp', precision: 7 }), invalid(/timestamp precision must be a whole number from 0 to 6, got 7/, /milliseconds/));
    assert.throws(() => validateColumnSpec('c', { type: 'timestamp', precision: -1 }), invalid(/from 0 to 6, got -1/));
    assert.throws(() => validateColumnSpec('c', { type: 'timestamp', precision: 2.5 }), invalid(/from 0 to 6, got 2.5/));
    assert.throws(() => validateColumnSpec('c', { type: 'timestamp', scale: 2 }), invalid(/scale is only valid for decimal columns, not timestamp/));
    assert.throws(() => validateColumnSpec('c', { type: 'date', precision: 3 }), invalid(/only valid for decimal and timestamp columns, not date/));
  });

  it('PostgreSQL and SQLite refuse unsigned: they have no unsigned integers', () => {
    assert.throws(() => postgres.columnType({ type: 'integer', unsigned: true }), invalid(/unsigned integers do not exist in PostgreSQL/, /wider signed type .*CHECK/));
    assert.throws(() => sqlite.columnType({ type: 'bigint', unsigned: true }), invalid(/unsigned integers do not exist in SQLite/));
    assert.throws(() => postgres.declaredType({ type: 'integer', unsigned: true }), invalid(/PostgreSQL/), 'compared, too: a skipped createTable is refused alike');
    assert.equal(postgres.columnType({ type: 'integer', unsigned: false }), 'integer');
    assert.equal(sqlite.columnType({ type: 'integer', unsigned: false }), 'integer');
  });
});

describe('unsigned and timestamp precision: spelled per engine', () => {
  const cases: Array<[ColumnSpec, string, string, string]> = [
    // spec, SQLite, PostgreSQL, MySQL
    [{ type: 'timestamp', precision: 3 }, 'timestamp(3)', 'timestamp(3)', 'datetime(3)'],
    [{ type: 'timestamp', precision: 0 }, 'timestamp(0)', 'timestamp(0)', 'datetime'],
    [{ type: 'timestamp', precision: 6 }, 'timestamp(6)', 'timestamp', 'datetime(6)'],
    [{ type: 'timestamp', withTimezone: true, precision: 3 }, 'timestamptz(3)', 'timestamptz(3)', 'timestamp(3)'],
  ];
  for (const [spec, s, p, m] of cases) {
    it(JSON.stringify(spec), () => {
      assert.deepEqual([sqlite.columnType(spec), postgres.columnType(spec), mysql.columnType(spec)], [s, p, m]);
    });
  }

  it('MySQL and MariaDB write unsigned integers', () => {
    assert.equal(mysql.columnType({ type: 'integer', unsigned: true }), 'int unsigned');
    assert.equal(mysql.columnType({ type: 'bigint', unsigned: true }), 'bigint unsigned');
    assert.equal(mariadb.columnType({ type: 'smallint', unsigned: true }), 'smallint unsigned');
    assert.equal(mysql.columnType({ type: 'integer', unsigned: false }), 'int');
  });

  it('MySQL gives CURRENT_TIMESTAMP the column precision, which the server requires', () => {
    assert.equal(mysql.defaultSql({ sql: 'CURRENT_TIMESTAMP' }, { type: 'timestamp', precision: 3 }), 'CURRENT_TIMESTAMP(3)');
    assert.equal(mysql.defaultSql({ sql: 'now()' }, { type: 'timestamp', precision: 6 }), 'now(6)');
    assert.equal(mysql.defaultSql({ sql: 'CURRENT_TIMESTAMP(3)' }, { type: 'timestamp', precision: 3 }), 'CURRENT_TIMESTAMP(3)');
    assert.equal(mysql.defaultSql({ sql: 'CURRENT_TIMESTAMP' }, { type: 'timestamp' }), 'CURRENT_TIMESTAMP');
  });
});

describe('declared against the spellings in the catalog', () => {
  it('MySQL/MariaDB: display widths and aliases are equal, sign and precision are not', () => {
    for (const types of [mysql, mariadb]) {
      assert.ok(holds(types, { type: 'boolean' }, 'tinyint(4)'), 'TypeORM boolean on MariaDB');
      assert.ok(holds(types, { type: 'boolean' }, 'tinyint'), 'TypeORM boolean on MySQL 8');
      assert.ok(holds(types, { type: 'integer', unsigned: true }, 'int(10) unsigned'));
      assert.ok(holds(types, { sqlType: 'int8' }, 'bigint(20)'));
      assert.ok(holds(types, { sqlType: 'INTEGER UNSIGNED' }, 'int(10) unsigned'));
      assert.ok(holds(types, { type: 'timestamp', precision: 6 }, 'datetime(6)'));
      assert.ok(holds(types, { type: 'timestamp', precision: 0 }, 'datetime'));
      assert.ok(!holds(types, { type: 'integer' }, 'int(10) unsigned'));
      assert.ok(!holds(types, { type: 'bigint' }, 'bigint(20) unsigned'));
      assert.ok(!holds(types, { type: 'integer', unsigned: true }, 'int(11)'));
      assert.ok(!holds(types, { sqlType: 'int unsigned' }, 'int(11)'));
      assert.ok(!holds(types, { type: 'timestamp' }, 'datetime(6)'));
      assert.ok(!holds(types, { sqlType: 'datetime(6)' }, 'datetime'));
      assert.ok(!holds(types, { type: 'smallint' }, 'tinyint(4)'));
    }
  });

  it('PostgreSQL: timestamp is timestamp(6); other precisions differ', () => {
    assert.ok(holds(postgres, { type: 'timestamp' }, 'timestamp(6) without time zone'));
    assert.ok(holds(postgres, { type: 'timestamp', precision: 6 }, 'timestamp without time zone'));
    assert.ok(holds(postgres, { type: 'timestamp', withTimezone: true, precision: 3 }, 'timestamp(3) with time zone'));
    assert.ok(!holds(postgres, { type: 'timestamp' }, 'timestamp(3) without time zone'));
    assert.ok(!holds(postgres, { type: 'timestamp', precision: 0 }, 'timestamp without time zone'));
    assert.ok(holds(postgres, { sqlType: 'int8' }, 'bigint'));
  });

  it('SQLite: a boolean is any integer column; a precision counts where both sides write one', () => {
    assert.ok(holds(sqlite, { type: 'boolean' }, 'TINYINT(1)'));
    assert.ok(holds(sqlite, { type: 'boolean' }, 'integer'));
    assert.ok(holds(sqlite, { type: 'boolean' }, 'boolean'));
    assert.ok(!holds(sqlite, { type: 'boolean' }, 'bigint'));
    assert.ok(!holds(sqlite, { type: 'boolean' }, 'text'));
    assert.ok(!holds(sqlite, { type: 'integer' }, 'bigint'), 'only a boolean is stored alike');
    assert.ok(holds(sqlite, { type: 'timestamp' }, 'datetime(6)'));
    assert.ok(holds(sqlite, { type: 'timestamp', precision: 3 }, 'datetime'));
    assert.ok(!holds(sqlite, { type: 'timestamp', precision: 3 }, 'datetime(6)'));
  });

  it("SQLite: a quoted number default in a numeric column is that number (Knex's boolean DEFAULT '1')", () => {
    const boolean = sqlite.parseType('boolean');
    assert.equal(sqlite.normalizeDefault("'1'", boolean), sqlite.normalizeDefault(sqlite.defaultSql(true, { type: 'boolean' }), boolean));
    assert.equal(sqlite.normalizeDefault("'1.5'", sqlite.parseType('decimal(4,1)')), '1.5');
    assert.equal(sqlite.normalizeDefault("'1'", sqlite.parseType('varchar(5)')), "'1'", 'text affinity keeps the text');
    assert.equal(sqlite.normalizeDefault("'yes'", boolean), "'yes'");
    assert.equal(sqlite.normalizeDefault("'1'"), "'1'", 'no type: as written');
  });
});

describe('the declared type in a drift line', () => {
  const column = (raw: string, types: TypeMapper): CatalogColumn => ({ name: 'v', type: types.parseType(raw), nullable: true, default: null, autoIncrement: false });
  const table = (c: CatalogColumn): CatalogTable => ({ name: 't', columns: [c], primaryKey: [], indexes: [], foreignKeys: [] });
  const drift = (types: TypeMapper, spec: ColumnSpec, raw: string) => {
    const actual = column(raw, types);
    return compareColumn(types, 't.v', spec, actual, table(actual), { inPrimaryKey: false });
  };

  it('names the type the migration wrote and the engine spelling where they differ', () => {
    assert.deepEqual(drift(mysql, { type: 'timestamp' }, 'datetime(6)'), [{ object: 't.v', field: 'type', declared: 'timestamp (datetime on MySQL)', actual: 'datetime(6)' }]);
    assert.deepEqual(drift(mariadb, { type: 'integer' }, 'int(10) unsigned'), [{ object: 't.v', field: 'type', declared: 'integer (int on MariaDB)', actual: 'int unsigned' }]);
    assert.deepEqual(drift(postgres, { type: 'string', length: 100 }, 'character varying(50)'),
      [{ object: 't.v', field: 'type', declared: 'string(100) (varchar(100) on PostgreSQL)', actual: 'varchar(50)' }]);
    assert.deepEqual(drift(postgres, { sqlType: 'INT8' }, 'integer'), [{ object: 't.v', field: 'type', declared: 'INT8 (bigint on PostgreSQL)', actual: 'integer' }]);
  });

  it('says the spelling once where the migration wrote the engine word', () => {
    assert.equal(describeDeclaredType(sqlite, { type: 'text' }, sqlite.declaredType({ type: 'text' })), 'text');
    assert.equal(describeDeclaredType(mysql, { type: 'bigint', unsigned: true }, mysql.declaredType({ type: 'bigint', unsigned: true })), 'bigint unsigned');
    assert.equal(describeDeclaredType(postgres, { type: 'timestamp', precision: 3 }, postgres.declaredType({ type: 'timestamp', precision: 3 })), 'timestamp(3)');
    assert.equal(describeDeclaredType(sqlite, { sqlType: 'int  unsigned' }, sqlite.declaredType({ sqlType: 'int  unsigned' })), 'int unsigned');
  });
});

describe('mysqlConnectionOptions', () => {
  it('asks for utf8mb4 whatever the driver would default to', () => {
    assert.equal(mysqlConnectionOptions('mysql://u@h/db').charset, 'UTF8MB4_UNICODE_CI');
  });
});
