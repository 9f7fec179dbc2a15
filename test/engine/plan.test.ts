/**
 * `idem plan`, per engine: predictions from the live catalog, simulated
 * within one plan (a table the plan creates is then altered), with nothing
 * changed (no DDL, no data, no version table), and the same outcomes a real
 * `up` / `down` then produces.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { VERSION_TABLE } from '../../src/runner/version-table.ts';
import { engines } from '../engines.ts';
import { autoIncrementKey, declaredString } from '../support/engine-sql.ts';
import { opLines, TestProject, type CliResult } from '../support/project.ts';

const USERS = `
await m.createTable('users', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  email: { type: 'string', length: 100, nullable: false, unique: true },
  role: { type: 'string', length: 20, nullable: false, default: 'user' },
});
await m.createIndex('users', ['role']);`;

// Every operation here acts on what the plan itself created: only a simulation predicts them right.
const PROFILE = `
await m.addColumn('users', 'api_key', { type: 'string', length: 64, nullable: true });
await m.alterColumn('users', 'email', { length: 200 });
await m.alterColumn('users', 'api_key', { length: 64 });
await m.createTable('posts', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  user_id: { type: 'integer', nullable: false },
  title: { type: 'string', length: 100, nullable: false },
});
await m.addForeignKey('posts', ['user_id'], 'users', ['id'], { onDelete: 'cascade' });
await m.addUnique('posts', ['user_id', 'title']);
await m.renameColumn('posts', 'title', 'headline');
await m.createIndex('posts', ['headline']);`;

const EXPECTED_UP = [
  'applied createTable users', 'applied createIndex users.ix_users_role',
  'applied addColumn users.api_key', 'applied alterColumn users.email',
  // Already varchar(64): the simulation knows the column the plan just added.
  'skipped alterColumn users.api_key',
  'applied createTable posts', 'applied addForeignKey posts.fk_posts_user_id_users', 'applied addUnique posts.uq_posts_user_id_title',
  'applied renameColumn posts.title -> headline', 'applied createIndex posts.ix_posts_headline',
];

async function hasVersionTable(p: TestProject): Promise<boolean> {
  const session = await p.session();
  try {
    return await session.catalog.hasTable(VERSION_TABLE);
  } finally {
    await session.close();
  }
}

function planned(result: CliResult): boolean {
  return result.events.length > 0 && result.events.filter((e) => e.event !== 'warning').every((e) => e.planned === true);
}

for (const engine of engines) {
  describe(`${engine.name}: plan`, () => {
    const projects: TestProject[] = [];
    const project = async (): Promise<TestProject> => {
      const p = await TestProject.create(engine);
      projects.push(p);
      return p;
    };
    after(async () => { for (const p of projects) await p.dispose(); });

    async function twoMigrations(p: TestProject): Promise<void> {
      await p.write({ revision: 'a1', up: USERS, down: `await m.dropTable('users');` });
      await p.write({ revision: 'a2', revises: 'a1', up: PROFILE, down: `await m.dropTable('posts');\nawait m.dropColumn('users', 'api_key');` });
    }

    test(`${engine.name}: on a fresh database every operation is predicted applied, simulated within the plan, and nothing changes`, async () => {
      const p = await project();
      await twoMigrations(p);
      const before = await p.fingerprint({ includeVersionTable: true });
      const plan = await p.cli(['--json', 'plan']);
      assert.equal(plan.code, 0, plan.stderr);
      assert.deepEqual(opLines(plan), EXPECTED_UP);
      assert.ok(planned(plan), 'every event is marked planned');
      const done = plan.events.at(-1)!;
      assert.equal(done.event, 'done');
      assert.equal(done.command, 'plan');
      assert.deepEqual([done.migrations, done.applied, done.skipped, done.drift], [2, 9, 1, 0]);
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before, 'schema and rows unchanged');
      assert.equal(await hasVersionTable(p), false, 'the version table is not created by plan');

      const human = await p.cli(['plan']);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, /^ {2}would apply createTable users$/m);
      assert.match(human.stdout, /^ {2}would skip {2}alterColumn users\.api_key/m);
      assert.match(human.stdout, /^plan: 2 migration\(s\), 9 would apply, 1 would skip, 0 drift; nothing was changed/m);
      assert.doesNotMatch(human.stdout, /^ {2}applied /m);

      // The run does what the plan predicted, operation by operation.
      const up = await p.cli(['--json', 'up']);
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(opLines(up), opLines(plan));
      assert.deepEqual(await p.recorded(), ['a1', 'a2']);
    });

    test(`${engine.name}: after up nothing to do; with the version table emptied every operation is predicted skipped`, async () => {
      const p = await project();
      await twoMigrations(p);
      assert.equal((await p.cli(['up'])).code, 0);
      const nothing = await p.cli(['--json', 'plan']);
      assert.equal(nothing.code, 0, nothing.stderr);
      assert.deepEqual(nothing.events.map((e) => [e.event, e.migrations]), [['done', 0]]);
      assert.match((await p.cli(['plan'])).stdout, /^plan: nothing to do/m);

      await p.exec(`DELETE FROM ${VERSION_TABLE}`);
      const before = await p.fingerprint({ includeVersionTable: true });
      const adopt = await p.cli(['--json', 'plan']);
      assert.equal(adopt.code, 0, adopt.stderr);
      const lines = opLines(adopt);
      assert.equal(lines.length, EXPECTED_UP.length);
      assert.deepEqual(lines.filter((l) => !l.startsWith('skipped ')), []);
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before);
      const up = await p.cli(['--json', 'up']);
      assert.equal(up.code, 0, up.stderr);
      assert.deepEqual(opLines(up), lines);
    });

    test(`${engine.name}: a table that exists in another shape is predicted drift, with both shapes`, async () => {
      const p = await project();
      await p.write({ revision: 'a1', up: USERS, down: `await m.dropTable('users');` });
      await p.exec(`CREATE TABLE users (id ${autoIncrementKey(engine)}, email VARCHAR(100) NOT NULL UNIQUE, role VARCHAR(50) NOT NULL DEFAULT 'user')`);
      const before = await p.fingerprint({ includeVersionTable: true });
      const plan = await p.cli(['--json', 'plan']);
      assert.equal(plan.code, 0, plan.stderr);
      assert.deepEqual(opLines(plan), ['drift createTable users', 'applied createIndex users.ix_users_role']);
      const drift = plan.events.find((e) => e.event === 'op' && e.outcome === 'drift')!;
      assert.deepEqual(drift.differences, [{ object: 'users.role', field: 'type', declared: declaredString(engine, 20), actual: 'varchar(50)' }]);
      const human = await p.cli(['plan']);
      assert.ok(human.stdout.includes(`users.role type: database has varchar(50), migration declares ${declaredString(engine, 20)}`), human.stdout);
      assert.equal((await p.cli(['--strict', 'plan'])).code, 3, 'under --strict a predicted drift fails the plan');
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before);
      const up = await p.cli(['--json', 'up']);
      assert.deepEqual(opLines(up), opLines(plan));
    });

    test(`${engine.name}: executeIf shows whether its condition holds now, and never runs`, async () => {
      const p = await project();
      await p.exec(`CREATE TABLE settings (k VARCHAR(50) NOT NULL, v VARCHAR(50) NOT NULL)`);
      await p.write({
        revision: 'a1',
        up: `
await m.addColumn('settings', 'note', { type: 'string', length: 20, nullable: true });
await m.executeIf({
  description: 'default theme',
  sql: "INSERT INTO settings (k, v) VALUES (?, 'light')",
  params: ['theme'],
  condition: 'SELECT COUNT(*) = 0 FROM settings WHERE k = ?',
  conditionParams: ['theme'],
});
await m.createTable('audit', { id: { type: 'integer', primaryKey: true } });
await m.executeIf({ description: 'first audit row', sql: 'INSERT INTO audit (id) VALUES (1)', condition: 'SELECT COUNT(*) = 0 FROM audit' });`,
      });
      const holds = await p.cli(['--json', 'plan']);
      assert.equal(holds.code, 0, holds.stderr);
      const ops = holds.events.filter((e) => e.event === 'op');
      // settings exists now (the plan only adds a column to it): its condition is evaluated; audit does not exist yet.
      assert.deepEqual(ops.map((e) => [e.outcome, e.target, e.detail]), [
        ['applied', 'settings.note', null],
        ['applied', 'default theme', 'condition true now'],
        ['applied', 'audit', null],
        ['applied', 'first audit row', 'condition cannot be evaluated before the run: it reads audit, which this plan creates; runs if it holds then'],
      ]);
      assert.deepEqual(await p.query('SELECT k FROM settings'), [], 'plan inserted nothing');

      await p.exec(`INSERT INTO settings (k, v) VALUES ('theme', 'dark')`);
      const fails = await p.cli(['--json', 'plan']);
      assert.deepEqual(fails.events.filter((e) => e.event === 'op').map((e) => [e.outcome, e.detail]).at(1), ['skipped', 'condition false now']);
      assert.match((await p.cli(['plan'])).stdout, /would skip {2}executeIf default theme {2}\(condition false now\)/);
      assert.equal((await p.query('SELECT k FROM settings')).length, 1);
    });

    test(`${engine.name}: plan --down base predicts the drops, changes nothing, and down does the same`, async () => {
      const p = await project();
      await twoMigrations(p);
      assert.equal((await p.cli(['up'])).code, 0);
      const before = await p.fingerprint({ includeVersionTable: true });
      const plan = await p.cli(['--json', 'plan', '--down', 'base']);
      assert.equal(plan.code, 0, plan.stderr);
      assert.deepEqual(opLines(plan), ['applied dropTable posts', 'applied dropColumn users.api_key', 'applied dropTable users']);
      assert.ok(plan.events.filter((e) => e.event === 'op').every((e) => e.direction === 'down'));
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before);
      const one = await p.cli(['--json', 'plan', '--down', '-1']);
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual(opLines(one), ['applied dropTable posts', 'applied dropColumn users.api_key']);
      const down = await p.cli(['--json', 'down', 'base']);
      assert.equal(down.code, 0, down.stderr);
      assert.deepEqual(opLines(down), opLines(plan));
    });

    test(`${engine.name}: plan on a database never migrated creates nothing (SQLite: not even the file)`, async () => {
      const p = await project();
      await p.write({ revision: 'a1', up: USERS });
      const result = await p.cli(['plan']);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /would apply createTable users/);
      if (engine.name === 'sqlite') assert.equal(existsSync(p.url.slice('sqlite:'.length)), false, 'no SQLite file left behind');
      assert.equal(await hasVersionTable(p), false);
    });
  });
}
