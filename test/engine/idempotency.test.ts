/**
 * The core promise, per engine: up twice converges (the second run does
 * nothing), adoption of tables an init script created, drift reported and
 * failing under --strict, a failure mid-migration rolls back and a re-run
 * converges, down/up round trips.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { engines } from '../engines.ts';
import { autoIncrementInteger, autoIncrementKey, declaredString } from '../support/engine-sql.ts';
import { opLines, outcomes, TestProject } from '../support/project.ts';

const USERS = `
await m.createTable('users', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  email: { type: 'string', length: 100, nullable: false, unique: true },
  role: { type: 'string', length: 20, nullable: false, default: 'user' },
});`;

const GROUPS = `
await m.createTable('groups', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  name: { type: 'string', length: 50, nullable: false, unique: true },
});
await m.createTable('user_groups', {
  user_id: { type: 'integer', nullable: false },
  group_id: { type: 'integer', nullable: false },
}, {
  primaryKey: ['user_id', 'group_id'],
  foreignKeys: [
    { columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade' },
    { columns: ['group_id'], references: { table: 'groups', columns: ['id'] }, onDelete: 'cascade' },
  ],
});
await m.executeIf({
  description: 'create the admin group',
  sql: "INSERT INTO groups (name) VALUES ('admin')",
  condition: "SELECT COUNT(*) = 0 FROM groups WHERE name = 'admin'",
});
await m.executeIf({
  description: 'move admins into the admin group',
  sql: \`INSERT INTO user_groups (user_id, group_id)
        SELECT u.id, g.id FROM users u CROSS JOIN groups g
        WHERE u.role = ? AND g.name = 'admin'
        AND NOT EXISTS (SELECT 1 FROM user_groups ug WHERE ug.user_id = u.id AND ug.group_id = g.id)\`,
  params: ['admin'],
  condition: \`SELECT COUNT(*) > 0 FROM users u CROSS JOIN groups g
        WHERE u.role = ? AND g.name = 'admin'
        AND NOT EXISTS (SELECT 1 FROM user_groups ug WHERE ug.user_id = u.id AND ug.group_id = g.id)\`,
  conditionParams: ['admin'],
});`;

const API_KEY = `await m.addColumn('users', 'api_key', { type: 'string', length: 255, nullable: true, unique: true });`;

for (const engine of engines) {
  describe(`${engine.name}: idempotency`, () => {
    let p: TestProject;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({ revision: 'a1', up: USERS, down: `await m.dropTable('users');` });
      await p.write({ revision: 'a2', revises: 'a1', up: GROUPS, down: `await m.dropTable('user_groups'); await m.dropTable('groups');` });
      await p.write({ revision: 'a3', revises: 'a2', up: API_KEY, down: `await m.dropColumn('users', 'api_key');` });
    });
    after(() => p.dispose());

    test(`${engine.name}: up twice — the second run has nothing to do and changes nothing`, async () => {
      const first = await p.cli(['--json', 'up']);
      assert.equal(first.code, 0, first.stderr);
      // No admin exists yet: the guarded data migration's condition is false.
      assert.deepEqual(opLines(first).filter((l) => !l.startsWith('applied')), ['skipped executeIf move admins into the admin group']);
      assert.deepEqual(await p.recorded(), ['a1', 'a2', 'a3']);
      const before = await p.fingerprint({ includeVersionTable: true });
      const second = await p.cli(['--json', 'up']);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(second.events.map((e) => e.event), ['done']);
      assert.equal(second.events[0]!.migrations, 0);
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before);
    });

    test(`${engine.name}: with the version table emptied, every operation is skipped and no row is duplicated`, async () => {
      await p.exec(`INSERT INTO users (email, role) VALUES ('root@x', 'admin')`);
      const withAdmin = await p.cli(['--json', 'up', '--strict']);
      assert.equal(withAdmin.code, 0);
      await p.exec('DELETE FROM idem_version');
      // The admin is not in the admin group yet: the guarded data migration must run once.
      const adopt = await p.cli(['--json', 'up']);
      assert.equal(adopt.code, 0, adopt.stderr);
      assert.deepEqual(opLines(adopt).filter((l) => l.startsWith('applied')), ['applied executeIf move admins into the admin group']);
      const snapshot = await p.fingerprint();
      await p.exec('DELETE FROM idem_version');
      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(outcomes(again).every((o) => o === 'skipped'), opLines(again).join('\n'));
      assert.equal(await p.fingerprint(), snapshot);
      const links = await p.query<{ n: number }>('SELECT COUNT(*) AS n FROM user_groups');
      assert.equal(Number(links[0]!.n), 1);
    });

    test(`${engine.name}: down base then up round-trips to the same schema`, async () => {
      const headSchema = JSON.parse(await p.fingerprint());
      const down = await p.cli(['--json', 'down', 'base']);
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(await p.recorded(), []);
      assert.deepEqual(Object.keys(JSON.parse(await p.fingerprint())), []);
      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, again.stderr);
      const schema = JSON.parse(await p.fingerprint());
      for (const t of Object.keys(headSchema)) {
        assert.deepEqual({ ...schema[t], rows: undefined }, { ...headSchema[t], rows: undefined }, t);
      }
    });
  });

  describe(`${engine.name}: adoption`, () => {
    test(`${engine.name}: tables an init script created in their newest shape are adopted, with no drift`, async () => {
      const p = await TestProject.create(engine);
      try {
        await p.write({ revision: 'b1', up: USERS });
        await p.write({ revision: 'b2', revises: 'b1', up: API_KEY });
        await p.write({ revision: 'b3', revises: 'b2', up: `await m.alterColumn('users', 'email', { length: 255 });` });
        // As an ORM's create_all would: the newest shape, its own constraint names.
        await p.exec(`CREATE TABLE users (id ${autoIncrementInteger(engine)} NOT NULL, email VARCHAR(255) NOT NULL, role VARCHAR(20) NOT NULL DEFAULT 'user',
          api_key VARCHAR(255), PRIMARY KEY (id), CONSTRAINT users_email_key UNIQUE (email), UNIQUE (api_key))`);
        await p.exec(`INSERT INTO users (email) VALUES ('a@x')`);
        const before = await p.fingerprint();
        const run = await p.cli(['--json', 'up', '--strict']);
        assert.equal(run.code, 0, run.stderr + run.stdout);
        assert.deepEqual(outcomes(run), ['skipped', 'skipped', 'skipped'], opLines(run).join('\n'));
        assert.deepEqual(await p.recorded(), ['b1', 'b2', 'b3']);
        assert.equal(await p.fingerprint(), before);
      } finally {
        await p.dispose();
      }
    });

    test(`${engine.name}: a difference no later migration settles is drift, with both shapes; --strict fails with exit 3`, async () => {
      const p = await TestProject.create(engine);
      try {
        await p.write({ revision: 'c1', up: USERS });
        await p.exec(`CREATE TABLE users (id ${autoIncrementKey(engine)}, email VARCHAR(50) NOT NULL UNIQUE, role VARCHAR(20) NOT NULL DEFAULT 'user')`);
        const strict = await p.cli(['--json', 'up', '--strict']);
        assert.equal(strict.code, 3);
        const error = strict.events.find((e) => e.event === 'error')!;
        assert.equal(error.code, 'DRIFT');
        assert.ok(String(error.message).includes(`users.email type varchar(50), declared ${declaredString(engine, 100)}`), String(error.message));
        assert.deepEqual(await p.recorded(), []);
        const lenient = await p.cli(['--json', 'up']);
        assert.equal(lenient.code, 0);
        const op = lenient.events.find((e) => e.event === 'op')!;
        assert.equal(op.outcome, 'drift');
        assert.deepEqual(op.differences, [{ object: 'users.email', field: 'type', declared: declaredString(engine, 100), actual: 'varchar(50)' }]);
        assert.deepEqual(await p.recorded(), ['c1']);
        const human = await p.cli(['up']);
        assert.equal(human.code, 0);
      } finally {
        await p.dispose();
      }
    });
  });

  describe(`${engine.name}: failure`, () => {
    test(`${engine.name}: an operation failing mid-migration rolls the migration back; a fixed re-run converges`, async () => {
      const p = await TestProject.create(engine);
      try {
        await p.write({ revision: 'd1', up: USERS });
        const file = await p.write({
          revision: 'd2', revises: 'd1',
          up: `await m.createTable('audit', { id: { type: 'integer', primaryKey: true } });
               await m.sql('INSERT INTO no_such_table VALUES (1)');`,
        });
        const failed = await p.cli(['up']);
        assert.equal(failed.code, 1);
        assert.match(failed.stderr, /d2/);
        assert.match(failed.stderr, /no_such_table/);
        assert.match(failed.stderr, /sql: {3}INSERT INTO no_such_table/);
        assert.deepEqual(await p.recorded(), ['d1']);
        if (engine.name !== 'mariadb') {
          const tables = JSON.parse(await p.fingerprint());
          assert.equal('audit' in tables, false, 'the failed migration rolled back');
        }
        await p.writeRaw(file, (await import('node:fs')).readFileSync(`${p.migrations}/${file}`, 'utf8').replace('INSERT INTO no_such_table VALUES (1)', 'INSERT INTO audit (id) SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM audit WHERE id = 1)'));
        const fixed = await p.cli(['--json', 'up']);
        assert.equal(fixed.code, 0, fixed.stderr);
        assert.deepEqual(await p.recorded(), ['d1', 'd2']);
        assert.deepEqual(await p.query('SELECT id FROM audit'), [{ id: 1 }]);
      } finally {
        await p.dispose();
      }
    });
  });
}
