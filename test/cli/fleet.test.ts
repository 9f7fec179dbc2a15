/**
 * Fleets (`--targets <file>` on up, status, plan and doctor), per engine: 200 SQLite files, 50 PostgreSQL
 * schemas in one database (`?schema=`), 50 MariaDB databases, migrated in
 * one command; a second pass applies nothing; a failing target does not stop
 * the others (unless --fail-fast); every JSON event names its database with
 * the password masked. The targets file's own errors are checked once.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession } from '../../src/dialect/connect.ts';
import { parseConnectionUrl } from '../../src/dialect/connection-url.ts';
import { VERSION_TABLE } from '../../src/runner/version-table.ts';
import { engines, type Engine, type TestDatabase } from '../engines.ts';
import { TestProject, runCli, type CliResult } from '../support/project.ts';

const TENANTS: Record<Engine['name'], number> = { sqlite: 200, postgres: 50, mariadb: 50 };

const USERS = `
await m.createTable('users', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  email: { type: 'string', length: 100, nullable: false, unique: true },
});`;
const SEED = `
await m.createTable('plans', { code: { type: 'string', length: 20, primaryKey: true }, price: { type: 'integer', nullable: false } });
await m.executeIf({
  description: 'the free plan',
  sql: "INSERT INTO plans (code, price) VALUES ('free', 0)",
  condition: "SELECT COUNT(*) = 0 FROM plans WHERE code = 'free'",
});`;

/** The tenants of one engine: their URLs and how to remove them. */
async function createTenants(engine: Engine, project: TestProject, count: number): Promise<{ urls: string[]; drop(): Promise<void> }> {
  const names = Array.from({ length: count }, (_, i) => `tenant_${String(i + 1).padStart(3, '0')}`);
  if (engine.name === 'sqlite') {
    return { urls: names.map((n) => `sqlite:${join(project.dir, `${n}.db`)}`), drop: async () => {} };
  }
  if (engine.name === 'postgres') {
    for (const n of names) await project.exec(`CREATE SCHEMA ${n}`);
    const base = new URL(project.url);
    return {
      urls: names.map((n) => { const u = new URL(base); u.searchParams.set('schema', n); return u.toString(); }),
      drop: async () => {}, // the project's database, schemas and all, is dropped with it
    };
  }
  const databases: TestDatabase[] = [];
  for (let i = 0; i < count; i++) databases.push(await engine.createDatabase());
  return { urls: databases.map((d) => d.url), drop: async () => { for (const d of databases) await d.drop(); } };
}

function targetLines(result: CliResult): string[] {
  return result.stdout.split('\n').filter((l) => /^(ok|FAILED) /.test(l));
}

function jsonEvents(result: CliResult): Array<Record<string, unknown>> {
  return result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

for (const engine of engines) {
  describe(`${engine.name}: fleet`, () => {
    const count = TENANTS[engine.name];
    let project: TestProject;
    let tenants: { urls: string[]; drop(): Promise<void> };
    let targetsFile: string;

    before(async () => {
      project = await TestProject.create(engine);
      await project.write({ revision: 'f1', up: USERS, down: "await m.dropTable('users');" });
      await project.write({ revision: 'f2', revises: 'f1', up: SEED, down: "await m.dropTable('plans');" });
      tenants = await createTenants(engine, project, count);
      targetsFile = join(project.dir, 'targets.txt');
      await writeFile(targetsFile, `# one line per tenant\n\n${tenants.urls.join('\n')}\n`);
    });
    after(async () => {
      await tenants.drop();
      await project.dispose();
    });

    test(`${engine.name}: plan --targets predicts for every tenant and changes none`, async () => {
      const plan = await runCli(['plan', '--targets', targetsFile], project.dir);
      assert.equal(plan.code, 0, plan.stderr);
      const lines = targetLines(plan);
      assert.equal(lines.length, count);
      for (const line of lines) assert.match(line, /^ok {6}\S+ {2}2 migration\(s\), 3 would apply, 0 would skip, 0 drift/);
      const status = await runCli(['status', '--targets', targetsFile], project.dir);
      assert.equal(status.code, 0, status.stderr);
      for (const line of targetLines(status)) assert.match(line, /0 applied, 2 pending/);
    });

    test(`${engine.name}: up --targets migrates ${count} tenants in one command; a second pass applies nothing`, async () => {
      const first = await runCli(['up', '--targets', targetsFile, '--concurrency', '8'], project.dir);
      assert.equal(first.code, 0, first.stdout + first.stderr);
      const lines = targetLines(first);
      assert.equal(lines.length, count, 'one line per tenant');
      for (const line of lines) assert.match(line, /^ok {6}\S+ {2}2 migration\(s\), 3 applied, 0 skipped, 0 drift \(\d+ ms\)$/);
      assert.match(first.stdout, new RegExp(`^fleet: ${count} target\\(s\\), ${count} ok, 0 failed \\(\\d+ ms\\)$`, 'm'));

      // Every tenant has its own tables, its seed row once and both revisions recorded once.
      for (const url of [tenants.urls[0]!, tenants.urls[Math.floor(count / 2)]!, tenants.urls[count - 1]!]) {
        const session = await openSession(parseConnectionUrl(url), [VERSION_TABLE]);
        try {
          const recorded = await session.driver.query<{ revision: string }>(`SELECT revision FROM ${VERSION_TABLE} ORDER BY revision`);
          assert.deepEqual(recorded.map((r) => r.revision), ['f1', 'f2'], url);
          const plans = await session.driver.query<{ code: string }>('SELECT code FROM plans');
          assert.deepEqual(plans.map((r) => r.code), ['free'], url);
        } finally {
          await session.close();
        }
      }

      const doctor = await runCli(['doctor', '--targets', targetsFile, '--concurrency', '8'], project.dir);
      assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
      assert.equal(targetLines(doctor).length, count);
      for (const line of targetLines(doctor)) assert.match(line, /^ok {6}\S+ {2}nothing stops idem up/);

      const second = await runCli(['up', '--targets', targetsFile, '--concurrency', '8', '--json'], project.dir);
      assert.equal(second.code, 0, second.stderr);
      const events = jsonEvents(second);
      const done = events.filter((e) => e.event === 'done');
      assert.equal(done.length, count);
      for (const e of done) assert.equal(e.migrations, 0, 'nothing to do the second time');
      assert.ok(events.filter((e) => e.event !== 'fleet').every((e) => typeof e.db === 'string' && e.db !== ''), 'every event names its database');
      assert.deepEqual(new Set(done.map((e) => e.db)).size, count, 'each tenant reported once');
      assert.deepEqual(events.at(-1), { event: 'fleet', targets: count, ok: count, failed: 0, notRun: 0, ms: events.at(-1)!.ms });
    });

    test(`${engine.name}: a failing tenant does not stop the others; --fail-fast does`, async () => {
      const broken = engine.name === 'sqlite'
        ? `sqlite:${join(project.dir, 'not-a-database.db')}`
        : engine.name === 'postgres'
          ? (() => { const u = new URL(project.url); u.password = 'fleet-secret'; u.searchParams.set('schema', 'no_such_schema'); return u.toString(); })()
          : (() => { const u = new URL(project.url); u.pathname = '/idem_no_such_database_for_fleet'; return u.toString(); })();
      if (engine.name === 'sqlite') await writeFile(join(project.dir, 'not-a-database.db'), 'this is not a SQLite file '.repeat(200));
      const file = join(project.dir, 'with-broken.txt');
      await writeFile(file, [tenants.urls[0], broken, tenants.urls[1], tenants.urls[2]].join('\n'));

      const all = await runCli(['up', '--targets', file], project.dir);
      assert.notEqual(all.code, 0, 'a failed tenant fails the command');
      const lines = targetLines(all);
      assert.equal(lines.filter((l) => l.startsWith('ok ')).length, 3, all.stdout);
      assert.equal(lines.filter((l) => l.startsWith('FAILED ')).length, 1, all.stdout);
      assert.match(all.stdout, /fleet: 4 target\(s\), 3 ok, 1 failed/);
      assert.doesNotMatch(all.stdout + all.stderr, /fleet-secret/, 'the password never appears');

      const doctor = await runCli(['doctor', '--targets', file], project.dir);
      assert.equal(doctor.code, all.code, 'doctor fails a target where up fails on it, with the same exit code');
      assert.equal(targetLines(doctor).filter((l) => l.startsWith('FAILED ')).length, 1, doctor.stdout);
      assert.doesNotMatch(doctor.stdout + doctor.stderr, /fleet-secret/);

      const fast = await runCli(['up', '--targets', file, '--fail-fast', '--concurrency', '1', '--json'], project.dir);
      assert.notEqual(fast.code, 0);
      const fleetEvent = jsonEvents(fast).at(-1)!;
      assert.equal(fleetEvent.event, 'fleet');
      assert.equal(fleetEvent.ok, 1);
      assert.equal(fleetEvent.failed, 1);
      assert.equal(fleetEvent.notRun, 2, 'after the failure no further tenant started');
      const error = jsonEvents(fast).find((e) => e.event === 'error')!;
      assert.equal(typeof error.db, 'string');
      assert.doesNotMatch(fast.stdout, /fleet-secret/);
    });
  });
}

describe('fleet: the targets file', () => {
  let project: TestProject;
  before(async () => {
    project = await TestProject.create(engines[0]!);
    await project.write({ revision: 'f1', up: USERS });
  });
  after(() => project.dispose());

  const cases: Array<{ name: string; file?: string; args?: string[]; code: number; message: RegExp }> = [
    { name: 'a missing file', args: ['up', '--targets', 'nowhere.txt'], code: 2, message: /cannot read the targets file nowhere\.txt/ },
    { name: 'a file with only comments', file: '# nobody yet\n\n', code: 2, message: /lists no database/ },
    { name: 'an invalid URL, by line', file: 'sqlite:./a.db\n\nredis://x/1\n', code: 2, message: /line 3: unknown database URL scheme "redis:"/ },
    { name: 'a target listed twice', file: 'sqlite:./a.db\nsqlite:a.db\n', code: 2, message: /line 2: sqlite:a\.db is already listed on line 1/ },
    { name: '--concurrency 0', file: 'sqlite:./a.db\n', args: ['--concurrency', '0'], code: 2, message: /--concurrency must be a whole number of at least 1/ },
    { name: '--url with --targets', file: 'sqlite:./a.db\n', args: ['--url', 'sqlite:./b.db'], code: 2, message: /--url and --targets cannot be used together/ },
    { name: '--targets on a command without fleets', args: ['down', 'base', '--targets', 't.txt'], code: 2, message: /unknown option '--targets'/ },
  ];
  for (const c of cases) {
    test(`fleet: ${c.name} is a clear usage error`, async () => {
      let args = c.args ?? [];
      if (c.file !== undefined) {
        await writeFile(join(project.dir, 't.txt'), c.file);
        args = args[0] === '--url' ? [...args, 'up', '--targets', 't.txt'] : ['up', '--targets', 't.txt', ...args];
      }
      const result = await runCli(args, project.dir);
      assert.equal(result.code, c.code, result.stdout + result.stderr);
      assert.match(result.stderr, c.message);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    });
  }
});
