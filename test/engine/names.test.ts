/**
 * Names as each engine resolves them, referential actions as a closed list,
 * and the names idem generates, on every engine.
 *
 * - Case: SQLite matches table and column names without regard to ASCII case;
 *   MySQL/MariaDB columns too, and tables as lower_case_table_names says
 *   (read from the server here); PostgreSQL's quoted names are exact. A name
 *   met in another case is what the engine says it is: the same object
 *   (`exists as Users`) or another one.
 * - Actions: any case and spacing of the five actions, spelled one way and
 *   compared with the catalog that way, so a re-run or an adoption is no drift.
 * - Generated names: distinct (table, columns) never share one, however
 *   the readable form would collide.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engines, type Engine } from '../engines.ts';
import { appExec, adoptAgain, foreignKeyList, indexList, opDetails, tableNames, upOk, withProject } from '../support/scenario.ts';
import { pick } from '../support/engine-sql.ts';
import type { TestProject } from '../support/project.ts';

/** Whether the engine resolves table names without regard to case (MariaDB: as the server's lower_case_table_names says). */
async function tablesFoldCase(p: TestProject): Promise<boolean> {
  if (p.engine.name !== 'mariadb') return p.engine.name === 'sqlite';
  const [row] = await p.query<{ v: number | string }>('SELECT @@lower_case_table_names AS v');
  return Number(row!.v) !== 0;
}

const columnsFoldCase = (engine: Engine): boolean => pick(engine, { sqlite: true, postgres: false, mariadb: true });

/** A table with the columns given as SQL, created by an init script (not by idem). */
const initTable = (p: TestProject, ddl: string) => p.exec(ddl);

for (const engine of engines) {
  describe(`${engine.name}: names in another case`, () => {
    test(`${engine.name}: createTable users meets an init script's Users as the engine resolves the name`, () => withProject(engine, async (p) => {
      await initTable(p, `CREATE TABLE ${engine.name === 'mariadb' ? '`Users`' : '"Users"'} (id INTEGER PRIMARY KEY, email VARCHAR(100))`);
      await p.write({
        revision: 'r1',
        up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 100 } });`,
      });
      const run = await upOk(p, '--strict');
      if (await tablesFoldCase(p)) {
        assert.deepEqual(opDetails(run), ['skipped createTable users — exists as Users']);
        assert.deepEqual(await tableNames(p), ['Users']);
      } else {
        assert.deepEqual(opDetails(run), ['applied createTable users']);
        assert.deepEqual(await tableNames(p), ['Users', 'users']);
      }
      await adoptAgain(p);
    }));

    test(`${engine.name}: addColumn users.nickname meets NickName as the engine resolves column names`, () => withProject(engine, async (p) => {
      await p.write({ revision: 'r1', up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true } });` });
      await upOk(p);
      await p.exec(`ALTER TABLE users ADD ${engine.name === 'mariadb' ? '`NickName`' : '"NickName"'} VARCHAR(40)`);
      await p.write({ revision: 'r2', revises: 'r1', up: `await m.addColumn('users', 'nickname', { type: 'string', length: 40 });` });
      const run = await upOk(p, '--strict');
      if (columnsFoldCase(engine)) {
        assert.deepEqual(opDetails(run), ['skipped addColumn users.nickname — exists as users.NickName']);
        // Adopted, the first createTable leaves NickName to the addColumn that declares it.
        await adoptAgain(p);
      } else {
        assert.deepEqual(opDetails(run), ['applied addColumn users.nickname']);
        const columns = await p.query<{ n: string }>(`SELECT column_name AS n FROM information_schema.columns WHERE table_name = 'users'`);
        assert.deepEqual(columns.map((c) => c.n).sort(), ['NickName', 'id', 'nickname']);
      }
    }));

    test(`${engine.name}: a case-only renameTable and renameColumn apply, then are skipped`, () => withProject(engine, async (p) => {
      await p.write({
        revision: 'r1',
        up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true }, nickname: { type: 'string', length: 40 } });
             await m.createIndex('users', ['nickname']);`,
      });
      await upOk(p);
      await p.exec(`INSERT INTO users (id, nickname) VALUES (1, 'al')`);
      await p.write({
        revision: 'r2', revises: 'r1',
        up: `await m.renameTable('users', 'Users');
             await m.renameColumn('Users', 'nickname', 'NickName');`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['applied renameTable users -> Users', 'applied renameColumn Users.nickname -> NickName']);
      assert.deepEqual(await tableNames(p), ['Users']);
      const q = (name: string) => (engine.name === 'mariadb' ? `\`${name}\`` : `"${name}"`);
      assert.deepEqual(await p.query(`SELECT id, ${q('NickName')} AS n FROM ${q('Users')}`), [{ id: 1, n: 'al' }]);
      assert.deepEqual(await indexList(p, 'Users'), ['ix_users_nickname(NickName)']);
      await adoptAgain(p, [
        // SQLite finds `users` as Users itself; elsewhere the later rename says where it went.
        engine.name === 'sqlite' ? 'skipped createTable users — exists as Users' : 'skipped createTable users — exists as Users, which a later migration renames it to',
        'skipped createIndex users.ix_users_nickname — exists',
        'skipped renameTable users -> Users — already renamed (Users exists, users absent)',
        'skipped renameColumn Users.nickname -> NickName — already renamed (NickName exists, nickname absent)',
      ]);
    }));
  });

  describe(`${engine.name}: referential actions`, () => {
    test(`${engine.name}: 'CASCADE' and ' Set  Null ' are the actions cascade and set null; a re-run and an adoption are no drift`, () => withProject(engine, async (p) => {
      await p.write({
        revision: 'r1',
        up: `await m.createTable('p', { id: { type: 'integer', primaryKey: true } });
             await m.createTable('d', { id: { type: 'integer', primaryKey: true }, p_id: { type: 'integer' }, q_id: { type: 'integer' } },
               { foreignKeys: [{ columns: ['q_id'], references: { table: 'p', columns: ['id'] }, onDelete: ' Set  Null ' }] });
             await m.addForeignKey('d', ['p_id'], 'p', ['id'], { onDelete: 'CASCADE', onUpdate: 'No Action' });`,
      });
      await upOk(p, '--strict');
      assert.deepEqual(await foreignKeyList(p, 'd'), ['fk_d_p_id_p(p_id) -> p(id) on delete cascade', 'fk_d_q_id_p(q_id) -> p(id) on delete set null']);
      await appExec(p, 'INSERT INTO p (id) VALUES (1)');
      await appExec(p, 'INSERT INTO d (id, p_id, q_id) VALUES (1, 1, 1)');
      await appExec(p, 'DELETE FROM p WHERE id = 1');
      assert.deepEqual(await p.query('SELECT id FROM d'), [], 'the cascade works');
      await adoptAgain(p, ['skipped createTable p — exists', 'skipped createTable d — exists', 'skipped addForeignKey d.fk_d_p_id_p — exists']);
    }));

    test(`${engine.name}: a key an init script made with ON DELETE CASCADE is adopted under 'CASCADE', no drift`, () => withProject(engine, async (p) => {
      await p.exec('CREATE TABLE p (id INTEGER PRIMARY KEY)');
      await p.exec('CREATE TABLE d (id INTEGER PRIMARY KEY, p_id INTEGER, CONSTRAINT d_p_fk FOREIGN KEY (p_id) REFERENCES p (id) ON DELETE CASCADE ON UPDATE SET NULL)');
      await p.write({ revision: 'r1', up: `await m.addForeignKey('d', ['p_id'], 'p', ['id'], { onDelete: 'CASCADE', onUpdate: 'SET NULL' });` });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run), ['skipped addForeignKey d.fk_d_p_id_p — exists as d_p_fk']);
    }));
  });

  describe(`${engine.name}: generated names`, () => {
    test(`${engine.name}: user(group_id) and user_group(id) get distinct index and key names; plan predicts the run`, () => withProject(engine, async (p) => {
      await p.write({
        revision: 'r1',
        up: `await m.createTable('grp', { id: { type: 'integer', primaryKey: true } });
             await m.createTable('user', { id: { type: 'integer', primaryKey: true }, group_id: { type: 'integer' } });
             await m.createTable('user_group', { id: { type: 'integer' } });
             await m.createIndex('user', ['group_id']);
             await m.createIndex('user_group', ['id']);
             await m.addForeignKey('user', ['group_id'], 'grp', ['id']);
             await m.addForeignKey('user_group', ['id'], 'grp', ['id']);`,
      });
      const plan = await p.cli(['--json', 'plan']);
      assert.equal(plan.code, 0, plan.stdout + plan.stderr);
      const run = await upOk(p, '--strict');
      const lines = opDetails(run);
      assert.deepEqual(opDetails(plan), lines, 'plan predicts the run');
      assert.ok(lines.every((l) => l.startsWith('applied ')), lines.join('\n'));
      const [userIndex, groupIndex] = [(await indexList(p, 'user'))[0]!, (await indexList(p, 'user_group'))[0]!];
      assert.equal(userIndex, 'ix_user_group_id(group_id)', 'the first keeps the readable name');
      assert.match(groupIndex, /^ix_user_group_id_[0-9a-f]{8}\(id\)$/);
      const [userKey, groupKey] = [(await foreignKeyList(p, 'user'))[0]!, (await foreignKeyList(p, 'user_group'))[0]!];
      assert.match(userKey, /^fk_user_group_id_grp\(group_id\)/);
      assert.match(groupKey, /^fk_user_group_id_grp_[0-9a-f]{8}\(id\)/);
      await adoptAgain(p);
    }));

    test(`${engine.name}: t(a_b) and t(a, b) on one table get distinct index names, not drift`, () => withProject(engine, async (p) => {
      await p.write({
        revision: 'r1',
        up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true }, a_b: { type: 'integer' }, a: { type: 'integer' }, b: { type: 'integer' } });
             await m.createIndex('t', ['a_b']);
             await m.createIndex('t', ['a', 'b']);`,
      });
      const run = await upOk(p, '--strict');
      assert.deepEqual(opDetails(run).slice(0, 2), ['applied createTable t', 'applied createIndex t.ix_t_a_b']);
      assert.match(opDetails(run)[2]!, /^applied createIndex t\.ix_t_a_b — as ix_t_a_b_[0-9a-f]{8}: ix_t_a_b is taken$/);
      const indexes = await indexList(p, 't');
      assert.equal(indexes.length, 2, indexes.join('\n'));
      assert.equal(indexes[0], 'ix_t_a_b(a_b)');
      await adoptAgain(p);
    }));

    test(`${engine.name}: non-ASCII names and a-b against a_b get names of their own`, () => withProject(engine, async (p) => {
      await p.write({
        revision: 'r1',
        up: `await m.createTable('p', { id: { type: 'integer', primaryKey: true } });
             for (const t of ['ключ', 'знач', 'a-b', 'a_b']) {
               await m.createTable(t, { id: { type: 'integer', primaryKey: true }, p_id: { type: 'integer' }, 'имя': { type: 'integer' } });
               await m.createIndex(t, ['имя']);
               await m.createIndex(t, ['p_id']);
               await m.addForeignKey(t, ['p_id'], 'p', ['id']);
             }`,
      });
      const run = await upOk(p, '--strict');
      const names = opDetails(run).filter((l) => !l.includes('createTable')).map((l) => l.split('.').slice(1).join('.'));
      assert.equal(new Set(names).size, names.length, `every generated name is distinct:\n${names.join('\n')}`);
      assert.ok(names.includes('ix_a_b_p_id') && names.includes('fk_a_b_p_id_p'), 'a_b keeps its readable names');
      await adoptAgain(p);
    }));
  });
}
