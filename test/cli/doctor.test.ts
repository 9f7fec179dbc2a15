/**
 * `idem doctor`, per engine, run as users run it: a healthy database (every
 * check ok, exit 0), an empty one, a database with a revision the code does
 * not know (exit 4, the rebuild fix), two heads (the merge command), broken
 * graph files, an edited migration (the reapply fix; exit 3 under
 * --strict), the run lock held by another session (its holder named,
 * doctor prompt), a column changed by hand (drift naming table.column and
 * field) and a database that cannot be reached (password masked, exit 5).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertNoStack, show } from '../support/cli-checks.ts';
import { declaredString, pick } from '../support/engine-sql.ts';
import { TestProject, type CliResult, type MigrationSource } from '../support/project.ts';
import { upOk } from '../support/scenario.ts';

interface Finding {
  check: string;
  level: 'ok' | 'info' | 'warning' | 'error';
  message: string;
  fix?: string;
  code?: string;
  data?: Record<string, unknown>;
}

const USERS: MigrationSource = {
  revision: 'a1',
  up: `
await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 100, nullable: false } });
await m.createTable('scratch', { id: { type: 'integer', primaryKey: true } });`,
};
// A history that creates and later drops a table, and a data operation: neither is drift.
const EXTRA: MigrationSource = {
  revision: 'a2', revises: 'a1',
  up: `
await m.addColumn('users', 'extra', { type: 'string', length: 20, nullable: true });
await m.dropTable('scratch');
await m.executeIf({
  description: 'seed the first user',
  sql: "INSERT INTO users (id, email) VALUES (1, 'first@example.com')",
  condition: 'SELECT COUNT(*) = 0 FROM users',
});`,
};
const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;

async function doctor(p: TestProject, ...args: string[]): Promise<{ run: CliResult; findings: Finding[]; close: Record<string, unknown> }> {
  const run = await p.cli(['--json', ...args, 'doctor']);
  assertNoStack(run);
  const findings = (run.events as Array<Record<string, unknown>>).filter((e) => e.event === 'finding') as unknown as Finding[];
  const close = run.events.at(-1) as Record<string, unknown>;
  assert.equal(close.event, 'doctor', show(run));
  assert.equal(close.exit, run.code, 'the closing record states the exit code');
  return { run, findings, close };
}

function one(findings: Finding[], check: string): Finding {
  const found = findings.filter((f) => f.check === check);
  assert.equal(found.length, 1, `one ${check} finding in ${JSON.stringify(findings, null, 1)}`);
  return found[0]!;
}

const DATABASE_CHECKS = ['version-table', 'applied', 'pending', 'unknown', 'edited', 'interrupted', 'lock', 'drift'];

for (const engine of engines) {
  describe(`${engine.name}: doctor`, () => {
    const projects: TestProject[] = [];
    const project = async (...migrations: MigrationSource[]): Promise<TestProject> => {
      const p = await TestProject.create(engine);
      projects.push(p);
      for (const m of migrations) await p.write(m);
      return p;
    };
    after(async () => { for (const p of projects) await p.dispose(); });

    test(`${engine.name}: a healthy database: every check ok, exit 0, nothing changed`, async () => {
      const p = await project(USERS, EXTRA);
      await upOk(p);
      const before = await p.fingerprint({ includeVersionTable: true });
      const { run, findings, close } = await doctor(p);
      assert.equal(run.code, EXIT.ok, show(run));
      assert.deepEqual(findings.map((f) => f.check), ['connection', 'migrations', 'graph', 'heads', ...DATABASE_CHECKS]);
      assert.deepEqual(findings.filter((f) => f.level !== 'ok'), [], 'every check ok');
      assert.match(one(findings, 'drift').message, /holds what the 2 applied migration\(s\) declare \(4 schema operation\(s\) checked; 1 data or raw SQL operation\(s\) cannot be judged/);
      assert.deepEqual([close.errors, close.warnings, close.blocking], [0, 0, null]);
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before, 'doctor changed nothing');

      const human = await p.cli(['doctor']);
      assert.equal(human.code, EXIT.ok, show(human));
      const lines = human.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 13, human.stdout);
      for (const line of lines.slice(0, -1)) assert.match(line, /^ok {4}\S+ +\S/);
      assert.match(lines[0]!, /^ok {4}connection {5}connected to \S+ \((sqlite|postgres|mysql)\)$/);
      assert.match(lines.at(-1)!, /^doctor: 0 error\(s\), 0 warning\(s\); nothing stops `idem up`$/);
      assert.equal(human.stderr, '');
    });

    test(`${engine.name}: an empty database: no version table, every revision pending, nothing created`, async () => {
      const p = await project(USERS, EXTRA);
      const { run, findings } = await doctor(p);
      assert.equal(run.code, EXIT.ok, show(run));
      const versionTable = one(findings, 'version-table');
      assert.deepEqual([versionTable.level, versionTable.fix], ['info', 'idem up']);
      assert.match(versionTable.message, /idem_version does not exist: nothing applied yet/);
      const pending = one(findings, 'pending');
      assert.deepEqual([pending.level, pending.message, pending.fix, pending.data], ['info', '2 pending: a1, a2', 'idem up', { revisions: ['a1', 'a2'] }]);
      assert.equal(one(findings, 'applied').message, 'none applied');
      assert.deepEqual(findings.filter((f) => f.level === 'warning' || f.level === 'error'), []);
      if (engine.name === 'sqlite') {
        assert.match(one(findings, 'connection').message, /the file does not exist yet; `idem up` creates it/);
        assert.equal(existsSync(p.url.slice('sqlite:'.length)), false, 'the database file is not created');
      }
      assert.deepEqual(await p.recorded(), []);
      const human = await p.cli(['doctor']);
      assert.match(human.stdout, /^info {2}pending +2 pending: a1, a2\n {6}\S* *fix: idem up$/m);
    });

    test(`${engine.name}: a revision the database has and the code does not: the rebuild fix, exit 4`, async () => {
      const p = await project({ revision: 'a', up: table('t_a') }, { revision: 'x', revises: 'a', up: table('t_x') });
      await upOk(p);
      await rm(join(p.migrations, '0002_x.ts'));
      // A database merely ahead of the code: `up` leaves it alone and exits 0, so doctor does too.
      const ahead = await doctor(p);
      assert.equal(ahead.run.code, EXIT.ok, show(ahead.run));
      const warned = one(ahead.findings, 'unknown');
      assert.equal(warned.level, 'warning');
      assert.match(warned.message, /ahead of the code: x/);
      assert.match(String(warned.fix), /rebuild it without cache/);
      assert.equal((await doctor(p, '--strict')).run.code, EXIT.history, 'under --strict a database ahead is an error');

      // With work pending, `up` refuses: so does doctor, with up's exit code.
      await p.write({ revision: 'y', revises: 'a', up: table('t_y') });
      const { run, findings, close } = await doctor(p);
      assert.equal(run.code, EXIT.history, show(run));
      const unknown = one(findings, 'unknown');
      assert.deepEqual([unknown.level, unknown.code, unknown.data], ['error', 'DB_UNKNOWN_REVISION', { revisions: ['x'] }]);
      assert.match(unknown.message, /no migration file defines: x/);
      assert.match(String(unknown.fix), /rebuild the image without cache \(docker build --no-cache\)/);
      assert.equal(close.blocking, 'DB_UNKNOWN_REVISION');
      assert.equal(one(findings, 'pending').message, '1 pending: y');

      const human = await p.cli(['doctor']);
      assert.equal(human.code, EXIT.history);
      assert.match(human.stdout, /^FAIL {2}unknown +the database has revision\(s\) no migration file defines: x;.*\n +fix: rebuild the image without cache/m);
      assert.match(human.stdout, /^doctor: 1 error\(s\), 0 warning\(s\); `idem up` would stop with DB_UNKNOWN_REVISION \(exit 4\)$/m);
    });

    test(`${engine.name}: two heads: the merge command, exit 4`, async () => {
      const p = await project({ revision: 'a', up: table('t_a') }, { revision: 'b1', revises: 'a', up: table('t_b1') }, { revision: 'b2', revises: 'a', up: table('t_b2') });
      const { run, findings } = await doctor(p);
      assert.equal(run.code, EXIT.history, show(run));
      const heads = one(findings, 'heads');
      assert.deepEqual([heads.level, heads.code, heads.fix], ['error', 'GRAPH_MULTIPLE_HEADS', 'idem merge b1 b2 -m "merge heads"']);
      assert.match(heads.message, /^2 heads: b1, b2;/);
      // The database side is still examined.
      assert.equal(one(findings, 'pending').message, '3 pending: a, b1, b2');
    });

    test(`${engine.name}: a missing parent and a duplicate id are each reported with what to fix, exit 4`, async () => {
      const p = await project({ revision: 'a', up: table('t_a') }, { revision: 'b', revises: '3f2c9e1', up: table('t_b') });
      await p.write({ revision: 'a', file: '0003_copy_of_a.ts', up: table('t_c') });
      const { run, findings, close } = await doctor(p);
      assert.equal(run.code, EXIT.history, show(run));
      const graph = findings.filter((f) => f.check === 'graph');
      assert.deepEqual(graph.map((f) => [f.level, f.code]), [['error', 'GRAPH_DUPLICATE'], ['error', 'GRAPH_MISSING_PARENT']]);
      assert.match(graph[0]!.message, /revision "a" is declared by 2 files: 0001_a\.ts, 0003_copy_of_a\.ts/);
      assert.match(graph[1]!.message, /0002_b\.ts revises "3f2c9e1", which no migration declares/);
      assert.match(String(graph[1]!.fix), /a git commit hash is not one/);
      assert.equal(close.blocking, 'GRAPH_DUPLICATE');
      for (const check of ['heads', 'pending', 'unknown', 'edited', 'drift']) assert.match(one(findings, check).message, /^not checked: /);
    });

    test(`${engine.name}: an edited migration: the reapply fix; exit 3 only under --strict`, async () => {
      const p = await project({ revision: 'a', up: table('t_a') });
      await upOk(p);
      await p.write({ revision: 'a', file: '0001_a.ts', up: `${table('t_a')}\nawait m.addColumn('t_a', 'note', { type: 'string', length: 10 });` });
      const { run, findings } = await doctor(p);
      assert.equal(run.code, EXIT.ok, show(run));
      const edited = one(findings, 'edited');
      assert.equal(edited.level, 'warning');
      assert.equal(edited.message, 'changed since applied: 0001_a.ts (a)');
      assert.match(String(edited.fix), /^idem up --reapply-changed /);
      const strict = await doctor(p, '--strict');
      assert.equal(strict.run.code, EXIT.strict, show(strict.run));
      assert.deepEqual([one(strict.findings, 'edited').level, one(strict.findings, 'edited').code], ['error', 'CHECKSUM_MISMATCH']);

      await upOk(p, '--reapply-changed');
      assert.equal(one((await doctor(p, '--strict')).findings, 'edited').level, 'ok');
    });

    test(`${engine.name}: the lock held by another session: its holder is named, doctor does not wait for it`, async () => {
      const p = await project({ revision: 'a', up: table('t_a') });
      await upOk(p);
      const holder = await p.session();
      try {
        await holder.lock.acquire(5000);
        const id = engine.name === 'sqlite' ? undefined : Number(Object.values((await holder.driver.query(
          pick(engine, { sqlite: '', postgres: 'SELECT pg_backend_pid() AS id', mariadb: 'SELECT CONNECTION_ID() AS id' }),
        ))[0]!)[0]);
        const started = performance.now();
        const { run, findings } = await doctor(p);
        const ms = performance.now() - started;
        assert.ok(ms < 15_000, `doctor took ${Math.round(ms)} ms with the lock held (the lock timeout is 60 s)`);
        assert.equal(run.code, EXIT.ok, show(run));
        const lock = one(findings, 'lock');
        assert.equal(lock.level, 'warning');
        assert.match(lock.message, pick(engine, {
          sqlite: /^held by another connection to \S+test\.db \(a running `idem up`, or the application writing\); `idem up` waits/,
          postgres: new RegExp(`^held by pid ${id}, application_name "idem"`),
          mariadb: new RegExp(`^held by connection ${id} \\(root@`),
        }));
        if (engine.name !== 'sqlite') {
          assert.match(String(lock.fix), new RegExp(pick(engine, { sqlite: '', postgres: `SELECT pg_terminate_backend\\(${id}\\)`, mariadb: `KILL ${id}` })));
        }
        assert.match(one(findings, 'drift').message, /^not checked: a run holds the lock/);
        assert.equal((holder.lock as unknown as { held: boolean }).held, true, 'the holder still holds it');
      } finally {
        await holder.close();
      }
      assert.equal(one((await doctor(p)).findings, 'lock').level, 'ok', 'free once the holder is gone');
    });

    test(`${engine.name}: a column changed by hand and one dropped: drift naming table.column and field`, async () => {
      const p = await project(USERS, EXTRA);
      await upOk(p);
      for (const sql of pick(engine, {
        sqlite: [
          'CREATE TABLE users_by_hand (id integer NOT NULL PRIMARY KEY, email varchar(50) NOT NULL)',
          'INSERT INTO users_by_hand (id, email) SELECT id, email FROM users',
          'DROP TABLE users',
          'ALTER TABLE users_by_hand RENAME TO users',
        ],
        postgres: ['ALTER TABLE users ALTER COLUMN email TYPE varchar(50)', 'ALTER TABLE users DROP COLUMN extra'],
        mariadb: ['ALTER TABLE users MODIFY email varchar(50) NOT NULL', 'ALTER TABLE users DROP COLUMN extra'],
      })) await p.exec(sql);
      const { run, findings } = await doctor(p);
      assert.equal(run.code, EXIT.ok, show(run));
      const drift = findings.filter((f) => f.check === 'drift');
      assert.deepEqual(drift.map((f) => [f.level, f.data?.revision, f.data?.op, f.data?.target]), [
        ['warning', 'a1', 'createTable', 'users'], ['warning', 'a2', 'addColumn', 'users.extra'],
      ], JSON.stringify(drift, null, 1));
      assert.deepEqual(drift[0]!.data?.differences, [{ object: 'users.email', field: 'type', declared: declaredString(engine, 100), actual: 'varchar(50)' }]);
      assert.equal(drift[0]!.message, `users.email type: database has varchar(50), migrations declare ${declaredString(engine, 100)} (a1: createTable users)`);
      assert.match(String(drift[0]!.fix), /change users\.email back by hand, or declare the database's shape in a new migration/);
      assert.equal(drift[1]!.message, 'users.extra is missing (a2: addColumn users.extra)');
      assert.match(String(drift[1]!.fix), /^idem up --reapply a2 /);

      const human = await p.cli(['doctor']);
      assert.ok(human.stdout.includes(`warn  drift          users.email type: database has varchar(50), migrations declare ${declaredString(engine, 100)}`), human.stdout);
      // The fix it names, run: the column is back, the hand-made type change is still reported.
      await upOk(p, '--reapply', 'a2');
      assert.deepEqual((await doctor(p)).findings.filter((f) => f.check === 'drift').map((f) => f.data?.target), ['users']);
    });

    test(`${engine.name}: a column altered and later altered back is judged by its last operation, against the database`, async () => {
      const p = await project(
        { revision: 'a1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 50, nullable: false } });` },
        { revision: 'a2', revises: 'a1', up: `await m.alterColumn('t', 'email', { length: 200 });` },
        { revision: 'a3', revises: 'a2', up: `await m.alterColumn('t', 'email', { length: 50 });` },
      );
      await upOk(p);
      assert.equal(one((await doctor(p)).findings, 'drift').level, 'ok', 'the history ends where the database is');
      for (const sql of pick(engine, {
        sqlite: [
          'CREATE TABLE t_by_hand (id integer NOT NULL PRIMARY KEY, email varchar(150) NOT NULL)',
          'INSERT INTO t_by_hand (id, email) SELECT id, email FROM t',
          'DROP TABLE t',
          'ALTER TABLE t_by_hand RENAME TO t',
        ],
        postgres: ['ALTER TABLE t ALTER COLUMN email TYPE varchar(150)'],
        mariadb: ['ALTER TABLE t MODIFY email varchar(150) NOT NULL'],
      })) await p.exec(sql);
      const drift = (await doctor(p)).findings.filter((f) => f.check === 'drift');
      assert.deepEqual(drift.map((f) => [f.data?.revision, f.data?.target, f.data?.differences]), [
        ['a3', 't.email', [{ object: 't.email', field: 'type', declared: declaredString(engine, 50), actual: 'varchar(150)' }]],
      ], 'what the database has, against the last declaration; the superseded a2 says nothing');
    });

    test(`${engine.name}: a database that cannot be reached: a finding, password masked, exit 5`, async () => {
      const p = await project(USERS);
      const secret = 'S3cret-pw9';
      const url = pick(engine, {
        sqlite: `sqlite:${join(p.dir, 'not-a-database.db')}`,
        postgres: `postgres://postgres:${secret}@127.0.0.1:1/nowhere`,
        mariadb: `mysql://root:${secret}@127.0.0.1:1/nowhere`,
      });
      if (engine.name === 'sqlite') await writeFile(join(p.dir, 'not-a-database.db'), 'this is a text file, not a SQLite database\n'.repeat(200));
      for (const args of [['--url', url], ['--url', url, '--wait', '1']]) {
        const run = await p.cli(['--json', ...args, 'doctor'], { url: false });
        assert.equal(run.code, EXIT.unavailable, show(run));
        assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'the password never shows');
        const findings = (run.events as Array<Record<string, unknown>>).filter((e) => e.event === 'finding') as unknown as Finding[];
        const connection = one(findings, 'connection');
        assert.deepEqual([connection.level, connection.code], ['error', 'CONNECTION']);
        assert.match(connection.message, pick(engine, {
          sqlite: /cannot read the database sqlite:\S+not-a-database\.db/,
          postgres: /postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/nowhere/,
          mariadb: /mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\/nowhere/,
        }));
        assert.ok(connection.fix, 'the connection finding says what to check');
        assert.equal(one(findings, 'migrations').level, 'ok', 'what needs no database is still checked');
        for (const check of DATABASE_CHECKS) assert.equal(one(findings, check).message, 'not checked: no connection to the database');
        // --wait is honoured: a refused connection is retried (and said so) before it becomes the finding.
        const waited = run.events.some((e) => e.event === 'warning' && e.code === 'WAITING');
        assert.equal(waited, args.includes('--wait') && engine.name !== 'sqlite', show(run));
      }
      const human = await p.cli(['--url', url, 'doctor'], { url: false });
      assert.equal(human.code, EXIT.unavailable);
      assert.match(human.stdout, /^FAIL {2}connection {5}\S/m);
      assert.match(human.stdout, /`idem up` would stop with CONNECTION \(exit 5\)$/m);
      assertNoStack(human);
    });
  });
}
