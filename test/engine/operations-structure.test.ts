/**
 * renameColumn, renameTable, dropColumn, dropTable and the keys (createIndex
 * / dropIndex, addUnique / dropUnique, addForeignKey / dropForeignKey) on
 * every engine. Keys are equivalent by shape: one an init script made under
 * its own name (or none) counts as present, and a drop by our name finds it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engines } from '../engines.ts';
import { defaultAction, pick, violation } from '../support/engine-sql.ts';
import { opLines, type TestProject } from '../support/project.ts';
import {
  adoptAgain, appExec, catalogTable, failsCleanly, foreignKeyList, indexList, opDetails, opEvent, tableNames, upOk, withProject,
} from '../support/scenario.ts';

const USERS = `await m.createTable('users', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  login: { type: 'string', length: 50, nullable: false },
}, { indexes: [{ columns: ['login'], name: 'ix_users_login' }] });`;

/** The name the engine gave the unique key on `columns`, read from the catalog (SQLite: sqlite_autoindex_…). */
async function uniqueName(p: TestProject, table: string, columns: string[]): Promise<string> {
  const found = (await catalogTable(p, table))!.indexes.find((i) => i.unique && i.columns.join() === columns.join());
  assert.ok(found, `no unique key on ${table} (${columns.join(', ')})`);
  return found.name;
}

for (const engine of engines) {
  describe(`${engine.name}: renameColumn and renameTable`, () => {
    test(`${engine.name}: renameColumn keeps the data and the index; skipped once renamed`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: USERS });
      await upOk(p);
      await p.exec(`INSERT INTO users (login) VALUES ('al'), ('bo')`);
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.renameColumn('users', 'login', 'username');` });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied renameColumn users.login -> username']);
      assert.deepEqual(await p.query('SELECT id, username FROM users ORDER BY id'), [{ id: 1, username: 'al' }, { id: 2, username: 'bo' }]);
      assert.deepEqual(await indexList(p, 'users'), ['ix_users_login(username)']);
      // Adoption: the old createTable meets the renamed column, which the later rename settles.
      await adoptAgain(p, [
        'skipped createTable users — exists; left to a later migration: users.login missing; users.username not declared',
        'skipped renameColumn users.login -> username — already renamed (username exists, login absent)',
      ]);
    }));

    test(`${engine.name}: renameTable keeps the data and the foreign keys that reference it; skipped once renamed`, () => withProject(engine, async (p) => {
      await p.write({
        revision: 'r1',
        up: `await m.createTable('grp', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50 } });
             await m.createTable('members', { id: { type: 'integer', primaryKey: true }, grp_id: { type: 'integer' } },
               { foreignKeys: [{ columns: ['grp_id'], references: { table: 'grp', columns: ['id'] }, name: 'fk_members_grp' }] });`,
      });
      await upOk(p);
      await p.exec(`INSERT INTO grp (id, name) VALUES (1, 'admin')`);
      await p.exec('INSERT INTO members (id, grp_id) VALUES (1, 1)');
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.renameTable('grp', 'groups');` });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied renameTable grp -> groups']);
      assert.deepEqual(await tableNames(p), ['groups', 'members']);
      assert.deepEqual(await p.query('SELECT id, name FROM groups'), [{ id: 1, name: 'admin' }]);
      // No onDelete declared: the engine's own word for it (MariaDB's catalog says RESTRICT).
      assert.deepEqual(await foreignKeyList(p, 'members'), [`fk_members_grp(grp_id) -> groups(id) on delete ${defaultAction(engine)}`]);
      await assert.rejects(appExec(p, 'INSERT INTO members (id, grp_id) VALUES (2, 9)'), violation(engine, 'foreignKey'));
      await adoptAgain(p, [
        'skipped createTable grp — exists as groups, which a later migration renames it to',
        'skipped createTable members — exists',
        'skipped renameTable grp -> groups — already renamed (groups exists, grp absent)',
      ]);
    }));

    const conflicts = [
      {
        what: 'renameColumn when both columns exist', ddl: 'CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT, username TEXT)',
        body: `await m.renameColumn('users', 'login', 'username');`, target: 'users.login -> username',
        message: 'renameColumn users.login -> username: both users.login and users.username exist', hint: /copy what you need into username, drop login/,
      },
      {
        what: 'renameColumn when neither column exists', ddl: 'CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT)',
        body: `await m.renameColumn('users', 'login', 'username');`, target: 'users.login -> username',
        message: 'renameColumn users.login -> username: neither users.login nor users.username exists', hint: /add login in an earlier migration/,
      },
      {
        what: 'renameTable when both tables exist', ddl: 'CREATE TABLE grp (id INTEGER PRIMARY KEY); CREATE TABLE groups (id INTEGER PRIMARY KEY)',
        body: `await m.renameTable('grp', 'groups');`, target: 'grp -> groups',
        message: 'renameTable grp -> groups: both grp and groups exist', hint: /drop or rename one of them by hand/,
      },
      {
        what: 'renameTable when neither table exists', ddl: 'CREATE TABLE other (id INTEGER PRIMARY KEY)',
        body: `await m.renameTable('grp', 'groups');`, target: 'grp -> groups',
        message: 'renameTable grp -> groups: neither grp nor groups exists', hint: /create grp in an earlier migration/,
      },
    ];
    for (const c of conflicts) {
      test(`${engine.name}: ${c.what} is an error that says so, with a hint; nothing changes`, () => withProject(engine, async (p) => {
        for (const statement of c.ddl.split(';')) await p.exec(statement);
        await p.exec(`INSERT INTO ${c.ddl.match(/CREATE TABLE (\w+)/)![1]} (id) VALUES (1)`);
        await p.write({ revision: 'r1', up: c.body });
        const error = await failsCleanly(p);
        assert.equal(error.code, 'OPERATION_FAILED');
        assert.equal(error.message, c.message);
        assert.deepEqual([error.revision, error.op, error.target], ['r1', c.body.match(/m\.(\w+)/)![1], c.target]);
        assert.match(String(error.hint), c.hint);
        const human = await p.cli(['up']);
        assert.equal(human.code, 1);
        assert.match(human.stderr, new RegExp(`error: r1 > .*${c.message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
        assert.match(human.stderr, /hint: /);
      }));
    }
  });

  describe(`${engine.name}: dropColumn and dropTable`, () => {
    test(`${engine.name}: dropTable drops; skipped when absent`, () => withProject(engine, async (p) => {
      await p.exec('CREATE TABLE legacy (id INTEGER PRIMARY KEY)');
      await p.exec('CREATE TABLE keep (id INTEGER PRIMARY KEY)');
      await p.write({ revision: 'r1', up: `await m.dropTable('legacy');\nawait m.dropTable('never_was');` });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied dropTable legacy', 'skipped dropTable never_was — absent']);
      assert.deepEqual(await tableNames(p), ['keep']);
      await adoptAgain(p, ['skipped dropTable legacy — absent', 'skipped dropTable never_was — absent']);
    }));

    test(`${engine.name}: dropColumn drops an indexed column with its indexes and keeps the rest; skipped when absent`, () => withProject(engine, async (p) => {
      // VARCHAR: an index on two TEXT columns is longer than MariaDB's 3072-byte key limit.
      await p.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100), legacy VARCHAR(100))');
      await p.exec('CREATE INDEX users_legacy_idx ON users (legacy)');
      await p.exec('CREATE INDEX users_email_legacy_idx ON users (email, legacy)');
      await p.exec('CREATE INDEX users_email_idx ON users (email)');
      await p.exec(`INSERT INTO users (id, email, legacy) VALUES (1, 'a@x', 'l1'), (2, 'b@x', 'l2')`);
      await p.write({
        revision: 'r1',
        up: `await m.dropColumn('users', 'legacy');\nawait m.dropColumn('users', 'never_was');\nawait m.dropColumn('nope', 'x');`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        'applied dropColumn users.legacy', 'skipped dropColumn users.never_was — absent', 'skipped dropColumn nope.x — table nope absent',
      ]);
      assert.deepEqual((await catalogTable(p, 'users'))!.columns.map((c) => c.name), ['id', 'email']);
      assert.deepEqual(await indexList(p, 'users'), ['users_email_idx(email)']);
      assert.deepEqual(await p.query('SELECT * FROM users ORDER BY id'), [{ id: 1, email: 'a@x' }, { id: 2, email: 'b@x' }]);
      await adoptAgain(p);
    }));

    test(`${engine.name}: dropColumn of a column in a unique constraint or a foreign key keeps the other data and keys`, () => withProject(engine, async (p) => {
      await p.exec('CREATE TABLE teams (id INTEGER PRIMARY KEY)');
      await p.exec(`CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, a INTEGER, b INTEGER,
        team_id INTEGER REFERENCES teams (id), owner_id INTEGER REFERENCES users (id) ON DELETE CASCADE, CONSTRAINT users_a_b_key UNIQUE (a, b))`);
      await p.exec('CREATE INDEX users_b_idx ON users (b)');
      await p.exec('INSERT INTO teams (id) VALUES (1)');
      await p.exec(`INSERT INTO users (id, email, a, b, team_id, owner_id) VALUES (1, 'a@x', 1, 1, 1, NULL), (2, 'b@x', 1, 2, NULL, 1)`);
      await p.write({ revision: 'r1', up: `await m.dropColumn('users', 'a');\nawait m.dropColumn('users', 'team_id');` });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied dropColumn users.a', 'applied dropColumn users.team_id']);
      assert.deepEqual(await p.query('SELECT * FROM users ORDER BY id'), [
        { id: 1, email: 'a@x', b: 1, owner_id: null }, { id: 2, email: 'b@x', b: 2, owner_id: 1 },
      ]);
      // InnoDB indexes every foreign key; for the unnamed one on owner_id it made one named after the column.
      const ownerIndex = pick(engine, { sqlite: [], postgres: [], mariadb: ['owner_id(owner_id)'] });
      assert.deepEqual(await indexList(p, 'users'), [`${await uniqueName(p, 'users', ['email'])}(email) unique`, 'users_b_idx(b)', ...ownerIndex].sort());
      // The name the engine gave the key when the init script gave it none (SQLite keeps none).
      const ownerKey = pick(engine, { sqlite: '(unnamed)', postgres: 'users_owner_id_fkey', mariadb: 'users_ibfk_2' });
      assert.deepEqual(await foreignKeyList(p, 'users'), [`${ownerKey}(owner_id) -> users(id) on delete cascade`]);
      await assert.rejects(appExec(p, `INSERT INTO users (id, email) VALUES (3, 'a@x')`), violation(engine, 'unique'));
      await appExec(p, 'DELETE FROM users WHERE id = 1');
      assert.deepEqual(await p.query('SELECT id FROM users'), [], 'the cascade still works');
      await adoptAgain(p);
    }));
  });

  describe(`${engine.name}: indexes, unique constraints and foreign keys`, () => {
    const BASE = `CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, p_id INTEGER)`;
    const setup = async (p: TestProject, ...ddl: string[]) => {
      await p.exec('CREATE TABLE p (id INTEGER PRIMARY KEY)');
      for (const statement of ddl.length ? ddl : [BASE]) await p.exec(statement);
      await p.exec('INSERT INTO p (id) VALUES (1), (2)');
      await p.exec('INSERT INTO t (id, a, b, p_id) VALUES (1, 1, 1, 1), (2, 1, 2, 2)');
    };

    test(`${engine.name}: createIndex, addUnique, addForeignKey are applied, then skipped by name`, () => withProject(engine, async (p) => {
      await setup(p);
      await p.write({
        revision: 'r1',
        up: `await m.createIndex('t', ['a']);
             await m.createIndex('t', ['a', 'b'], { name: 'ix_t_ab', unique: true });
             await m.addUnique('t', ['b', 'p_id']);
             await m.addForeignKey('t', ['p_id'], 'p', ['id'], { name: 'fk_t_p', onDelete: 'cascade' });`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        'applied createIndex t.ix_t_a', 'applied createIndex t.ix_t_ab', 'applied addUnique t.uq_t_b_p_id', 'applied addForeignKey t.fk_t_p',
      ]);
      // InnoDB indexes a foreign key no index leads with its columns, under the key's name.
      assert.deepEqual(await indexList(p, 't'), [
        ...pick(engine, { sqlite: [], postgres: [], mariadb: ['fk_t_p(p_id)'] }), 'ix_t_a(a)', 'ix_t_ab(a,b) unique', 'uq_t_b_p_id(b,p_id) unique',
      ]);
      assert.deepEqual(await foreignKeyList(p, 't'), ['fk_t_p(p_id) -> p(id) on delete cascade']);
      assert.deepEqual(await p.query('SELECT * FROM t ORDER BY id'), [{ id: 1, a: 1, b: 1, p_id: 1 }, { id: 2, a: 1, b: 2, p_id: 2 }]);
      await assert.rejects(appExec(p, 'INSERT INTO t (id, a, b) VALUES (3, 1, 1)'), violation(engine, 'unique'));
      await assert.rejects(appExec(p, 'INSERT INTO t (id, a, b, p_id) VALUES (3, 5, 5, 9)'), violation(engine, 'foreignKey'));
      await appExec(p, 'DELETE FROM p WHERE id = 2');
      assert.deepEqual(await p.query('SELECT id FROM t'), [{ id: 1 }]);
      await adoptAgain(p, [
        'skipped createIndex t.ix_t_a — exists', 'skipped createIndex t.ix_t_ab — exists', 'skipped addUnique t.uq_t_b_p_id — exists', 'skipped addForeignKey t.fk_t_p — exists',
      ]);
    }));

    test(`${engine.name}: keys made by hand under other names (or none) count as present: skipped with their name, never duplicated`, () => withProject(engine, async (p) => {
      // `REFERENCES p` means p's primary key in standard SQL; MariaDB needs the columns named.
      await setup(p, `CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, p_id INTEGER REFERENCES p (id), c INTEGER, d INTEGER,
        e INTEGER, UNIQUE (a, b), CONSTRAINT t_c_key UNIQUE (c), CONSTRAINT t_d_fkey FOREIGN KEY (d) REFERENCES p (id),
        FOREIGN KEY (e) REFERENCES p${pick(engine, { sqlite: '', postgres: '', mariadb: ' (id)' })})`,
      'CREATE INDEX t_b_idx ON t (b)', 'CREATE UNIQUE INDEX t_d_e_idx ON t (d, e)');
      const unnamed = await uniqueName(p, 't', ['a', 'b']);
      const before = await p.fingerprint();
      await p.write({
        revision: 'r1',
        up: `await m.createIndex('t', ['b'], { name: 'ix_t_b' });
             await m.createIndex('t', ['c'], { name: 'ix_t_c', unique: true });
             await m.addUnique('t', ['b', 'a'], { name: 'uq_t_ab' });
             await m.addUnique('t', ['c']);
             await m.addUnique('t', ['d', 'e']);
             await m.addUnique('t', ['id']);
             await m.addForeignKey('t', ['p_id'], 'p', ['id'], { name: 'fk_t_p' });
             await m.addForeignKey('t', ['d'], 'p', ['id'], { name: 'fk_t_d' });
             await m.addForeignKey('t', ['e'], 'p', ['id']);`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        'skipped createIndex t.ix_t_b — exists as t_b_idx',
        'skipped createIndex t.ix_t_c — exists as t_c_key',
        `skipped addUnique t.uq_t_ab — exists as ${unnamed}`,
        'skipped addUnique t.uq_t_c — exists as t_c_key',
        'skipped addUnique t.uq_t_d_e — exists as t_d_e_idx',
        'skipped addUnique t.uq_t_id — the primary key already is unique on these columns',
        `skipped addForeignKey t.fk_t_p — ${pick(engine, { sqlite: 'exists (unnamed)', postgres: 'exists as t_p_id_fkey', mariadb: 'exists as t_ibfk_1' })}`,
        'skipped addForeignKey t.fk_t_d — exists as t_d_fkey',
        `skipped addForeignKey t.fk_t_e_p — ${pick(engine, { sqlite: 'exists (unnamed)', postgres: 'exists as t_e_fkey', mariadb: 'exists as t_ibfk_2' })}`,
      ]);
      assert.equal(await p.fingerprint(), before, 'nothing was added');
      await adoptAgain(p);
    }));

    const drifts = [
      {
        kind: 'createIndex', ddl: 'CREATE INDEX ix_t ON t (b)', body: `await m.createIndex('t', ['a'], { name: 'ix_t' });`,
        differences: [{ object: 't.ix_t', field: 'columns', declared: ['a'], actual: ['b'] }],
      },
      {
        kind: 'createIndex', ddl: 'CREATE INDEX ix_t ON t (a)', body: `await m.createIndex('t', ['a'], { name: 'ix_t', unique: true });`,
        differences: [{ object: 't.ix_t', field: 'unique', declared: true, actual: false }],
      },
      {
        kind: 'addUnique', ddl: 'CREATE UNIQUE INDEX uq_t ON t (b)', body: `await m.addUnique('t', ['a', 'b'], { name: 'uq_t' });`,
        differences: [{ object: 't.uq_t', field: 'columns', declared: ['a', 'b'], actual: ['b'] }],
      },
      {
        kind: 'addForeignKey', ddl: 'CREATE TABLE t2 (id INTEGER PRIMARY KEY, p_id INTEGER, q_id INTEGER, CONSTRAINT fk_t2 FOREIGN KEY (q_id) REFERENCES t (id))',
        body: `await m.addForeignKey('t2', ['p_id'], 'p', ['id'], { name: 'fk_t2' });`,
        differences: [
          { object: 't2.fk_t2', field: 'columns', declared: ['p_id'], actual: ['q_id'] },
          { object: 't2.fk_t2', field: 'references', declared: 'p(id)', actual: 't(id)' },
        ],
      },
    ];
    for (const c of drifts) {
      test(`${engine.name}: ${c.kind} where the name exists with other columns is drift (${c.differences.map((d) => d.field).join(', ')})`, () => withProject(engine, async (p) => {
        await setup(p);
        await p.exec(c.ddl);
        await p.write({ revision: 'r1', up: c.body });
        const before = await p.fingerprint();
        const run = await upOk(p);
        const op = run.events.find((e) => e.event === 'op')!;
        assert.deepEqual([op.op, op.outcome], [c.kind, 'drift']);
        assert.deepEqual(op.differences, c.differences);
        assert.equal(await p.fingerprint(), before);
        await adoptAgain(p, opDetails(run));
      }));
    }

    test(`${engine.name}: a foreign key found by shape with another onDelete is drift, not present`, () => withProject(engine, async (p) => {
      await setup(p, 'CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, p_id INTEGER REFERENCES p (id))');
      await p.write({ revision: 'r1', up: `await m.addForeignKey('t', ['p_id'], 'p', ['id'], { name: 'fk_t_p', onDelete: 'cascade' });` });
      const run = await upOk(p);
      const op = opEvent(run, 'addForeignKey', 't.fk_t_p');
      assert.equal(op.outcome, 'drift');
      assert.deepEqual(op.differences, [{ object: 't.fk_t_p', field: 'onDelete', declared: 'cascade', actual: defaultAction(engine) }]);
      await adoptAgain(p, opDetails(run));
    }));

    test(`${engine.name}: dropIndex, dropUnique, dropForeignKey by name; skipped when absent`, () => withProject(engine, async (p) => {
      await setup(p);
      await p.write({
        revision: 'r1',
        up: `await m.createIndex('t', ['a'], { name: 'ix_t_a' });
             await m.addUnique('t', ['a', 'b'], { name: 'uq_t_ab' });
             await m.addForeignKey('t', ['p_id'], 'p', ['id'], { name: 'fk_t_p' });`,
      });
      await upOk(p);
      await p.write({
        revision: 'r2', revises: 'r1',
        up: `await m.dropIndex('t', 'ix_t_a');
             await m.dropUnique('t', 'uq_t_ab');
             await m.dropForeignKey('t', 'fk_t_p');
             await m.dropIndex('t', 'ix_never');
             await m.dropUnique('t', 'uq_never');
             await m.dropForeignKey('t', 'fk_never');
             await m.dropIndex('nope', 'ix_never');`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), [
        'applied dropIndex t.ix_t_a', 'applied dropUnique t.uq_t_ab', 'applied dropForeignKey t.fk_t_p',
        'skipped dropIndex t.ix_never — absent', 'skipped dropUnique t.uq_never — absent', 'skipped dropForeignKey t.fk_never — absent',
        'skipped dropIndex nope.ix_never — table nope absent',
      ]);
      assert.deepEqual(await indexList(p, 't'), []);
      assert.deepEqual(await foreignKeyList(p, 't'), []);
      assert.equal((await p.query('SELECT * FROM t')).length, 2);
      // Adoption leaves absent what r1 declares and r2 drops: nothing is made only to be dropped again.
      await adoptAgain(p, [
        'skipped createIndex t.ix_t_a — absent; dropped later by r2', 'skipped addUnique t.uq_t_ab — absent; dropped later by r2',
        'skipped addForeignKey t.fk_t_p — absent; dropped later by r2',
        'skipped dropIndex t.ix_t_a — absent', 'skipped dropUnique t.uq_t_ab — absent', 'skipped dropForeignKey t.fk_t_p — absent',
        'skipped dropIndex t.ix_never — absent', 'skipped dropUnique t.uq_never — absent', 'skipped dropForeignKey t.fk_never — absent',
        'skipped dropIndex nope.ix_never — table nope absent',
      ]);
    }));

    // A key made by hand, adopted by a migration under our name, then dropped by that name.
    const handMade = [
      {
        kind: 'index', ddl: [BASE, 'CREATE INDEX t_a_b_idx ON t (a, b)'], add: `await m.createIndex('t', ['a', 'b'], { name: 'ix_t' });`,
        drop: `await m.dropIndex('t', 'ix_t');`, addOp: 'createIndex t.ix_t', dropOp: 'dropIndex t.ix_t',
        existing: async () => 't_a_b_idx', gone: async (p: TestProject) => assert.deepEqual(await indexList(p, 't'), []),
      },
      {
        kind: 'unique constraint', ddl: ['CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, p_id INTEGER, UNIQUE (a, b))'],
        add: `await m.addUnique('t', ['a', 'b'], { name: 'uq_t' });`, drop: `await m.dropUnique('t', 'uq_t');`,
        addOp: 'addUnique t.uq_t', dropOp: 'dropUnique t.uq_t',
        existing: (p: TestProject) => uniqueName(p, 't', ['a', 'b']),
        gone: async (p: TestProject) => {
          assert.deepEqual(await indexList(p, 't'), []);
          await appExec(p, 'INSERT INTO t (id, a, b) VALUES (3, 1, 1)');
          await p.exec('DELETE FROM t WHERE id = 3');
        },
      },
      {
        kind: 'foreign key', ddl: ['CREATE TABLE t (id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, p_id INTEGER REFERENCES p (id))'],
        add: `await m.addForeignKey('t', ['p_id'], 'p', ['id'], { name: 'fk_t_p' });`, drop: `await m.dropForeignKey('t', 'fk_t_p');`,
        addOp: 'addForeignKey t.fk_t_p', dropOp: 'dropForeignKey t.fk_t_p',
        // The name the engine gave the key the init script left unnamed (SQLite keeps none).
        existing: async () => pick(engine, { sqlite: null, postgres: 't_p_id_fkey', mariadb: 't_ibfk_1' }),
        gone: async (p: TestProject) => {
          assert.deepEqual(await foreignKeyList(p, 't'), []);
          await appExec(p, 'INSERT INTO t (id, p_id) VALUES (3, 99)');
          await p.exec('DELETE FROM t WHERE id = 3');
        },
      },
    ];
    test(`${engine.name}: columns declared unique: true, adopted over hand-made UNIQUE keys, are dropped by dropUnique under our names`, () => withProject(engine, async (p) => {
      await p.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100) UNIQUE, api_key VARCHAR(64) UNIQUE, nick VARCHAR(20) UNIQUE)');
      await p.exec(`INSERT INTO users (id, email, api_key, nick) VALUES (1, 'a@x', 'k1', 'al'), (2, 'b@x', 'k2', 'bo')`);
      await p.write({ revision: 'r1', up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 100, unique: true } });` });
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.addColumn('users', 'api_key', { type: 'string', length: 64, unique: true });` });
      await p.write({ revision: 'r3', revises: 'r2', up: `await m.addColumn('users', 'nick', { type: 'string', length: 20 });\nawait m.alterColumn('users', 'nick', { unique: true });` });
      const adopted = await upOk(p, '--strict');
      assert.deepEqual(opLines(adopted), ['skipped createTable users', 'skipped addColumn users.api_key', 'skipped addColumn users.nick', 'skipped alterColumn users.nick']);
      await p.write({
        revision: 'r4', revises: 'r3',
        up: `await m.dropUnique('users', 'uq_users_email');\nawait m.dropUnique('users', 'uq_users_api_key');\nawait m.dropUnique('users', 'uq_users_nick');`,
      });
      const run = await upOk(p, '--strict');
      // Found under the engine's names (SQLite renumbers its autoindexes after each rebuild).
      const lines = opDetails(run);
      assert.equal(lines.length, 3, lines.join('\n'));
      ['email', 'api_key', 'nick'].forEach((column, i) => assert.match(lines[i]!, new RegExp(`^applied dropUnique users\\.uq_users_${column} — found as (?!uq_)\\S+$`)));
      assert.deepEqual(await indexList(p, 'users'), []);
      assert.deepEqual(await p.query('SELECT email, api_key, nick FROM users ORDER BY id'), [
        { email: 'a@x', api_key: 'k1', nick: 'al' }, { email: 'b@x', api_key: 'k2', nick: 'bo' },
      ]);
    }));

    for (const c of handMade) {
      const found = (name: string | null) => (name === null ? 'found unnamed by its columns' : `found as ${name}`);
      const exists = (name: string | null) => (name === null ? 'exists (unnamed)' : `exists as ${name}`);

      test(`${engine.name}: a hand-made ${c.kind} adopted in one run is dropped by our name in the same run`, () => withProject(engine, async (p) => {
        await setup(p, ...c.ddl);
        const name = await c.existing(p);
        await p.write({ revision: 'r1', up: c.add });
        await p.write({ revision: 'r2', revises: 'r1', up: c.drop });
        const run = await upOk(p, '--strict');
        assert.deepEqual(opDetails(run), [`skipped ${c.addOp} — ${exists(name)}`, `applied ${c.dropOp} — ${found(name)}`]);
        assert.deepEqual(await p.query('SELECT id, a, b, p_id FROM t ORDER BY id'), [{ id: 1, a: 1, b: 1, p_id: 1 }, { id: 2, a: 1, b: 2, p_id: 2 }]);
        await c.gone(p);
        // Adoption: r1's key is absent and r2 drops it, so it is left absent.
        await adoptAgain(p, [`skipped ${c.addOp} — absent; dropped later by r2`, `skipped ${c.dropOp} — absent`]);
      }));

      test(`${engine.name}: a hand-made ${c.kind} adopted by one run is dropped by our name in a later run (the version table keeps the shape)`, () => withProject(engine, async (p) => {
        await setup(p, ...c.ddl);
        const name = await c.existing(p);
        await p.write({ revision: 'r1', up: c.add });
        assert.deepEqual(opDetails(await upOk(p)), [`skipped ${c.addOp} — ${exists(name)}`]);
        await p.write({ revision: 'r2', revises: 'r1', up: c.drop });
        const run = await upOk(p, '--strict');
        assert.deepEqual(opDetails(run), [`applied ${c.dropOp} — ${found(name)}`]);
        await c.gone(p);
      }));

      test(`${engine.name}: a hand-made ${c.kind} adopted by up() is dropped by down()`, () => withProject(engine, async (p) => {
        await setup(p, ...c.ddl);
        const name = await c.existing(p);
        await p.write({ revision: 'r1', up: c.add, down: c.drop });
        await upOk(p);
        const down = await p.cli(['--json', 'down', 'base']);
        assert.equal(down.code, 0, down.stdout);
        assert.deepEqual(opDetails(down), [`applied ${c.dropOp} — ${found(name)}`]);
        assert.deepEqual(await p.recorded(), []);
        await c.gone(p);
        const again = await p.cli(['--json', 'down', 'base']);
        assert.deepEqual([again.code, opDetails(again)], [0, []]);
      }));
    }
  });
}
