/**
 * Columns as ORMs and engines really spell them, built with raw SQL the way
 * each ORM writes it, then declared with idem's portable types: createTable
 * and addColumn over them are skipped with no drift. Each real difference
 * (length, nullability, signedness, precision, default) is drift with both
 * shapes, the declared one named as the migration wrote it, and exit 3 under
 * --strict. `unsigned` and timestamp `precision` are created, read back and
 * adopted; an engine without unsigned integers refuses them, changing nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engines, type Engine } from '../engines.ts';
import { autoIncrementKey } from '../support/engine-sql.ts';
import type { TestProject } from '../support/project.ts';
import { adoptAgain, catalogTable, errorOf, opDetails, opEvent, upOk, withProject } from '../support/scenario.ts';

interface Case {
  what: string;
  /** The column `v` as the ORM's DDL writes it. */
  column: string;
  /** The same column in idem's terms. */
  spec: string;
}

interface DriftCase extends Case {
  differences: unknown[];
}

const SAME: Record<Engine['name'], Case[]> = {
  sqlite: [
    { what: 'a boolean as TINYINT(1) (Sequelize)', column: 'v TINYINT(1) NOT NULL DEFAULT 1', spec: `{ type: 'boolean', nullable: false, default: true }` },
    { what: "a boolean with DEFAULT '1' (Knex)", column: `v boolean DEFAULT '1'`, spec: `{ type: 'boolean', default: true }` },
    { what: 'a boolean as integer (MikroORM, Drizzle)', column: 'v integer NOT NULL DEFAULT false', spec: `{ type: 'boolean', nullable: false, default: false }` },
    { what: 'a timestamp as datetime (TypeORM)', column: 'v datetime', spec: `{ type: 'timestamp' }` },
    { what: 'a timestamp with fractional seconds', column: 'v timestamp(3)', spec: `{ type: 'timestamp', precision: 3 }` },
    { what: 'a sqlType alias (int8 for bigint)', column: 'v bigint', spec: `{ sqlType: 'int8' }` },
  ],
  postgres: [
    { what: 'a timestamp(6) (TypeORM)', column: 'v timestamp(6)', spec: `{ type: 'timestamp' }` },
    { what: 'a timestamptz(3)', column: 'v timestamptz(3) NOT NULL DEFAULT now()', spec: `{ type: 'timestamp', withTimezone: true, precision: 3, nullable: false, default: { sql: 'now()' } }` },
    { what: 'a sqlType alias (int8 for bigint)', column: 'v bigint', spec: `{ sqlType: 'int8' }` },
    { what: 'a sqlType alias (bigint for int8)', column: 'v int8', spec: `{ sqlType: 'bigint' }` },
  ],
  mariadb: [
    { what: 'a boolean as tinyint(4) (TypeORM)', column: 'v tinyint NOT NULL DEFAULT 1', spec: `{ type: 'boolean', nullable: false, default: true }` },
    { what: 'an int unsigned key column (Knex increments)', column: 'v int unsigned NOT NULL', spec: `{ type: 'integer', unsigned: true, nullable: false }` },
    { what: 'a bigint unsigned (MikroORM)', column: 'v bigint unsigned', spec: `{ type: 'bigint', unsigned: true }` },
    {
      what: 'a datetime(6) with CURRENT_TIMESTAMP(6) (TypeORM)', column: 'v datetime(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)',
      spec: `{ type: 'timestamp', precision: 6, nullable: false, default: { sql: 'CURRENT_TIMESTAMP' } }`,
    },
    { what: 'a sqlType alias (int8 for bigint)', column: 'v bigint', spec: `{ sqlType: 'int8' }` },
    { what: 'a sqlType with the sign', column: 'v int(10) unsigned', spec: `{ sqlType: 'int unsigned' }` },
    { what: 'a default with an emoji', column: `v varchar(20) DEFAULT 'a😀b'`, spec: `{ type: 'string', length: 20, default: 'a😀b' }` },
    { what: 'a text default with an emoji', column: `v text DEFAULT 'x😀'`, spec: `{ type: 'text', default: 'x😀' }` },
  ],
};

const DRIFT: Record<Engine['name'], DriftCase[]> = {
  sqlite: [
    {
      what: 'another length', column: 'v varchar(50)', spec: `{ type: 'string', length: 100 }`,
      differences: [{ object: 't.v', field: 'type', declared: 'string(100) (varchar(100) on SQLite)', actual: 'varchar(50)' }],
    },
    {
      what: 'another nullability', column: 'v TINYINT(1)', spec: `{ type: 'boolean', nullable: false, default: false }`,
      differences: [
        { object: 't.v', field: 'nullable', declared: false, actual: true },
        { object: 't.v', field: 'default', declared: '0', actual: null },
      ],
    },
    {
      what: 'another precision', column: 'v datetime(6)', spec: `{ type: 'timestamp', precision: 3 }`,
      differences: [{ object: 't.v', field: 'type', declared: 'timestamp(3)', actual: 'datetime(6)' }],
    },
    {
      what: 'another default', column: `v boolean DEFAULT '1'`, spec: `{ type: 'boolean', default: false }`,
      differences: [{ object: 't.v', field: 'default', declared: '0', actual: '1' }],
    },
  ],
  postgres: [
    {
      what: 'another length', column: 'v varchar(50)', spec: `{ type: 'string', length: 100 }`,
      differences: [{ object: 't.v', field: 'type', declared: 'string(100) (varchar(100) on PostgreSQL)', actual: 'varchar(50)' }],
    },
    {
      what: 'another nullability', column: 'v boolean', spec: `{ type: 'boolean', nullable: false }`,
      differences: [{ object: 't.v', field: 'nullable', declared: false, actual: true }],
    },
    {
      what: 'another precision', column: 'v timestamp(3)', spec: `{ type: 'timestamp' }`,
      differences: [{ object: 't.v', field: 'type', declared: 'timestamp', actual: 'timestamp(3)' }],
    },
    {
      what: 'another default', column: 'v boolean DEFAULT true', spec: `{ type: 'boolean', default: false }`,
      differences: [{ object: 't.v', field: 'default', declared: 'false', actual: 'true' }],
    },
  ],
  mariadb: [
    {
      what: 'another length', column: 'v varchar(50)', spec: `{ type: 'string', length: 100 }`,
      differences: [{ object: 't.v', field: 'type', declared: 'string(100) (varchar(100) on MariaDB)', actual: 'varchar(50)' }],
    },
    {
      what: 'another nullability', column: 'v tinyint', spec: `{ type: 'boolean', nullable: false }`,
      differences: [{ object: 't.v', field: 'nullable', declared: false, actual: true }],
    },
    {
      what: 'another signedness (int unsigned)', column: 'v int unsigned', spec: `{ type: 'integer' }`,
      differences: [{ object: 't.v', field: 'type', declared: 'integer (int on MariaDB)', actual: 'int unsigned' }],
    },
    {
      what: 'another signedness (bigint unsigned)', column: 'v bigint unsigned', spec: `{ type: 'bigint' }`,
      differences: [{ object: 't.v', field: 'type', declared: 'bigint', actual: 'bigint unsigned' }],
    },
    {
      what: 'another signedness, declared as sqlType', column: 'v int', spec: `{ sqlType: 'int unsigned' }`,
      differences: [{ object: 't.v', field: 'type', declared: 'int unsigned', actual: 'int' }],
    },
    {
      what: 'another precision (datetime(6), TypeORM)', column: 'v datetime(6)', spec: `{ type: 'timestamp' }`,
      differences: [{ object: 't.v', field: 'type', declared: 'timestamp (datetime on MariaDB)', actual: 'datetime(6)' }],
    },
    {
      what: 'another precision, declared as sqlType', column: 'v datetime', spec: `{ sqlType: 'datetime(6)' }`,
      differences: [{ object: 't.v', field: 'type', declared: 'datetime(6)', actual: 'datetime' }],
    },
    {
      what: 'another default', column: 'v tinyint DEFAULT 1', spec: `{ type: 'boolean', default: false }`,
      differences: [{ object: 't.v', field: 'default', declared: '0', actual: '1' }],
    },
    {
      what: 'another emoji in the default', column: `v varchar(20) DEFAULT 'a😀b'`, spec: `{ type: 'string', length: 20, default: 'a😁b' }`,
      differences: [{ object: 't.v', field: 'default', declared: `'a😁b'`, actual: `'a😀b'` }],
    },
  ],
};

/** The table `t` as the ORM made it: a key and the column under test. */
async function ormTable(p: TestProject, engine: Engine, column: string): Promise<void> {
  await p.exec(`CREATE TABLE t (id ${autoIncrementKey(engine)}, ${column})`);
}

const createT = (spec: string) => `await m.createTable('t', { id: { type: 'integer', primaryKey: true, autoIncrement: true }, v: ${spec} });`;

for (const engine of engines) {
  describe(`${engine.name}: types and defaults as ORMs write them`, () => {
    for (const c of SAME[engine.name]) {
      test(`${engine.name}: ${c.what} is the declared column: createTable and addColumn skip it`, () => withProject(engine, async (p) => {
        await ormTable(p, engine, c.column);
        await p.write({ revision: 'r1', up: createT(c.spec) });
        await p.write({ revision: 'r2', revises: 'r1', up: `await m.addColumn('t', 'v', ${c.spec});` });
        const before = await p.fingerprint();
        const run = await upOk(p, '--strict');
        assert.deepEqual(opDetails(run), ['skipped createTable t — exists', 'skipped addColumn t.v — exists']);
        assert.equal(await p.fingerprint(), before);
      }));
    }

    for (const c of DRIFT[engine.name]) {
      test(`${engine.name}: ${c.what} is drift with both shapes, exit 3 under --strict`, () => withProject(engine, async (p) => {
        await ormTable(p, engine, c.column);
        await p.write({ revision: 'r1', up: createT(c.spec) });
        const strict = await p.cli(['--json', 'up', '--strict']);
        assert.equal(strict.code, 3, strict.stdout + strict.stderr);
        assert.equal(errorOf(strict).code, 'DRIFT');
        assert.deepEqual(await p.recorded(), []);
        const created = opEvent(await upOk(p), 'createTable', 't');
        assert.equal(created.outcome, 'drift');
        assert.deepEqual(created.differences, c.differences);
        await p.write({ revision: 'r2', revises: 'r1', up: `await m.addColumn('t', 'v', ${c.spec});` });
        const added = opEvent(await upOk(p), 'addColumn', 't.v');
        assert.equal(added.outcome, 'drift');
        assert.deepEqual(added.differences, c.differences);
      }));
    }

    test(`${engine.name}: timestamp precision is created, read back and adopted`, () => withProject(engine, async (p) => {
      await p.write({
        revision: 'r1',
        up: `await m.createTable('t', {
          id: { type: 'integer', primaryKey: true },
          at: { type: 'timestamp', precision: 3, nullable: false, default: { sql: 'CURRENT_TIMESTAMP' } },
          zoned: { type: 'timestamp', withTimezone: true, precision: 0 },
        });`,
      });
      await upOk(p, '--strict');
      const table = (await catalogTable(p, 't'))!;
      const raw = (name: string) => table.columns.find((c) => c.name === name)!.type.raw;
      assert.deepEqual([raw('at'), raw('zoned')], {
        sqlite: ['timestamp(3)', 'timestamptz(0)'],
        postgres: ['timestamp(3)', 'timestamptz(0)'],
        mariadb: ['datetime(3)', 'timestamp'],
      }[engine.name]);
      await adoptAgain(p);
    }));

    if (engine.name === 'mariadb') {
      test(`${engine.name}: unsigned integers are created, read back and adopted; alterColumn changes the sign`, () => withProject(engine, async (p) => {
        await p.write({
          revision: 'r1',
          up: `await m.createTable('t', {
            id: { type: 'bigint', unsigned: true, primaryKey: true, autoIncrement: true },
            n: { type: 'integer', unsigned: true },
            s: { type: 'smallint', unsigned: true, nullable: false, default: 0 },
          });`,
        });
        await upOk(p, '--strict');
        const raw = async (name: string) => (await catalogTable(p, 't'))!.columns.find((c) => c.name === name)!.type.raw;
        assert.deepEqual([await raw('id'), await raw('n'), await raw('s')], ['bigint unsigned', 'int unsigned', 'smallint unsigned']);
        await adoptAgain(p);
        await p.write({ revision: 'r2', revises: 'r1', up: `await m.alterColumn('t', 'n', { unsigned: false });` });
        const run = await upOk(p, '--strict');
        assert.deepEqual(opDetails(run), ['applied alterColumn t.n — type int unsigned -> integer (int on MariaDB)']);
        assert.equal(await raw('n'), 'int');
        await adoptAgain(p);
      }));
    } else {
      test(`${engine.name}: unsigned is refused, nothing changed: ${engine.name} has no unsigned integers`, () => withProject(engine, async (p) => {
        await p.write({
          revision: 'r1',
          up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true }, n: { type: 'integer', unsigned: true } });`,
        });
        const before = await p.fingerprint();
        const run = await p.cli(['--json', 'up']);
        // Found by the check before the run: exit 2, nothing sent.
        assert.equal(run.code, 2, run.stdout + run.stderr);
        const error = errorOf(run);
        assert.equal(error.code, 'VALIDATION_FAILED');
        const problems = JSON.stringify(error.problems ?? error);
        assert.match(problems, new RegExp(`unsigned integers do not exist on ${engine.name === 'sqlite' ? 'SQLite' : 'PostgreSQL'}`));
        assert.match(problems, /remove unsigned, or declare a wider signed type/);
        assert.equal(await p.fingerprint(), before);
        assert.deepEqual(await p.recorded(), []);
      }));
    }
  });
}
