/**
 * `verify()` per engine: good migrations (a branch, a merge, keys, an
 * index, an alter, a guarded seed) pass every step; each kind of fault is
 * caught at the step that proves it, with the object and field named; the
 * user's database is never touched (a table of its own with the same name
 * and another shape would make the migrations drift if it were), and the
 * scratch database is gone afterwards, after a failure and after an
 * interruption too. On a server the scratch database is a new one next to
 * the user's, on the same server.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { verify, type VerifyProgress, type VerifyResult, type VerifyStep } from '../../src/api/verify.ts';
import { parseConnectionUrl } from '../../src/dialect/connection-url.ts';
import { isIdemError } from '../../src/errors.ts';
import { engines, type Engine } from '../engines.ts';
import { pick } from '../support/engine-sql.ts';
import { TestProject } from '../support/project.ts';

/** users, with a seed guarded by its data; down drops it. */
const USERS = {
  revision: 'v1', description: 'users',
  up: `
    await m.createTable('users', {
      id: { type: 'integer', primaryKey: true, autoIncrement: true },
      email: { type: 'string', length: 100, nullable: false, unique: true },
      role: { type: 'string', length: 20, nullable: false, default: 'user' },
    });
    await m.executeIf({
      description: 'seed the admin',
      sql: "INSERT INTO users (email, role) VALUES ('admin@example.com', 'admin')",
      condition: "SELECT COUNT(*) = 0 FROM users WHERE email = 'admin@example.com'",
    });`,
  down: `await m.dropTable('users');`,
};

/** Every migration a good project has: v1, then two branches (keys and an index; an alter), merged. */
const GOOD = [
  USERS,
  {
    revision: 'v2', revises: 'v1', description: 'groups',
    up: `
      await m.createTable('groups', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50, nullable: false } });
      await m.addColumn('users', 'group_id', { type: 'integer', nullable: true });
      await m.addForeignKey('users', ['group_id'], 'groups', ['id']);
      await m.createIndex('users', ['role']);`,
    down: `
      await m.dropIndex('users', 'ix_users_role');
      await m.dropForeignKey('users', 'fk_users_group_id_groups');
      await m.dropColumn('users', 'group_id');
      await m.dropTable('groups');`,
  },
  {
    revision: 'v3', revises: 'v1', description: 'longer emails',
    up: `await m.alterColumn('users', 'email', { type: 'string', length: 200, nullable: false });`,
    down: `await m.alterColumn('users', 'email', { type: 'string', length: 100, nullable: false });`,
  },
  { revision: 'v4', revises: ['v2', 'v3'], description: 'merge', up: 'm.log("merged");', down: 'm.log("unmerged");' },
];

const STEPS = ['up', 'up-again', 'down', 'down-again', 'up-after-down'];

/** The user's own database: a `users` table of another shape, with a row. verify must neither see nor change it. */
async function userTable(p: TestProject): Promise<void> {
  await p.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, legacy VARCHAR(10))');
  await p.exec("INSERT INTO users (id, legacy) VALUES (1, 'mine')");
}

async function scratchExists(p: TestProject, result: Pick<VerifyResult, 'scratch'>): Promise<boolean> {
  const name = result.scratch.name;
  if (p.engine.name === 'sqlite') return existsSync(name) || existsSync(dirname(name));
  const sql = pick(p.engine, {
    sqlite: '',
    postgres: 'SELECT COUNT(*) AS n FROM pg_database WHERE datname = ?',
    mariadb: 'SELECT COUNT(*) AS n FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?',
  });
  const [row] = await p.query<{ n: unknown }>(sql, [name]);
  return Number(row?.n) > 0;
}

function stepOf(result: VerifyResult, revision: string | null, step: string): VerifyStep {
  const found = result.steps.find((s) => s.revision === revision && s.step === step);
  assert.ok(found, `no step ${step} for ${revision} in\n${lines(result)}`);
  return found;
}

/** The steps as `revision step ok|FAIL|skip: detail` lines, for assertions and for messages on failure. */
function lines(result: VerifyResult): string {
  return result.steps.map((s) => `${s.revision ?? 'adoption'} ${s.step} ${s.skipped ? 'skip' : s.ok ? 'ok' : 'FAIL'}: ${s.detail}`
    + s.differences.map((d) => `\n    ${d.message}`).join('') + (s.error ? `\n    ${s.error.message} ${s.error.cause ?? ''}` : '')).join('\n');
}

async function run(p: TestProject, extra: Parameters<typeof verify>[0] = {}): Promise<VerifyResult> {
  return verify({ url: p.url, cwd: p.dir, env: {}, ...extra });
}

/** Runs `body` with a fresh project whose database holds the user's own table, and checks afterwards that verify left it as it was. */
async function withProject(engine: Engine, body: (p: TestProject) => Promise<VerifyResult | void>): Promise<void> {
  const p = await TestProject.create(engine);
  try {
    await userTable(p);
    const before = await p.fingerprint({ includeVersionTable: true });
    const result = await body(p);
    assert.equal(await p.fingerprint({ includeVersionTable: true }), before, 'verify changed the user\'s database');
    if (result) assert.equal(await scratchExists(p, result), false, `the scratch database ${result.scratch.name} is still there`);
  } finally {
    await p.dispose();
  }
}

/** The file a sqlite: URL names. */
function sqlitePath(url: string): string {
  const target = parseConnectionUrl(url);
  assert.equal(target.dialect, 'sqlite');
  return target.dialect === 'sqlite' ? target.path : '';
}

for (const engine of engines) {
  describe(`${engine.name}: verify`, () => {
    let good: VerifyResult;
    let goodProject: TestProject;
    before(async () => {
      goodProject = await TestProject.create(engine);
      await userTable(goodProject);
      for (const m of GOOD) await goodProject.write(m);
    });
    after(() => goodProject.dispose());

    test(`${engine.name}: good migrations pass every step, in graph order, and adoption`, async () => {
      const before = await goodProject.fingerprint({ includeVersionTable: true });
      const progress: VerifyProgress[] = [];
      good = await run(goodProject, { onProgress: (e) => progress.push(e) });
      assert.equal(good.ok, true, lines(good));
      assert.deepEqual(good.steps.map((s) => `${s.revision ?? 'adoption'} ${s.step}`), [
        ...['v1', 'v2', 'v3', 'v4'].flatMap((r) => STEPS.map((s) => `${r} ${s}`)), 'adoption adoption',
      ]);
      assert.ok(good.steps.every((s) => s.ok && s.skipped === undefined && s.differences.length === 0 && !s.error), lines(good));
      assert.deepEqual([good.migrations, good.passed, good.failed, good.skipped], [4, 21, 0, 0]);
      assert.match(stepOf(good, 'v2', 'up').detail, /^4 applied, 0 skipped, 0 drift$/);
      assert.match(stepOf(good, null, 'adoption').detail, /^\d+ operation\(s\) re-checked with the version table emptied, every one skipped/);
      // What onProgress saw is what the result holds, the start first.
      assert.equal(progress[0]?.type, 'start');
      assert.deepEqual(progress.slice(1).map((e) => e.type === 'step' && e.step), good.steps);
      assert.equal(await goodProject.fingerprint({ includeVersionTable: true }), before, 'verify changed the user\'s database');
      assert.equal(good.scratch.removed, true);
      assert.equal(await scratchExists(goodProject, good), false);
    });

    test(`${engine.name}: the scratch database is a temporary file, or a new database on the user's server`, async () => {
      assert.equal(good.scratch.dialect, pick(engine, { sqlite: 'sqlite', postgres: 'postgres', mariadb: 'mysql' }));
      if (engine.name === 'sqlite') {
        assert.equal(good.scratch.source, 'temporary file');
        assert.notEqual(good.scratch.name, sqlitePath(goodProject.url));
        // A SQLite file that does not exist stays absent: verify never opens the user's database.
        const absent = sqlitePath(goodProject.url).replace(/test\.db$/, 'absent.db');
        const again = await verify({ url: `sqlite:${absent}`, cwd: goodProject.dir, env: {} });
        assert.equal(again.ok, true, lines(again));
        assert.equal(existsSync(absent), false);
      } else {
        assert.equal(good.scratch.source, 'database URL');
        assert.match(good.scratch.name, /^idem_verify_[0-9a-f]{12}$/);
        const server = new URL(goodProject.url);
        assert.equal(good.scratch.server, `${server.protocol}//${server.username}@${server.host}`);
        // Named explicitly (the option, or IDEM_VERIFY_URL): the same kind of database, on that server.
        const explicit = await verify({ url: goodProject.url, cwd: goodProject.dir, env: {}, verifyUrl: goodProject.url });
        assert.equal(explicit.ok, true, lines(explicit));
        assert.equal(explicit.scratch.source, 'verifyUrl');
        assert.notEqual(explicit.scratch.name, good.scratch.name);
        const fromEnv = await verify({ url: goodProject.url, cwd: goodProject.dir, env: { IDEM_VERIFY_URL: goodProject.url } });
        assert.equal(fromEnv.scratch.source, 'IDEM_VERIFY_URL');
        for (const r of [explicit, fromEnv]) assert.equal(await scratchExists(goodProject, r), false);
      }
    });

    test(`${engine.name}: a raw CREATE TABLE without a guard fails step 2 with the engine's error, and adoption`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      await p.write({ revision: 'raw', revises: 'v1', up: `await m.sql('CREATE TABLE audit (id INTEGER)');`, down: `await m.dropTable('audit');` });
      await p.write({ revision: 'after', revises: 'raw', up: `await m.addColumn('audit', 'at', { type: 'timestamp' });`, down: `await m.dropColumn('audit', 'at');` });
      const result = await run(p);
      assert.equal(result.ok, false);
      assert.equal(stepOf(result, 'raw', 'up').ok, true);
      const again = stepOf(result, 'raw', 'up-again');
      assert.equal(again.ok, false, lines(result));
      assert.equal(again.detail, 'sql CREATE TABLE audit (id INTEGER) failed');
      assert.equal(again.error?.sql, 'CREATE TABLE audit (id INTEGER)');
      assert.match(again.error?.cause ?? '', pick(engine, {
        sqlite: /table audit already exists/, postgres: /relation "audit" already exists/, mariadb: /Table 'audit' already exists/,
      }));
      // Steps 3 and 4 still prove the down, and the migration after it is verified in full.
      for (const step of ['down', 'down-again', 'up-after-down']) assert.equal(stepOf(result, 'raw', step).ok, true, lines(result));
      for (const step of STEPS) assert.equal(stepOf(result, 'after', step).ok, true, lines(result));
      const adoption = stepOf(result, null, 'adoption');
      assert.equal(adoption.ok, false);
      assert.equal(adoption.error?.revision, 'raw');
      assert.equal(adoption.detail, 'raw: sql CREATE TABLE audit (id INTEGER) failed');
      assert.deepEqual(result.steps.filter((s) => !s.ok).map((s) => `${s.revision ?? 'adoption'} ${s.step}`), ['raw up-again', 'adoption adoption']);
      return result;
    }));

    test(`${engine.name}: an INSERT without NOT EXISTS, and an executeIf whose condition stays true, change the data on re-run`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      await p.write({
        revision: 'seed', revises: 'v1',
        up: `
          await m.createTable('roles', { id: { type: 'integer', primaryKey: true, autoIncrement: true }, name: { type: 'string', length: 20 } });
          await m.sql("INSERT INTO roles (name) VALUES ('admin')");
          await m.executeIf({ description: 'default role', sql: "INSERT INTO roles (name) VALUES ('user')", condition: 'SELECT COUNT(*) >= 0 FROM roles' });`,
        down: `await m.dropTable('roles');`,
      });
      const result = await run(p);
      const again = stepOf(result, 'seed', 'up-again');
      assert.equal(again.ok, false, lines(result));
      assert.equal(again.error, undefined);
      assert.deepEqual(again.differences.map((d) => d.message), [
        "sql INSERT INTO roles (name) VALUES ('admin') applied (expected skipped): unguarded raw SQL",
        'executeIf default role applied (expected skipped): condition true, 1 row(s)',
        'table roles: rows 2 -> 4 after up again (checksum changed)',
      ]);
      assert.deepEqual(again.differences[2], {
        table: 'roles', object: 'rows', field: 'count', expected: 2, actual: 4, message: 'table roles: rows 2 -> 4 after up again (checksum changed)',
      });
      assert.equal(stepOf(result, 'v1', 'up-again').ok, true, 'the NOT EXISTS-guarded seed passes');
      assert.equal(stepOf(result, null, 'adoption').ok, false);
      return result;
    }));

    test(`${engine.name}: raw SQL marked idempotent may run again when the data stays the same`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      await p.write({
        revision: 'guarded', revises: 'v1',
        up: `await m.sql("INSERT INTO users (email) SELECT 'ops@example.com' WHERE NOT EXISTS (SELECT 1 FROM users WHERE email = 'ops@example.com')", [], { idempotent: true });`,
        down: `await m.sql("DELETE FROM users WHERE email = 'ops@example.com'", [], { idempotent: true });`,
      });
      const result = await run(p);
      assert.equal(result.ok, true, lines(result));
      return result;
    }));

    test(`${engine.name}: a down that forgets a dropColumn fails step 3, naming the table and the column`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      await p.write({
        revision: 'nick', revises: 'v1',
        up: `
          await m.addColumn('users', 'nickname', { type: 'string', length: 30 });
          await m.createIndex('users', ['nickname']);`,
        down: `await m.dropIndex('users', 'ix_users_nickname');`,
      });
      const result = await run(p);
      const down = stepOf(result, 'nick', 'down');
      assert.equal(down.ok, false, lines(result));
      assert.deepEqual(down.differences, [{
        table: 'users', object: 'column', name: 'nickname', field: 'present', expected: false, actual: true,
        message: 'table users: column nickname present after down (expected absent)',
      }]);
      assert.equal(down.detail, '1 difference(s) in schema or data');
      // Down again finds the index gone and changes nothing more; up again adds the index back: the state of step 1.
      for (const step of ['up', 'up-again', 'down-again', 'up-after-down']) assert.equal(stepOf(result, 'nick', step).ok, true, lines(result));
      assert.deepEqual(result.steps.filter((s) => !s.ok).map((s) => `${s.revision ?? 'adoption'} ${s.step}`), ['nick down']);
      return result;
    }));

    test(`${engine.name}: a migration without down(): steps 3 and 4 are skipped with the reason, not failed`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      await p.write({ revision: 'oneway', revises: 'v1', up: `await m.addColumn('users', 'bio', { type: 'text' });` });
      await p.write({ revision: 'next', revises: 'oneway', up: `await m.createIndex('users', ['role']);`, down: `await m.dropIndex('users', 'ix_users_role');` });
      const result = await run(p);
      assert.equal(result.ok, true, lines(result));
      for (const step of ['down', 'down-again', 'up-after-down']) {
        assert.equal(stepOf(result, 'oneway', step).skipped, 'not run: the migration has no down() (idem lint reports it)');
      }
      for (const step of STEPS) assert.equal(stepOf(result, 'next', step).skipped, undefined, lines(result));
      assert.deepEqual([result.passed, result.failed, result.skipped], [13, 0, 3]);
      return result;
    }));

    test(`${engine.name}: adoption fails where raw SQL cannot be skipped, though each migration passes alone`, () => withProject(engine, async (p) => {
      // Alone, each holds: the table exists when `legacy` is re-run, and is gone when `cleanup` is.
      // Re-run together over the built schema, the raw CREATE makes the table again and the drop must apply.
      await p.write({
        revision: 'legacy',
        up: `await m.sql('CREATE TABLE IF NOT EXISTS legacy (id INTEGER)', [], { idempotent: true });`,
        down: `await m.dropTable('legacy');`,
      });
      await p.write({ revision: 'cleanup', revises: 'legacy', up: `await m.dropTable('legacy');` });
      const result = await run(p);
      for (const step of ['up', 'up-again']) {
        assert.equal(stepOf(result, 'legacy', step).ok, true, lines(result));
        assert.equal(stepOf(result, 'cleanup', step).ok, true, lines(result));
      }
      const adoption = stepOf(result, null, 'adoption');
      assert.equal(adoption.ok, false, lines(result));
      assert.deepEqual(adoption.differences.map((d) => d.message), ['cleanup: dropTable legacy applied (expected skipped)']);
      assert.deepEqual(adoption.differences[0], {
        object: 'operation', revision: 'cleanup', op: 'dropTable', target: 'legacy', expected: 'skipped', actual: 'applied',
        message: 'cleanup: dropTable legacy applied (expected skipped)',
      });
      return result;
    }));

    test(`${engine.name}: a migration that fails at step 1 stops the chain; the rest is reported as not run`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      await p.write({ revision: 'broken', revises: 'v1', up: `await m.addColumn('nowhere', 'x', { type: 'integer' });`, down: '' });
      await p.write({ revision: 'later', revises: 'broken', up: `await m.createIndex('users', ['role']);` });
      const result = await run(p);
      const up = stepOf(result, 'broken', 'up');
      assert.equal(up.ok, false);
      assert.equal(up.detail, 'addColumn nowhere.x failed');
      assert.equal(up.error?.op, 'addColumn');
      for (const step of ['up-again', 'down', 'down-again', 'up-after-down']) assert.equal(stepOf(result, 'broken', step).skipped, 'not run: step 1 (up) failed');
      assert.equal(stepOf(result, 'later', 'up').skipped, 'not run: broken failed at step 1 (up), and the migrations after it build on it');
      assert.match(stepOf(result, null, 'adoption').skipped ?? '', /^not run: broken failed at step 1/);
      return result;
    }));

    test(`${engine.name}: a failed up after down rebuilds the scratch database and verifies the migrations after it`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      // down leaves the row, and the unguarded insert then meets the unique key.
      await p.write({
        revision: 'ops', revises: 'v1',
        up: `await m.sql("INSERT INTO users (email) VALUES ('ops@example.com')");`,
        down: `m.log('keeps the row');`,
      });
      await p.write({ revision: 'tail', revises: 'ops', up: `await m.createIndex('users', ['role']);`, down: `await m.dropIndex('users', 'ix_users_role');` });
      const result = await run(p);
      const redo = stepOf(result, 'ops', 'up-after-down');
      assert.equal(redo.ok, false, lines(result));
      assert.match(redo.error?.cause ?? '', pick(engine, {
        sqlite: /UNIQUE constraint failed: users\.email/, postgres: /duplicate key value violates unique constraint/, mariadb: /Duplicate entry 'ops@example.com'/,
      }));
      for (const step of STEPS) assert.equal(stepOf(result, 'tail', step).ok, true, lines(result));
      return result;
    }));

    test(`${engine.name}: the scratch database is removed when verify is interrupted`, () => withProject(engine, async (p) => {
      for (const m of GOOD) await p.write(m);
      const controller = new AbortController();
      let scratch: VerifyResult['scratch'] | undefined;
      await assert.rejects(run(p, {
        signal: controller.signal,
        onProgress: (e) => {
          if (e.type === 'start') scratch = { ...e.scratch, removed: false };
          else controller.abort('SIGINT');
        },
      }), (error: unknown) => isIdemError(error) && error.code === 'INTERRUPTED');
      assert.ok(scratch, 'verify never said where its scratch database was');
      assert.equal(await scratchExists(p, { scratch }), false);
    }));

    test(`${engine.name}: nothing to verify, and a SQLite scratch URL, are clear errors`, () => withProject(engine, async (p) => {
      await assert.rejects(run(p), (e: unknown) => isIdemError(e) && e.code === 'GRAPH_EMPTY' && /idem new/.test(e.hint ?? ''));
      await p.write(USERS);
      await assert.rejects(run(p, { verifyUrl: 'sqlite:./other.db' }), (e: unknown) => isIdemError(e) && e.code === 'USAGE'
        && /--scratch names a SQLite database/.test(e.message) && /temporary file/.test(e.hint ?? ''));
      await assert.rejects(run(p, { env: { IDEM_VERIFY_URL: 'sqlite::memory:' } }), (e: unknown) => isIdemError(e) && e.code === 'USAGE'
        && /^IDEM_VERIFY_URL names a SQLite database/.test(e.message));
    }));
  });
}
