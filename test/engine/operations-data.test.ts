/**
 * executeIf, raw sql, the questions a migration may ask (tableExists,
 * columnExists, indexExists, summary), the look-ahead that judges drift where
 * the run ends, and identifiers that would break pasted SQL, on every engine.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engines } from '../engines.ts';
import { autoIncrementKey, declaredString, integerType, noSuchColumnToSet, noSuchTable, pick, quoted } from '../support/engine-sql.ts';
import type { TestProject } from '../support/project.ts';
import {
  adoptAgain, catalogTable, failsCleanly, indexList, opDetails, opEvent, tableNames, upOk, withProject,
} from '../support/scenario.ts';

const USERS_DDL = `CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, role VARCHAR(20) NOT NULL DEFAULT 'user')`;
const USERS_ROWS = `INSERT INTO users (id, email, role) VALUES (1, 'root@x', 'admin'), (2, 'ops@x', 'admin'), (3, 'al@x', 'user')`;

for (const engine of engines) {
  /** A boolean as the driver hands it back: SQLite and MariaDB store 0/1, PostgreSQL has a boolean type. */
  const bool = (value: boolean) => pick<boolean | number>(engine, { sqlite: Number(value), postgres: value, mariadb: Number(value) });
  /** The index of a primary key made with its table: SQLite's rowid key has none, PostgreSQL names it after the table, MariaDB PRIMARY. */
  const primaryKeyIndex = (table: string, columns: string[]) => pick(engine, {
    sqlite: [],
    postgres: [{ name: `${table}_pkey`, columns, unique: true }],
    mariadb: [{ name: 'PRIMARY', columns, unique: true }],
  });
  describe(`${engine.name}: executeIf and sql`, () => {
    test(`${engine.name}: executeIf runs when the condition holds (rows reported), skips when not; params bind ?`, () => withProject(engine, async (p) => {
      await p.exec(USERS_DDL);
      await p.exec(USERS_ROWS);
      await p.write({
        revision: 'r1',
        up: `await m.addColumn('users', 'is_admin', { type: 'boolean', nullable: false, default: false });
             await m.executeIf({
               description: 'flag admins',
               sql: 'UPDATE users SET is_admin = TRUE WHERE role = ? AND is_admin = FALSE',
               condition: 'SELECT COUNT(*) > 0 FROM users WHERE role = ? AND is_admin = FALSE',
               params: ['admin'],
               conditionParams: ['admin'],
             });
             await m.executeIf({
               description: 'wipe nobody',
               sql: 'DELETE FROM users',
               condition: 'SELECT COUNT(*) FROM users WHERE role = ?',
               conditionParams: ['nobody'],
             });
             await m.executeIf({
               description: 'note the migration once',
               sql: "UPDATE users SET role = 'owner' WHERE email = ?",
               params: ['root@x'],
               condition: "SELECT NOT EXISTS (SELECT 1 FROM users WHERE role = ?)",
               conditionParams: ['owner'],
             });`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        'applied addColumn users.is_admin',
        'applied executeIf flag admins — condition true, 2 row(s)',
        'skipped executeIf wipe nobody — condition false',
        'applied executeIf note the migration once — condition true, 1 row(s)',
      ]);
      assert.equal(opEvent(run, 'executeIf', 'flag admins').rows, 2);
      assert.deepEqual(await p.query('SELECT email, role, is_admin FROM users ORDER BY id'), [
        { email: 'root@x', role: 'owner', is_admin: bool(true) }, { email: 'ops@x', role: 'admin', is_admin: bool(true) },
        { email: 'al@x', role: 'user', is_admin: bool(false) },
      ]);
      // Guarded by the data, not by what this run did: the second run finds nothing to change.
      await adoptAgain(p);
    }));

    const badConditions = [
      { what: 'two rows', condition: 'SELECT id FROM users', message: 'the condition query returned 3 rows, expected exactly 1', code: 'OPERATION_INVALID' },
      { what: 'no row', condition: 'SELECT 1 FROM users WHERE 1 = 0', message: 'the condition query returned 0 rows, expected exactly 1', code: 'OPERATION_INVALID' },
      { what: 'two columns', condition: 'SELECT COUNT(*), 1 FROM users', message: 'the condition query returned 2 columns, expected exactly 1', code: 'OPERATION_INVALID' },
      { what: 'failing SQL', condition: 'SELECT COUNT(*) FROM no_such_table', message: 'the condition query failed', code: 'OPERATION_FAILED', cause: noSuchTable(engine, 'no_such_table') },
    ];
    for (const c of badConditions) {
      test(`${engine.name}: a condition with ${c.what} is an error, never read as false`, () => withProject(engine, async (p) => {
        await p.exec(USERS_DDL);
        await p.exec(USERS_ROWS);
        await p.write({
          revision: 'r1',
          up: `await m.executeIf({ description: 'wipe users', sql: 'DELETE FROM users', condition: ${JSON.stringify(c.condition)} });`,
        });
        const error = await failsCleanly(p);
        assert.deepEqual([error.code, error.message, error.revision, error.op, error.target, error.sql],
          [c.code, c.message, 'r1', 'executeIf', 'wipe users', c.condition]);
        if (c.cause) assert.match(String(error.cause), c.cause);
        assert.match(String(error.hint), /condition|single value/);
        assert.equal((await p.query('SELECT * FROM users')).length, 3, 'the data change did not run');
        const human = await p.cli(['up']);
        assert.equal(human.code, 1);
        assert.match(human.stderr, new RegExp(`r1 > executeIf wipe users: ${c.message}`));
      }));
    }

    test(`${engine.name}: a failing executeIf statement names the operation and SQL, and rolls the migration back`, () => withProject(engine, async (p) => {
      await p.exec(USERS_DDL);
      await p.exec(USERS_ROWS);
      await p.write({
        revision: 'r1',
        up: `await m.executeIf({ description: 'demote', sql: "UPDATE users SET role = 'user'", condition: 'SELECT 1' });
             await m.executeIf({ description: 'break', sql: 'UPDATE users SET nope = 1', condition: 'SELECT 1' });`,
      });
      const error = await failsCleanly(p);
      assert.deepEqual([error.code, error.op, error.target, error.sql], ['OPERATION_FAILED', 'executeIf', 'break', 'UPDATE users SET nope = 1']);
      assert.match(String(error.cause), noSuchColumnToSet(engine, 'users', 'nope'));
    }));

    test(`${engine.name}: sql is reported as unguarded raw SQL; { idempotent: true } is reported as such and converges`, () => withProject(engine, async (p) => {
      await p.exec(`CREATE TABLE audit (id ${autoIncrementKey(engine)}, note TEXT)`);
      await p.write({
        revision: 'r1',
        up: `await m.sql('INSERT INTO audit (note) VALUES (?)', ['unguarded']);
             await m.sql('INSERT INTO audit (note) SELECT ? WHERE NOT EXISTS (SELECT 1 FROM audit WHERE note = ?)', ['once', 'once'],
               { idempotent: true, description: 'audit once' });`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        'applied sql INSERT INTO audit (note) VALUES (?) — unguarded raw SQL',
        'applied sql audit once — idempotent, 1 row(s)',
      ]);
      assert.deepEqual(await p.query('SELECT note FROM audit ORDER BY id'), [{ note: 'unguarded' }, { note: 'once' }]);
      // Raw SQL cannot be judged, so it runs again: the unguarded insert repeats, the guarded one does not.
      await p.exec('DELETE FROM idem_version');
      const again = await upOk(p);
      assert.deepEqual(opDetails(again), [
        'applied sql INSERT INTO audit (note) VALUES (?) — unguarded raw SQL',
        'applied sql audit once — idempotent, 0 row(s)',
      ]);
      assert.deepEqual(await p.query('SELECT note FROM audit ORDER BY id'), [{ note: 'unguarded' }, { note: 'once' }, { note: 'unguarded' }]);
    }));

    test(`${engine.name}: sql with several statements runs every one of them (none silently dropped)`, () => withProject(engine, async (p) => {
      await p.exec(`CREATE TABLE audit (id ${autoIncrementKey(engine)}, note TEXT)`);
      await p.write({
        revision: 'r1',
        up: `await m.sql("INSERT INTO audit (note) VALUES ('one'); INSERT INTO audit (note) VALUES ('two');", [], { idempotent: false, description: 'two inserts' });`,
      });
      const run = await upOk(p);
      assert.deepEqual(opDetails(run), ['applied sql two inserts — unguarded raw SQL']);
      assert.deepEqual(await p.query('SELECT note FROM audit ORDER BY id'), [{ note: 'one' }, { note: 'two' }]);
    }));
  });

  describe(`${engine.name}: tableExists, columnExists, indexExists, summary`, () => {
    test(`${engine.name}: a migration decides with the existence checks; summary emits columns, indexes and row count`, () => withProject(engine, async (p) => {
      await p.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, CONSTRAINT users_email_key UNIQUE (email))`);
      await p.exec(`INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'b@x')`);
      await p.write({
        revision: 'r1',
        up: `const before = [await m.tableExists('t'), await m.columnExists('t', 'note'), await m.indexExists('t', 'ix_t_name')];
             if (!(await m.tableExists('t'))) await m.createTable('t', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 20 } });
             if (!(await m.columnExists('t', 'note'))) await m.addColumn('t', 'note', { type: 'text' });
             if (!(await m.indexExists('t', 'ix_t_name'))) await m.createIndex('t', ['name'], { name: 'ix_t_name' });
             const after = [await m.tableExists('t'), await m.columnExists('t', 'note'), await m.indexExists('t', 'ix_t_name'),
               await m.columnExists('t', 'nope'), await m.tableExists('nope'), await m.indexExists('users', 'users_email_key')];
             m.log(JSON.stringify({ before, after }));
             await m.summary('users');
             await m.summary('nope');`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied createTable t', 'applied addColumn t.note', 'applied createIndex t.ix_t_name']);
      const log = run.events.find((e) => e.event === 'log')!;
      assert.deepEqual(JSON.parse(String(log.message)), { before: [false, false, false], after: [true, true, true, false, false, true] });
      const summaries = run.events.filter((e) => e.event === 'summary').map(({ event, revision, ...rest }) => ({ event, revision, ...rest }));
      assert.deepEqual(summaries, [
        {
          event: 'summary', revision: 'r1', table: 'users', exists: true,
          // Types in the engine's own words: MariaDB's INTEGER is int.
          columns: [{ name: 'id', type: integerType(engine), nullable: false }, { name: 'email', type: 'varchar(100)', nullable: false }],
          // The primary key's own index, where the engine has one (a SQLite rowid key has none).
          indexes: [...primaryKeyIndex('users', ['id']), { name: 'users_email_key', columns: ['email'], unique: true }],
          rows: 2,
        },
        { event: 'summary', revision: 'r1', table: 'nope', exists: false, columns: [], indexes: [], rows: 0 },
      ]);
      const human = await p.cli(['up']);
      assert.equal(human.code, 0);
      const again = await adoptAgain(p, []);
      assert.deepEqual(JSON.parse(String(again.events.find((e) => e.event === 'log')!.message)).before, [true, true, true]);
    }));
  });

  describe(`${engine.name}: look-ahead: drift is judged where the run ends`, () => {
    const USERS = `await m.createTable('users', {
      id: { type: 'integer', primaryKey: true, autoIncrement: true },
      email: { type: 'string', length: 100, nullable: false },
    });`;
    const API_KEY = `await m.addColumn('users', 'api_key', { type: 'string', length: 255 });`;
    const WIDEN = `await m.alterColumn('users', 'email', { length: 255 });`;
    const write = async (p: TestProject, third = WIDEN) => {
      await p.write({ revision: 'r1', up: USERS });
      await p.write({ revision: 'r2', revises: 'r1', up: API_KEY });
      await p.write({ revision: 'r3', revises: 'r2', up: third });
    };

    test(`${engine.name}: (a) an init script's newest shape: every revision skipped, no drift`, () => withProject(engine, async (p) => {
      await write(p);
      await p.exec(`CREATE TABLE users (id ${autoIncrementKey(engine)}, email VARCHAR(255) NOT NULL, api_key VARCHAR(255))`);
      const before = await p.fingerprint();
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        `skipped createTable users — exists; left to a later migration: users.email type varchar(255), declared ${declaredString(engine, 100)}; users.api_key not declared`,
        'skipped addColumn users.api_key — exists',
        'skipped alterColumn users.email — already as declared',
      ]);
      assert.equal(await p.fingerprint(), before);
      await adoptAgain(p);
    }));

    test(`${engine.name}: (b) an older shape: the early createTable defers, the later alter applies; no drift`, () => withProject(engine, async (p) => {
      await write(p);
      await p.exec(`CREATE TABLE users (id ${autoIncrementKey(engine)}, email VARCHAR(50) NOT NULL, api_key VARCHAR(255))`);
      await p.exec(`INSERT INTO users (email) VALUES ('a@x')`);
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        `skipped createTable users — exists; left to a later migration: users.email type varchar(50), declared ${declaredString(engine, 100)}; users.api_key not declared`,
        'skipped addColumn users.api_key — exists',
        `applied alterColumn users.email — type varchar(50) -> ${declaredString(engine, 255)}`,
      ]);
      assert.equal(run.events.find((e) => e.event === 'done')!.drift, 0);
      assert.equal((await catalogTable(p, 'users'))!.columns.find((c) => c.name === 'email')!.type.raw, 'varchar(255)');
      assert.deepEqual(await p.query('SELECT email FROM users'), [{ email: 'a@x' }]);
      await adoptAgain(p);
    }));

    test(`${engine.name}: (c) a table created under its old name and renamed later is adopted under the new name`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: `await m.createTable('grp', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50 } });` });
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.renameTable('grp', 'groups');` });
      await p.exec('CREATE TABLE groups (id INTEGER PRIMARY KEY, name VARCHAR(50))');
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        'skipped createTable grp — exists as groups, which a later migration renames it to',
        'skipped renameTable grp -> groups — already renamed (groups exists, grp absent)',
      ]);
      assert.deepEqual(await tableNames(p), ['groups']);
      await adoptAgain(p);
    }));

    test(`${engine.name}: (d) a column no migration declares is drift on createTable; what later revisions declare is not`, () => withProject(engine, async (p) => {
      await write(p);
      await p.exec(`CREATE TABLE users (id ${autoIncrementKey(engine)}, email VARCHAR(255) NOT NULL, api_key VARCHAR(255), nickname TEXT)`);
      const strict = await p.cli(['--json', 'up', '--strict']);
      assert.equal(strict.code, 3);
      const run = await upOk(p);
      const op = opEvent(run, 'createTable', 'users');
      assert.deepEqual([op.outcome, op.detail], ['drift', 'exists, differs: users.nickname not declared']);
      assert.deepEqual(op.differences, [{ object: 'users.nickname', field: 'exists', declared: false, actual: true }]);
      await adoptAgain(p, opDetails(run));
    }));

    test(`${engine.name}: (e) a later alter settles only the fields it declares: another difference of the column is still drift`, () => withProject(engine, async (p) => {
      await write(p, `await m.alterColumn('users', 'email', { nullable: true });`);
      await p.exec(`CREATE TABLE users (id ${autoIncrementKey(engine)}, email VARCHAR(50), api_key VARCHAR(255))`);
      const run = await upOk(p);
      const op = opEvent(run, 'createTable', 'users');
      assert.deepEqual(op.outcome, 'drift');
      assert.deepEqual(op.differences, [{ object: 'users.email', field: 'type', declared: declaredString(engine, 100), actual: 'varchar(50)' }]);
      assert.deepEqual(opDetails(run).slice(1), ['skipped addColumn users.api_key — exists', 'skipped alterColumn users.email — already as declared']);
      await adoptAgain(p, opDetails(run));
    }));

    test(`${engine.name}: (f) a later unique index settles the column's unique, not its type`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 100, unique: true } });` });
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.createIndex('users', ['email'], { name: 'ix_users_email', unique: true });` });
      await p.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(50))');
      const run = await upOk(p);
      assert.deepEqual(opEvent(run, 'createTable', 'users').differences, [{ object: 'users.email', field: 'type', declared: declaredString(engine, 100), actual: 'varchar(50)' }]);
      assert.deepEqual(opDetails(run).slice(1), ['applied createIndex users.ix_users_email']);
      assert.deepEqual(await indexList(p, 'users'), ['ix_users_email(email) unique']);
    }));
  });

  describe(`${engine.name}: look-ahead: operations on names a later migration renames`, () => {
    const migrations = async (p: TestProject) => {
      await p.write({ revision: 'r1', up: `await m.createTable('grp', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50 } });` });
      await p.write({
        revision: 'r2', revises: 'r1',
        up: `await m.createIndex('grp', ['name']);
             await m.alterColumn('grp', 'name', { length: 100 });
             await m.addColumn('grp', 'x', { type: 'integer' });`,
      });
      await p.write({ revision: 'r3', revises: 'r2', up: `await m.renameTable('grp', 'groups');\nawait m.renameColumn('groups', 'name', 'title');` });
    };
    const shape = async (p: TestProject) => {
      const { groups } = JSON.parse(await p.fingerprint());
      return { ...groups, rows: undefined };
    };
    type Shape = { indexes: [string, string[], boolean, string][] };
    /** The engine-given name of the primary key's index, if the engine has one, and the shape without it. */
    const primaryKeyName = (s: Shape) => s.indexes.filter((i) => i[3] === 'primaryKey').map((i) => i[0]);
    const unnamedPrimaryKey = (s: Shape) => ({ ...s, indexes: s.indexes.map((i) => (i[3] === 'primaryKey' ? ['', ...i.slice(1)] : i)) });

    test(`${engine.name}: the newest shape, made by an init script, is adopted: every operation skipped`, () => withProject(engine, async (p) => {
      await migrations(p);
      await p.exec('CREATE TABLE groups (id INTEGER PRIMARY KEY, title VARCHAR(100), x INTEGER)');
      await p.exec('CREATE INDEX groups_title_idx ON groups (title)');
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        'skipped createTable grp — exists as groups, which a later migration renames it to',
        'skipped createIndex grp.ix_grp_name — exists as groups_title_idx',
        'skipped alterColumn grp.name — already as declared',
        'skipped addColumn grp.x — exists',
        'skipped renameTable grp -> groups — already renamed (groups exists, grp absent)',
        'skipped renameColumn groups.name -> title — already renamed (title exists, name absent)',
      ]);
      await adoptAgain(p);
    }));

    test(`${engine.name}: an older shape under the new names converges to what a fresh run builds`, () => withProject(engine, async (fresh) => {
      await migrations(fresh);
      await upOk(fresh);
      await withProject(engine, async (p) => {
        await migrations(p);
        await p.exec('CREATE TABLE groups (id INTEGER PRIMARY KEY, title VARCHAR(50))');
        await p.exec(`INSERT INTO groups (id, title) VALUES (1, 'admin')`);
        const run = await upOk(p, '--strict');
        assert.deepEqual(opDetails(run), [
          'skipped createTable grp — exists as groups, which a later migration renames it to',
          'applied createIndex grp.ix_grp_name',
          `applied alterColumn grp.name — type varchar(50) -> ${declaredString(engine, 100)}`,
          'applied addColumn grp.x',
          'skipped renameTable grp -> groups — already renamed (groups exists, grp absent)',
          'skipped renameColumn groups.name -> title — already renamed (title exists, name absent)',
        ]);
        // PostgreSQL names a primary key after the table it is made in, and keeps the name through a
        // rename: the fresh run made grp (grp_pkey), the init script groups. No migration declares or
        // addresses that name; everything else is the same.
        assert.deepEqual(primaryKeyName(await shape(fresh)), primaryKeyIndex('grp', ['id']).map((i) => i.name));
        assert.deepEqual(primaryKeyName(await shape(p)), primaryKeyIndex('groups', ['id']).map((i) => i.name));
        assert.deepEqual(unnamedPrimaryKey(await shape(p)), unnamedPrimaryKey(await shape(fresh)));
        assert.deepEqual(await p.query('SELECT title, x FROM groups'), [{ title: 'admin', x: null }]);
        await adoptAgain(p);
      });
    }));
  });

  describe(`${engine.name}: identifiers`, () => {
    test(`${engine.name}: names with spaces, quotes and semicolons are created literally, never executed, and pass twice`, () => withProject(engine, async (p) => {
      const T = 'we"ird; name';
      const A = 'a b';
      const X = `x"); DROP TABLE users; --`;
      const C = `c'd; e`;
      const I = 'ix "odd"; name';
      const j = JSON.stringify;
      await p.exec('CREATE TABLE users (id INTEGER PRIMARY KEY)');
      await p.write({
        revision: 'r1',
        up: `await m.createTable(${j(T)}, {
               id: { type: 'integer', primaryKey: true, autoIncrement: true },
               ${j(A)}: { type: 'string', length: 20, nullable: false, unique: true },
               ${j(X)}: { type: 'text', default: "it's; DROP TABLE users; --" },
             }, { indexes: [{ columns: [${j(X)}] }] });
             await m.createTable('child "x"', { id: { type: 'integer', primaryKey: true }, ref: { type: 'integer' } },
               { foreignKeys: [{ columns: ['ref'], references: { table: ${j(T)}, columns: ['id'] }, onDelete: 'cascade' }] });`,
      });
      await upOk(p);
      // Hand-written SQL quotes as the engine does: MariaDB reads "x" as a string, not a name.
      const q = (name: string) => quoted(engine, name);
      await p.exec(`INSERT INTO ${q(T)} (${q(A)}) VALUES (?), (?)`, ['one', 'two']);
      await p.exec(`INSERT INTO ${q('child "x"')} (id, ref) VALUES (1, 1)`);
      await p.write({
        revision: 'r2', revises: 'r1',
        up: `await m.addColumn(${j(T)}, ${j(C)}, { type: 'integer', nullable: false, default: 0 });
             await m.alterColumn(${j(T)}, ${j(A)}, { length: 40 });
             await m.createIndex(${j(T)}, [${j(A)}, ${j(C)}], { name: ${j(I)} });
             await m.addUnique(${j(T)}, [${j(C)}, ${j(A)}]);
             await m.renameColumn(${j(T)}, ${j(C)}, 'c2');
             await m.summary(${j(T)});`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        `applied addColumn ${T}.${C}`,
        `applied alterColumn ${T}.${A} — type varchar(20) -> ${declaredString(engine, 40)}`,
        `applied createIndex ${T}.${I}`,
        // A generated name that replaced characters carries a hash of the exact names (constraint-names.ts).
        `applied addUnique ${T}.uq_we_ird_name_c_d_e_a_b_0e29e193`,
        `applied renameColumn ${T}.${C} -> c2`,
      ]);
      assert.deepEqual(await tableNames(p), ['child "x"', 'users', T]);
      const table = (await catalogTable(p, T))!;
      assert.deepEqual(table.columns.map((c) => `${c.name} ${c.type.raw}${c.nullable ? '' : ' not null'}`),
        [`id ${integerType(engine)} not null`, `${A} varchar(40) not null`, `${X} text`, `c2 ${integerType(engine)} not null`]);
      assert.deepEqual(await indexList(p, T), [
        `${I}(${A},c2)`, `ix_we_ird_name_x_DROP_TABLE_users__16243365(${X})`, `uq_we_ird_name_a_b_c28b51aa(${A}) unique`,
        `uq_we_ird_name_c_d_e_a_b_0e29e193(c2,${A}) unique`,
      ]);
      assert.deepEqual(await p.query(`SELECT ${q(A)} AS a, ${q(X)} AS x, c2 FROM ${q(T)} ORDER BY id`), [
        { a: 'one', x: "it's; DROP TABLE users; --", c2: 0 }, { a: 'two', x: "it's; DROP TABLE users; --", c2: 0 },
      ]);
      assert.equal(opEvent(run, 'renameColumn', `${T}.${C} -> c2`).outcome, 'applied');
      assert.equal(run.events.find((e) => e.event === 'summary')!.rows, 2);
      await adoptAgain(p);
    }));
  });
}
