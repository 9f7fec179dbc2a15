/**
 * createTable, addColumn and alterColumn on every engine: applied, skipped,
 * drift with both shapes, and the cases an engine cannot do in place (a NOT
 * NULL column on a table with rows, SQLite's table rebuild keeping data,
 * indexes and foreign keys). Each scenario runs twice: the second run, after
 * the version table is emptied (adoption), skips everything and changes nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engines } from '../engines.ts';
import { autoIncrementKey, declaredInteger, declaredString, integerType, pick, rollsBackDdl, violation } from '../support/engine-sql.ts';
import type { TestProject } from '../support/project.ts';
import {
  adoptAgain, appExec, catalogTable, failsCleanly, failsPartway, foreignKeyList, indexList, opDetails, opEvent, tableNames, upOk, withProject,
} from '../support/scenario.ts';

const USERS = `await m.createTable('users', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  email: { type: 'string', length: 100, nullable: false, unique: true },
});`;

const MEMBERSHIPS = `await m.createTable('memberships', {
  user_id: { type: 'integer', nullable: false },
  group_id: { type: 'integer', nullable: false },
  a: { type: 'string', length: 10 },
  b: { type: 'integer' },
  c: { type: 'text' },
}, {
  primaryKey: ['user_id', 'group_id'],
  unique: [{ columns: ['a', 'b'] }],
  indexes: [{ columns: ['c'] }],
  foreignKeys: [{ columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade' }],
});`;

for (const engine of engines) {
  describe(`${engine.name}: createTable`, () => {
    test(`${engine.name}: creates columns, composite primary key, unique columns and constraints, indexes, foreign keys with onDelete`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: `${USERS}\n${MEMBERSHIPS}` });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied createTable users', 'applied createTable memberships']);
      const memberships = (await catalogTable(p, 'memberships'))!;
      assert.deepEqual(memberships.primaryKey, ['user_id', 'group_id']);
      assert.deepEqual(memberships.columns.map((c) => `${c.name} ${c.type.raw}${c.nullable ? '' : ' not null'}`),
        [`user_id ${integerType(engine)} not null`, `group_id ${integerType(engine)} not null`, 'a varchar(10)', `b ${integerType(engine)}`, 'c text']);
      assert.deepEqual(await indexList(p, 'memberships'), ['ix_memberships_c(c)', 'uq_memberships_a_b(a,b) unique']);
      assert.deepEqual(await foreignKeyList(p, 'memberships'), ['fk_memberships_user_id_users(user_id) -> users(id) on delete cascade']);
      assert.deepEqual(await indexList(p, 'users'), ['uq_users_email(email) unique']);
      // The keys hold for the application, not only in the catalog.
      await appExec(p, `INSERT INTO users (email) VALUES ('a@x')`);
      assert.deepEqual(await p.query('SELECT id FROM users'), [{ id: 1 }], 'the key numbers itself');
      await assert.rejects(appExec(p, `INSERT INTO users (email) VALUES ('a@x')`), violation(engine, 'unique'));
      await appExec(p, `INSERT INTO memberships (user_id, group_id, a, b) VALUES (1, 1, 'x', 1)`);
      await assert.rejects(appExec(p, `INSERT INTO memberships (user_id, group_id, a, b) VALUES (1, 2, 'x', 1)`), violation(engine, 'unique'));
      await assert.rejects(appExec(p, `INSERT INTO memberships (user_id, group_id) VALUES (99, 1)`), violation(engine, 'foreignKey'));
      // An explicit id: the failed insert above used up a number of the sequence on PostgreSQL and MariaDB.
      await appExec(p, `INSERT INTO users (id, email) VALUES (2, 'b@x')`);
      await appExec(p, `INSERT INTO memberships (user_id, group_id) VALUES (2, 1)`);
      await appExec(p, 'DELETE FROM users WHERE id = 2');
      assert.deepEqual(await p.query('SELECT user_id FROM memberships'), [{ user_id: 1 }]);
      const again = await adoptAgain(p);
      assert.deepEqual(opDetails(again), ['skipped createTable users — exists', 'skipped createTable memberships — exists']);
    }));

    test(`${engine.name}: tables an init script created in the declared shape, under its own key names, are skipped; nothing is duplicated`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: `${USERS}\n${MEMBERSHIPS}` });
      await p.exec(`CREATE TABLE users (id ${autoIncrementKey(engine)}, email VARCHAR(100) NOT NULL, CONSTRAINT users_email_key UNIQUE (email))`);
      await p.exec(`CREATE TABLE memberships (user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, group_id INTEGER NOT NULL,
        a VARCHAR(10), b INTEGER, c TEXT, PRIMARY KEY (user_id, group_id), UNIQUE (a, b))`);
      await p.exec('CREATE INDEX memberships_c_idx ON memberships (c)');
      await p.exec(`INSERT INTO users (email) VALUES ('a@x')`);
      const before = await p.fingerprint();
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['skipped createTable users — exists', 'skipped createTable memberships — exists']);
      assert.equal(await p.fingerprint(), before);
      await adoptAgain(p);
    }));

    const driftCases: Array<{ what: string; declared: string; actual: string; differences: unknown[] }> = [
      {
        what: 'type and length',
        declared: `{ id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 100 } }`,
        actual: 'CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(50))',
        differences: [{ object: 't.name', field: 'type', declared: declaredString(engine, 100), actual: 'varchar(50)' }],
      },
      {
        what: 'another type',
        declared: `{ id: { type: 'integer', primaryKey: true }, n: { type: 'integer' } }`,
        actual: 'CREATE TABLE t (id INTEGER PRIMARY KEY, n TEXT)',
        differences: [{ object: 't.n', field: 'type', declared: declaredInteger(engine), actual: 'text' }],
      },
      {
        what: 'nullability',
        declared: `{ id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50, nullable: false } }`,
        actual: 'CREATE TABLE t (id INTEGER PRIMARY KEY, name VARCHAR(50))',
        differences: [{ object: 't.name', field: 'nullable', declared: false, actual: true }],
      },
      {
        what: 'a missing primary key',
        declared: `{ id: { type: 'integer', primaryKey: true }, name: { type: 'text' } }`,
        actual: 'CREATE TABLE t (id INTEGER NOT NULL, name TEXT)',
        differences: [{ object: 't.id', field: 'primaryKey', declared: true, actual: false }],
      },
      {
        what: 'a composite primary key on fewer columns',
        declared: `{ a: { type: 'integer', nullable: false }, b: { type: 'integer', nullable: false } }, { primaryKey: ['a', 'b'] }`,
        actual: 'CREATE TABLE t (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a))',
        differences: [
          { object: 't.b', field: 'primaryKey', declared: true, actual: false },
          { object: 't', field: 'primaryKey', declared: ['a', 'b'], actual: ['a'] },
        ],
      },
      {
        what: 'a unique column without its unique key',
        declared: `{ id: { type: 'integer', primaryKey: true }, code: { type: 'string', length: 20, unique: true } }`,
        actual: 'CREATE TABLE t (id INTEGER PRIMARY KEY, code VARCHAR(20))',
        differences: [{ object: 't.code', field: 'unique', declared: true, actual: false }],
      },
      {
        what: 'a missing unique constraint',
        declared: `{ a: { type: 'integer' }, b: { type: 'integer' } }, { unique: [{ columns: ['a', 'b'], name: 'uq_t_ab' }] }`,
        actual: 'CREATE TABLE t (a INTEGER, b INTEGER)',
        differences: [{ object: 't.uq_t_ab', field: 'unique', declared: ['a', 'b'], actual: null }],
      },
      {
        what: 'a missing index',
        declared: `{ a: { type: 'integer' } }, { indexes: [{ columns: ['a'], name: 'ix_t_a' }] }`,
        actual: 'CREATE TABLE t (a INTEGER)',
        differences: [{ object: 't.ix_t_a', field: 'index', declared: ['a'], actual: null }],
      },
      {
        what: 'a missing foreign key',
        declared: `{ a: { type: 'integer' } }, { foreignKeys: [{ columns: ['a'], references: { table: 'p', columns: ['id'] }, name: 'fk_t_a' }] }`,
        actual: 'CREATE TABLE t (a INTEGER)',
        differences: [{ object: 't.fk_t_a', field: 'foreignKey', declared: 'p(id)', actual: null }],
      },
      {
        what: 'a foreign key with another onDelete',
        declared: `{ a: { type: 'integer' } }, { foreignKeys: [{ columns: ['a'], references: { table: 'p', columns: ['id'] }, name: 'fk_t_a', onDelete: 'cascade' }] }`,
        actual: 'CREATE TABLE t (a INTEGER REFERENCES p (id) ON DELETE SET NULL)',
        differences: [{ object: 't.fk_t_a', field: 'onDelete', declared: 'cascade', actual: 'set null' }],
      },
      {
        what: 'an undeclared column',
        declared: `{ id: { type: 'integer', primaryKey: true } }`,
        actual: 'CREATE TABLE t (id INTEGER PRIMARY KEY, extra TEXT)',
        differences: [{ object: 't.extra', field: 'exists', declared: false, actual: true }],
      },
    ];
    for (const c of driftCases) {
      test(`${engine.name}: an existing table with ${c.what} is drift, with both shapes; --strict fails and records nothing`, () => withProject(engine, async (p) => {
        await p.exec('CREATE TABLE p (id INTEGER PRIMARY KEY)');
        await p.exec(c.actual);
        await p.write({ revision: 'r1', up: `await m.createTable('t', ${c.declared});` });
        const before = await p.fingerprint();
        const strict = await p.cli(['--json', 'up', '--strict']);
        assert.equal(strict.code, 3, strict.stdout);
        assert.deepEqual(await p.recorded(), []);
        const run = await upOk(p);
        const op = opEvent(run, 'createTable', 't');
        assert.equal(op.outcome, 'drift');
        assert.match(String(op.detail), /^exists, differs: /);
        assert.deepEqual(op.differences, c.differences);
        assert.deepEqual(await p.recorded(), ['r1']);
        assert.equal(await p.fingerprint(), before, 'drift changes nothing');
        await adoptAgain(p, opDetails(run));
      }));
    }
  });

  describe(`${engine.name}: addColumn`, () => {
    const base = { revision: 'r1', up: USERS };

    test(`${engine.name}: adds a column to a table with rows; skipped once it exists`, () => withProject(engine, async (p) => {
      await p.write(base);
      await upOk(p);
      await p.exec(`INSERT INTO users (email) VALUES ('a@x'), ('b@x')`);
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.addColumn('users', 'api_key', { type: 'string', length: 255 });` });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied addColumn users.api_key']);
      const column = (await catalogTable(p, 'users'))!.columns.find((c) => c.name === 'api_key');
      assert.deepEqual(column && [column.type.raw, column.nullable, column.default], ['varchar(255)', true, null]);
      assert.deepEqual(await p.query('SELECT email, api_key FROM users ORDER BY id'), [{ email: 'a@x', api_key: null }, { email: 'b@x', api_key: null }]);
      const again = await adoptAgain(p);
      assert.deepEqual(opDetails(again).slice(1), ['skipped addColumn users.api_key — exists']);
    }));

    const driftCases: Array<{ what: string; spec: string; column: string; differences: unknown[] }> = [
      {
        what: 'another length', spec: `{ type: 'string', length: 255 }`, column: 'api_key VARCHAR(100)',
        differences: [{ object: 'users.api_key', field: 'type', declared: declaredString(engine, 255), actual: 'varchar(100)' }],
      },
      {
        what: 'another type', spec: `{ type: 'integer' }`, column: 'api_key TEXT',
        differences: [{ object: 'users.api_key', field: 'type', declared: declaredInteger(engine), actual: 'text' }],
      },
      {
        what: 'another nullability', spec: `{ type: 'string', length: 255, nullable: false, default: '' }`, column: `api_key VARCHAR(255) DEFAULT ''`,
        differences: [{ object: 'users.api_key', field: 'nullable', declared: false, actual: true }],
      },
      {
        what: 'no unique key', spec: `{ type: 'string', length: 255, unique: true }`, column: 'api_key VARCHAR(255)',
        differences: [{ object: 'users.api_key', field: 'unique', declared: true, actual: false }],
      },
    ];
    for (const c of driftCases) {
      test(`${engine.name}: a column that exists with ${c.what} is drift, with both shapes`, () => withProject(engine, async (p) => {
        await p.exec(`CREATE TABLE users (id ${autoIncrementKey(engine)}, email VARCHAR(100) NOT NULL UNIQUE, ${c.column})`);
        await p.write(base);
        await p.write({ revision: 'r2', revises: 'r1', up: `await m.addColumn('users', 'api_key', ${c.spec});` });
        const run = await upOk(p);
        const op = opEvent(run, 'addColumn', 'users.api_key');
        assert.equal(op.outcome, 'drift');
        assert.deepEqual(op.differences, c.differences);
        assert.equal((await p.cli(['--json', 'up', '--strict'])).code, 0, 'already recorded: nothing pending');
        await adoptAgain(p, opDetails(run));
      }));
    }

    test(`${engine.name}: unique: true adds the column and a unique index; a unique key under another name counts`, () => withProject(engine, async (p) => {
      await p.write(base);
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.addColumn('users', 'api_key', { type: 'string', length: 255, unique: true });` });
      await upOk(p);
      assert.deepEqual(await indexList(p, 'users'), ['uq_users_api_key(api_key) unique', 'uq_users_email(email) unique']);
      await appExec(p, `INSERT INTO users (email, api_key) VALUES ('a@x', 'k')`);
      await assert.rejects(appExec(p, `INSERT INTO users (email, api_key) VALUES ('b@x', 'k')`), violation(engine, 'unique'));
      await adoptAgain(p);
      // The same column made unique by hand, under the application's own name. idem made
      // the key a UNIQUE constraint where the engine has them apart from indexes (PostgreSQL).
      await p.exec(pick(engine, {
        sqlite: 'DROP INDEX uq_users_api_key',
        postgres: 'ALTER TABLE users DROP CONSTRAINT uq_users_api_key',
        mariadb: 'DROP INDEX uq_users_api_key ON users',
      }));
      await p.exec('CREATE UNIQUE INDEX users_api_key_key ON users (api_key)');
      await adoptAgain(p, [
        'skipped createTable users — exists; left to a later migration: users.api_key not declared',
        'skipped addColumn users.api_key — exists',
      ]);
      assert.deepEqual(await indexList(p, 'users'), ['uq_users_email(email) unique', 'users_api_key_key(api_key) unique']);
    }));

    test(`${engine.name}: NOT NULL without a default on a table with rows fails with a clear message before anything changes`, () => withProject(engine, async (p) => {
      await p.write(base);
      await upOk(p);
      await p.exec(`INSERT INTO users (email) VALUES ('a@x')`);
      await p.write({
        revision: 'r2', revises: 'r1',
        up: `await m.createIndex('users', ['email'], { name: 'ix_users_email' });
             await m.addColumn('users', 'nick', { type: 'string', length: 20, nullable: false });`,
      });
      const error = await failsCleanly(p, ['r1']);
      assert.equal(error.code, 'OPERATION_INVALID');
      assert.equal(error.message, 'addColumn users.nick: NOT NULL without a default, and users has rows');
      assert.deepEqual([error.revision, error.op, error.target], ['r2', 'addColumn', 'users.nick']);
      assert.equal(error.sql, undefined, 'no statement was sent for the column');
      assert.match(String(error.hint), /default/);
      assert.deepEqual(await indexList(p, 'users'), ['uq_users_email(email) unique'], 'the earlier operation rolled back');
    }));

    test(`${engine.name}: NOT NULL with a default on a table with rows fills the rows (literal and expression defaults)`, () => withProject(engine, async (p) => {
      await p.write(base);
      await upOk(p);
      await p.exec(`INSERT INTO users (email) VALUES ('a@x'), ('b@x')`);
      await p.write({
        revision: 'r2', revises: 'r1',
        up: `await m.addColumn('users', 'status', { type: 'string', length: 10, nullable: false, default: 'active' });
             await m.addColumn('users', 'created_at', { type: 'timestamp', nullable: false, default: { sql: 'CURRENT_TIMESTAMP' } });`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied addColumn users.status', 'applied addColumn users.created_at']);
      const users = (await catalogTable(p, 'users'))!;
      assert.deepEqual(users.columns.map((c) => [c.name, c.nullable]), [['id', false], ['email', false], ['status', false], ['created_at', false]]);
      const rows = await p.query<{ email: string; status: string; created_at: unknown }>('SELECT email, status, created_at FROM users ORDER BY id');
      // Filled with a time: SQLite keeps it as text and idem's MariaDB session reads times as text; pg hands a Date.
      const time = pick(engine, { sqlite: 'string', postgres: 'Date', mariadb: 'string' });
      const kind = (v: unknown) => (v instanceof Date && !Number.isNaN(v.getTime()) ? 'Date' : typeof v);
      assert.deepEqual(rows.map((r) => [r.email, r.status, kind(r.created_at)]), [['a@x', 'active', time], ['b@x', 'active', time]]);
      assert.deepEqual(await indexList(p, 'users'), ['uq_users_email(email) unique']);
      await adoptAgain(p);
    }));

    test(`${engine.name}: NOT NULL without a default on an empty table works`, () => withProject(engine, async (p) => {
      await p.write(base);
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.addColumn('users', 'nick', { type: 'string', length: 20, nullable: false });` });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied createTable users', 'applied addColumn users.nick']);
      const nick = (await catalogTable(p, 'users'))!.columns.find((c) => c.name === 'nick');
      assert.deepEqual(nick && [nick.type.raw, nick.nullable], ['varchar(20)', false]);
      await assert.rejects(appExec(p, `INSERT INTO users (email) VALUES ('a@x')`), violation(engine, 'notNull'));
      await adoptAgain(p);
    }));
  });

  describe(`${engine.name}: alterColumn`, () => {
    const schema = {
      revision: 'r1',
      up: `await m.createTable('teams', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50 } });
           await m.createTable('users', {
             id: { type: 'integer', primaryKey: true, autoIncrement: true },
             email: { type: 'string', length: 255, nullable: false, unique: true },
             role: { type: 'string', length: 20, nullable: false, default: 'user' },
             nick: { type: 'string', length: 50 },
             team_id: { type: 'integer' },
           }, {
             indexes: [{ columns: ['role'], name: 'ix_users_role' }],
             foreignKeys: [{ columns: ['team_id'], references: { table: 'teams', columns: ['id'] }, name: 'fk_users_team', onDelete: 'set null' }],
           });
           await m.createTable('posts', {
             id: { type: 'integer', primaryKey: true },
             user_id: { type: 'integer', nullable: false },
           }, { foreignKeys: [{ columns: ['user_id'], references: { table: 'users', columns: ['id'] }, name: 'fk_posts_user', onDelete: 'cascade' }] });`,
    };
    const seed = async (p: TestProject) => {
      await upOk(p);
      await p.exec(`INSERT INTO teams (id, name) VALUES (1, 'red')`);
      await p.exec(`INSERT INTO users (email, role, nick, team_id) VALUES ('a@x', 'admin', 'al', 1), ('b@x', 'user', 'bo', NULL)`);
      await p.exec('INSERT INTO posts (id, user_id) VALUES (10, 1), (11, 2)');
    };
    const alter = (body: string) => ({ revision: 'r2', revises: 'r1', up: body });

    test(`${engine.name}: applies only the difference; data, indexes and foreign keys survive; keys are still enforced`, () => withProject(engine, async (p) => {
      await p.write(schema);
      await seed(p);
      const rowsBefore = await p.query('SELECT * FROM users ORDER BY id');
      const indexesBefore = await indexList(p, 'users');
      const keysBefore = [await foreignKeyList(p, 'users'), await foreignKeyList(p, 'posts')];
      // InnoDB indexes a foreign key no index leads with its columns, under the key's name.
      assert.deepEqual(indexesBefore, [...pick(engine, { sqlite: [], postgres: [], mariadb: ['fk_users_team(team_id)'] }), 'ix_users_role(role)', 'uq_users_email(email) unique']);
      await p.write(alter(`await m.alterColumn('users', 'email', { type: 'string', length: 512, nullable: false });`));
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [`applied alterColumn users.email — type varchar(255) -> ${declaredString(engine, 512)}`]);
      assert.deepEqual(opEvent(run, 'alterColumn', 'users.email').differences,
        [{ object: 'users.email', field: 'type', declared: declaredString(engine, 512), actual: 'varchar(255)' }]);
      const email = (await catalogTable(p, 'users'))!.columns.find((c) => c.name === 'email')!;
      assert.deepEqual([email.type.raw, email.nullable], ['varchar(512)', false]);
      assert.deepEqual(await p.query('SELECT * FROM users ORDER BY id'), rowsBefore);
      assert.deepEqual(await indexList(p, 'users'), indexesBefore);
      assert.deepEqual([await foreignKeyList(p, 'users'), await foreignKeyList(p, 'posts')], keysBefore);
      assert.deepEqual(await tableNames(p), ['posts', 'teams', 'users']);
      // Enforcement afterwards: unique, outgoing and incoming keys, cascades.
      await assert.rejects(appExec(p, `INSERT INTO users (email) VALUES ('a@x')`), violation(engine, 'unique'));
      await assert.rejects(appExec(p, `INSERT INTO users (email, team_id) VALUES ('c@x', 99)`), violation(engine, 'foreignKey'));
      await assert.rejects(appExec(p, 'INSERT INTO posts (id, user_id) VALUES (12, 99)'), violation(engine, 'foreignKey'));
      await appExec(p, 'DELETE FROM users WHERE id = 2');
      assert.deepEqual(await p.query('SELECT id FROM posts ORDER BY id'), [{ id: 10 }]);
      await appExec(p, 'DELETE FROM teams WHERE id = 1');
      assert.deepEqual(await p.query('SELECT team_id FROM users'), [{ team_id: null }]);
      const again = await adoptAgain(p);
      assert.deepEqual(opDetails(again).at(-1), 'skipped alterColumn users.email — already as declared');
    }));

    // What the database itself says, not idem's catalog reader: SQLite's pragmas, the servers' own catalogs.
    const columnFact = (column: string, field: { sqlite: string; server: string }) => pick(engine, {
      sqlite: `SELECT ${field.sqlite} AS v FROM pragma_table_info('users') WHERE name = '${column}'`,
      postgres: `SELECT ${field.server} AS v FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'users' AND column_name = '${column}'`,
      mariadb: `SELECT ${field.server} AS v FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'users' AND column_name = '${column}'`,
    });
    const uniqueKeys = pick(engine, {
      sqlite: `SELECT name AS v FROM pragma_index_list('users') WHERE "unique" = 1 ORDER BY name`,
      postgres: `SELECT i.relname AS v FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
        WHERE x.indrelid = 'users'::regclass AND x.indisunique AND NOT x.indisprimary ORDER BY 1`,
      mariadb: `SELECT DISTINCT index_name AS v FROM information_schema.statistics
        WHERE table_schema = DATABASE() AND table_name = 'users' AND non_unique = 0 AND index_name <> 'PRIMARY' ORDER BY 1`,
    });
    const changes: Array<{ what: string; body: string; detail: string; check: string; expect: unknown[] }> = [
      {
        what: 'nullable', body: `await m.alterColumn('users', 'nick', { nullable: false });`, detail: 'nullable true -> false',
        check: columnFact('nick', { sqlite: '"notnull"', server: 'is_nullable' }), expect: [{ v: pick<number | string>(engine, { sqlite: 1, postgres: 'NO', mariadb: 'NO' }) }],
      },
      {
        what: 'default', body: `await m.alterColumn('users', 'role', { default: 'member' });`, detail: `default 'user' -> 'member'`,
        check: columnFact('role', { sqlite: 'dflt_value', server: 'column_default' }),
        expect: [{ v: pick(engine, { sqlite: `'member'`, postgres: `'member'::character varying`, mariadb: `'member'` }) }],
      },
      {
        what: 'unique: true', body: `await m.alterColumn('users', 'nick', { unique: true });`, detail: 'unique false -> true',
        check: uniqueKeys, expect: [{ v: 'uq_users_email' }, { v: 'uq_users_nick' }],
      },
      {
        what: 'unique: false', body: `await m.alterColumn('users', 'email', { unique: false });`, detail: 'unique true -> false',
        check: uniqueKeys, expect: [],
      },
      {
        what: 'type', body: `await m.alterColumn('users', 'nick', { type: 'text' });`, detail: 'type varchar(50) -> text',
        check: columnFact('nick', { sqlite: 'lower(type)', server: 'lower(data_type)' }), expect: [{ v: 'text' }],
      },
    ];
    for (const c of changes) {
      test(`${engine.name}: alterColumn ${c.what}: applied with the difference, then skipped`, () => withProject(engine, async (p) => {
        await p.write(schema);
        await seed(p);
        const rowsBefore = await p.query('SELECT id, email, nick, team_id FROM users ORDER BY id');
        await p.write(alter(c.body));
        const run = await upOk(p, '--strict');
        const op = run.events.find((e) => e.event === 'op')!;
        assert.deepEqual([op.outcome, op.detail], ['applied', c.detail]);
        assert.deepEqual(await p.query(c.check), c.expect);
        assert.deepEqual(await p.query('SELECT id, email, nick, team_id FROM users ORDER BY id'), rowsBefore);
        assert.deepEqual(await foreignKeyList(p, 'posts'), ['fk_posts_user(user_id) -> users(id) on delete cascade']);
        const again = await adoptAgain(p);
        assert.equal(opDetails(again).at(-1), `skipped alterColumn ${op.target} — already as declared`);
      }));
    }

    test(`${engine.name}: unique: false removes a unique constraint an init script wrote inline`, () => withProject(engine, async (p) => {
      await p.exec('CREATE TABLE accounts (id INTEGER PRIMARY KEY, code VARCHAR(20) UNIQUE, name TEXT)');
      await p.exec(`INSERT INTO accounts (id, code, name) VALUES (1, 'a', 'x'), (2, 'b', 'y')`);
      await p.write({ revision: 'r1', up: `await m.alterColumn('accounts', 'code', { unique: false });` });
      const run = await upOk(p);
      assert.deepEqual(opDetails(run), ['applied alterColumn accounts.code — unique true -> false']);
      assert.deepEqual(await indexList(p, 'accounts'), []);
      await appExec(p, `INSERT INTO accounts (id, code, name) VALUES (3, 'a', 'z')`);
      assert.equal((await p.query('SELECT * FROM accounts')).length, 3);
      await adoptAgain(p);
    }));

    test(`${engine.name}: a failing alter (NOT NULL over NULL rows) exits 1 naming the operation and SQL, and rolls back (MariaDB: is re-run)`, () => withProject(engine, async (p) => {
      await p.write(schema);
      await seed(p);
      await p.exec(`UPDATE users SET nick = NULL WHERE id = 2`);
      await p.write(alter(`await m.alterColumn('users', 'email', { length: 300 });
                           await m.alterColumn('users', 'nick', { nullable: false });`));
      // MariaDB committed the first alter before the second failed; r2 stays unrecorded.
      const error = await failsPartway(p, ['r1'], (before) => {
        before.users!.columns.find(([name]) => name === 'email')![1] = 'varchar(300)';
      });
      assert.equal(error.code, 'OPERATION_FAILED');
      assert.equal(error.message, 'alterColumn users.nick failed');
      assert.deepEqual([error.revision, error.op, error.target], ['r2', 'alterColumn', 'users.nick']);
      // SQLite changes a column by rebuilding the table: the copy of the rows is what fails.
      assert.match(String(error.sql), pick(engine, {
        sqlite: /^INSERT INTO /,
        postgres: /^ALTER TABLE "users"\n {2}ALTER COLUMN "nick" SET NOT NULL$/,
        mariadb: /^ALTER TABLE `users` MODIFY COLUMN `nick` /,
      }));
      assert.match(String(error.cause), pick(engine, {
        sqlite: /NOT NULL constraint failed: /,
        postgres: /column "nick" of relation "users" contains null values/,
        mariadb: /Invalid use of NULL value|Data truncated for column 'nick'/,
      }));
      assert.match(String(error.hint), /existing values/);
      assert.deepEqual(await tableNames(p), ['posts', 'teams', 'users'], 'no half-built table is left');
      const email = (await catalogTable(p, 'users'))!.columns.find((c) => c.name === 'email')!;
      assert.equal(email.type.raw, rollsBackDdl(engine) ? 'varchar(255)' : 'varchar(300)',
        rollsBackDdl(engine) ? 'the earlier alter rolled back' : 'the earlier alter committed');
      // With the data fixed, the re-run converges: what committed is passed over (MariaDB's progress journal), the rest applied.
      await p.exec(`UPDATE users SET nick = 'bo' WHERE id = 2`);
      const rerun = await upOk(p, '--strict');
      assert.deepEqual(opDetails(rerun), [
        rollsBackDdl(engine) ? `applied alterColumn users.email — type varchar(255) -> ${declaredString(engine, 300)}` : 'skipped alterColumn users.email — done by an interrupted run',
        'applied alterColumn users.nick — nullable true -> false',
      ]);
      assert.deepEqual(await p.recorded(), ['r1', 'r2']);
      await adoptAgain(p);
    }));
  });
}
