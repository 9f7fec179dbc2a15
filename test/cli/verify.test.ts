/**
 * `idem verify` as users run it, per engine: one line per migration and
 * step, the differences below a failed one, a closing summary, exit 0 or 1;
 * `--json` records; where the scratch database goes (`--scratch`,
 * IDEM_VERIFY_URL, the user's own server, a temporary SQLite file) and the
 * clear error when it cannot be created.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseConnectionUrl } from '../../src/dialect/connection-url.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertFails, assertNoStack, show } from '../support/cli-checks.ts';
import { pick } from '../support/engine-sql.ts';
import { TestProject } from '../support/project.ts';

const USERS = {
  revision: 'v1', description: 'users',
  up: `
    await m.createTable('users', {
      id: { type: 'integer', primaryKey: true, autoIncrement: true },
      email: { type: 'string', length: 100, nullable: false, unique: true },
    });
    await m.executeIf({
      description: 'seed the admin',
      sql: "INSERT INTO users (email) VALUES ('admin@example.com')",
      condition: "SELECT COUNT(*) = 0 FROM users WHERE email = 'admin@example.com'",
    });`,
  down: `await m.dropTable('users');`,
};

/** Not idempotent (raw CREATE TABLE) and not reversible (the down forgets a column). */
const FAULTY = {
  revision: 'v2', revises: 'v1', description: 'audit and nickname',
  up: `
    await m.sql('CREATE TABLE audit (id INTEGER)');
    await m.addColumn('users', 'nickname', { type: 'string', length: 30 });`,
  down: `await m.dropTable('audit');`,
};

async function withProject(engine: (typeof engines)[number], body: (p: TestProject) => Promise<void>): Promise<void> {
  const p = await TestProject.create(engine);
  try {
    await body(p);
  } finally {
    await p.dispose();
  }
}

/** The first line says where verify runs; the user's database is never the place. */
function whereLine(p: TestProject): RegExp {
  if (p.engine.name === 'sqlite') return /^verify: (\d+) migration\(s\) on a temporary SQLite file \S+idem-verify-\w+\/scratch\.db \(your database is not opened\)$/;
  const u = new URL(p.url);
  return new RegExp(`^verify: (\\d+) migration\\(s\\) in a temporary database idem_verify_[0-9a-f]{12} on ${u.protocol}//${u.username}@${u.host.replace(/\./g, '\\.')}, `
    + 'the server of your database \\(your database itself is not changed\\)$');
}

/** The file a sqlite: URL names. */
function sqlitePath(url: string): string {
  const target = parseConnectionUrl(url);
  assert.equal(target.dialect, 'sqlite');
  return target.dialect === 'sqlite' ? target.path : '';
}

for (const engine of engines) {
  describe(`${engine.name}: idem verify`, () => {
    test(`${engine.name}: good migrations: one line per step, a closing summary, exit 0`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      // Reading a SQLite file creates it: there the proof is that the file stays absent.
      const before = engine.name === 'sqlite' ? undefined : await p.fingerprint({ includeVersionTable: true });
      const run = await p.cli(['verify']);
      assert.equal(run.code, EXIT.ok, show(run));
      assert.equal(run.stderr, '');
      const lines = run.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, whereLine(p));
      assert.deepEqual(lines.slice(1, -1), [
        'v1 users (0001_v1.ts)',
        '  ok    1 up             2 applied, 0 skipped, 0 drift',
        '  ok    2 up again       every operation skipped; schema and data unchanged',
        '  ok    3 down           schema as before step 1',
        '  ok    3 down again     every operation skipped; schema unchanged',
        '  ok    4 up after down  schema and data as after step 1',
        'adoption: every migration up on a fresh database, version table emptied, up again',
        '  ok    adoption         2 operation(s) re-checked with the version table emptied, every one skipped; schema and data unchanged',
      ]);
      const removed = engine.name === 'sqlite' ? 'temporary file removed' : 'temporary database dropped';
      assert.match(lines.at(-1)!, new RegExp(`^verify: ok, 1 migration\\(s\\), 6 passed, 0 failed, 0 skipped \\(\\d+ ms\\); ${removed}$`));
      if (engine.name === 'sqlite') assert.equal(existsSync(sqlitePath(p.url)), false, 'the user\'s SQLite file was created');
      else assert.equal(await p.fingerprint({ includeVersionTable: true }), before, 'the user\'s database was changed');

      const json = await p.cli(['--json', 'verify']);
      assert.equal(json.code, EXIT.ok, show(json));
      assert.deepEqual(json.events.map((e) => [e.event, e.revision ?? null, e.step ?? null, e.ok ?? null]), [
        ['verify-start', null, null, null],
        ...['up', 'up-again', 'down', 'down-again', 'up-after-down'].map((s) => ['verify', 'v1', s, true]),
        ['verify', null, 'adoption', true],
        ['verify-done', null, null, true],
      ]);
      const start = json.events[0]!;
      assert.deepEqual(start.migrations, 1);
      assert.equal((start.scratch as Record<string, unknown>).source, engine.name === 'sqlite' ? 'temporary file' : 'database URL');
      const done = json.events.at(-1)!;
      assert.deepEqual([done.passed, done.failed, done.skipped, (done.scratch as Record<string, unknown>).removed], [6, 0, 0, true]);
    }));

    test(`${engine.name}: faulty migrations: FAIL lines with the differences, exit 1 and what to do`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      await p.write(FAULTY);
      const run = await p.cli(['verify']);
      assert.equal(run.code, EXIT.migrationFailed, show(run));
      assertNoStack(run);
      const out = run.stdout;
      const cause = pick(engine, {
        sqlite: 'table audit already exists (1)',
        postgres: 'relation "audit" already exists (42P07)',
        mariadb: "Table 'audit' already exists (ER_TABLE_EXISTS_ERROR)",
      });
      const v2 = out.slice(out.indexOf('v2 audit and nickname (0002_v2.ts)\n'), out.indexOf('adoption:'));
      assert.deepEqual(v2.trimEnd().split('\n'), [
        'v2 audit and nickname (0002_v2.ts)',
        '  ok    1 up             2 applied, 0 skipped, 0 drift',
        '  FAIL  2 up again       sql CREATE TABLE audit (id INTEGER) failed',
        '                         sql:   CREATE TABLE audit (id INTEGER)',
        `                         cause: ${cause}`,
        '  FAIL  3 down           1 difference(s) in schema or data',
        '                         table users: column nickname present after down (expected absent)',
        '  ok    3 down again     every operation skipped; schema unchanged',
        '  ok    4 up after down  schema and data as after step 1',
      ], show(run));
      assert.match(out, /^ {2}FAIL {2}adoption {9}v2: sql CREATE TABLE audit \(id INTEGER\) failed$/m);
      assert.match(out, /^verify: FAILED in v2, adoption: 8 passed, 3 failed, 0 skipped \(\d+ ms\); temporary (file removed|database dropped)$/m);
      assert.match(run.stderr, /^error: verify found 3 failing step\(s\) in v2, adoption$/m);
      assert.match(run.stderr, /^ {2}hint: +guard what runs twice .*then re-run `idem verify`$/m);

      const quiet = await p.cli(['--quiet', 'verify']);
      assert.equal(quiet.code, EXIT.migrationFailed);
      assert.doesNotMatch(quiet.stdout, /^ {2}ok /m, 'under --quiet only failed steps are listed');
      assert.match(quiet.stdout, /^v2 audit and nickname \(0002_v2\.ts\)\n {2}FAIL {2}2 up again/m);

      const json = await p.cli(['--json', 'verify']);
      assert.equal(json.code, EXIT.migrationFailed);
      assert.equal(json.stderr, '');
      const records = json.events as Array<Record<string, unknown>>;
      const down = records.find((e) => e.event === 'verify' && e.revision === 'v2' && e.step === 'down')!;
      assert.equal(down.ok, false);
      assert.deepEqual(down.differences, [{
        table: 'users', object: 'column', name: 'nickname', field: 'present', expected: false, actual: true,
        message: 'table users: column nickname present after down (expected absent)',
      }]);
      const again = records.find((e) => e.event === 'verify' && e.revision === 'v2' && e.step === 'up-again')!;
      assert.deepEqual([(again.error as Record<string, unknown>).op, (again.error as Record<string, unknown>).sql], ['sql', 'CREATE TABLE audit (id INTEGER)']);
      assert.deepEqual(json.events.slice(-2).map((e) => [e.event, e.ok ?? e.code]), [['verify-done', false], ['error', 'VERIFY_FAILED']]);
    }));

    test(`${engine.name}: --scratch and IDEM_VERIFY_URL name the server; a SQLite URL there is a usage error`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      const before = engine.name === 'sqlite' ? undefined : await p.fingerprint({ includeVersionTable: true });
      await assertFails(p, ['verify', '--scratch', 'sqlite:./elsewhere.db'], {
        exit: EXIT.usage, code: 'USAGE', message: /--scratch names a SQLite database/, hint: /leave --scratch out/,
      });
      if (engine.name === 'sqlite') return;
      const server = new URL(p.url);
      server.pathname = '/';
      const named = await p.cli(['verify', '--scratch', server.toString()]);
      assert.equal(named.code, EXIT.ok, show(named));
      assert.match(named.stdout.split('\n')[0]!, new RegExp(`^verify: 1 migration\\(s\\) in a temporary database idem_verify_[0-9a-f]{12} on ${server.protocol}//${server.username}@\\S+ \\(--scratch\\)$`));
      const env = await p.cli(['verify'], { env: { IDEM_VERIFY_URL: server.toString() } });
      assert.equal(env.code, EXIT.ok, show(env));
      assert.match(env.stdout.split('\n')[0]!, /^verify: 1 migration\(s\) in a temporary database idem_verify_[0-9a-f]{12} on \S+ \(IDEM_VERIFY_URL\)$/);
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before, 'the user\'s database was changed');
    }));

    test(`${engine.name}: a scratch database that cannot be created is a clear error (exit 2) with the fix`, () => withProject(engine, async (p) => {
      await p.write(USERS);
      if (engine.name === 'sqlite') {
        // A file where the temp folder should be: nothing can be created under it, even by root.
        const notAFolder = join(p.dir, 'not-a-folder');
        await writeFile(notAFolder, '');
        await assertFails((args) => p.cli(args, { env: { TMPDIR: notAFolder } }), ['verify'], {
          exit: EXIT.usage, code: 'CONFIG', message: /idem verify cannot create its temporary SQLite file in \S+\/not-a-folder: ENOTDIR/, hint: /TMPDIR/,
        });
        return;
      }
      // A user that may log in but not create databases.
      const user = `idem_nc_${randomBytes(4).toString('hex')}`;
      await p.exec(pick(engine, { sqlite: '', postgres: `CREATE ROLE "${user}" LOGIN`, mariadb: `CREATE USER '${user}'@'%'` }));
      try {
        const url = new URL(p.url);
        url.username = user;
        if (engine.name === 'mariadb') url.pathname = '/';
        await assertFails(p, ['verify', '--scratch', url.toString()], {
          exit: EXIT.usage,
          code: 'CONFIG',
          message: pick(engine, {
            sqlite: /never/,
            postgres: /idem verify cannot create its temporary database idem_verify_\w+ on postgres:\/\/.*: permission denied to create database/,
            mariadb: /idem verify cannot create its temporary database idem_verify_\w+ on mysql:\/\/.*: Access denied for user/,
          }),
          hint: pick(engine, { sqlite: /never/, postgres: /CREATEDB/, mariadb: /GRANT ALL ON/ }),
        });
      } finally {
        await p.exec(pick(engine, { sqlite: '', postgres: `DROP ROLE IF EXISTS "${user}"`, mariadb: `DROP USER IF EXISTS '${user}'@'%'` }));
      }
    }));
  });
}
