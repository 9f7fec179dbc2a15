/**
 * The --json contract external tools rely on: every line is one JSON object;
 * `op`, `migration`, `done` and `error` events carry the documented fields.
 * And --quiet: silent on a clean no-op, never silent about drift or errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertFails, show } from '../support/cli-checks.ts';
import { beginLineEnd, declaredString, noSuchTable } from '../support/engine-sql.ts';
import { TestProject } from '../support/project.ts';

const OUTCOMES = ['applied', 'skipped', 'drift'];

for (const engine of engines) {
  describe(`${engine.name}: JSON events`, () => {
    let p: TestProject;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({
        revision: 'j1', description: 'users',
        up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 100 } });
             await m.createIndex('users', ['email'], { name: 'ix_users_email' });`,
      });
      await p.write({
        revision: 'j2', revises: 'j1', description: 'seed',
        up: `await m.addColumn('users', 'role', { type: 'string', length: 20 });
             await m.executeIf({ description: 'seed root', sql: "INSERT INTO users (id, email) VALUES (1, 'root@x')",
               condition: "SELECT COUNT(*) = 0 FROM users WHERE email = 'root@x'" });`,
      });
      // The index exists already, under another name: skipped, with that name in the detail.
      await p.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(100))');
      await p.exec('CREATE INDEX users_email_idx ON users (email)');
    });
    after(() => p.dispose());

    test(`${engine.name}: a run of 2 migrations: op, migration and done events with their fields`, async () => {
      const r = await p.cli(['--json', 'up']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.equal(r.stderr, '');
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, r.events.length, 'one event per line');
      for (const line of lines) assert.equal(typeof JSON.parse(line), 'object');

      const ops = r.events.filter((e) => e.event === 'op');
      assert.deepEqual(ops.map((e) => [e.revision, e.op, e.target, e.outcome]), [
        ['j1', 'createTable', 'users', 'skipped'],
        ['j1', 'createIndex', 'users.ix_users_email', 'skipped'],
        ['j2', 'addColumn', 'users.role', 'applied'],
        ['j2', 'executeIf', 'seed root', 'applied'],
      ]);
      for (const op of ops) {
        for (const field of ['event', 'revision', 'op', 'target', 'outcome', 'detail']) assert.ok(field in op, `${field} in ${JSON.stringify(op)}`);
        assert.ok(OUTCOMES.includes(String(op.outcome)));
        assert.ok(op.detail === null || typeof op.detail === 'string');
      }
      assert.match(String(ops[1]!.detail), /users_email_idx/);

      const migrations = r.events.filter((e) => e.event === 'migration');
      assert.deepEqual(migrations.map((e) => [e.revision, e.direction, e.applied, e.skipped, e.drift]), [
        ['j1', 'up', 0, 2, 0],
        ['j2', 'up', 2, 0, 0],
      ]);
      for (const m of migrations) assert.equal(typeof m.ms, 'number');

      // Each migration's events come in order: begin, its ops, its summary.
      assert.deepEqual(r.events.map((e) => e.event), ['begin', 'op', 'op', 'migration', 'begin', 'op', 'op', 'migration', 'done']);
      const done = r.events.at(-1)!;
      assert.deepEqual([done.event, done.applied, done.skipped, done.drift, done.migrations], ['done', 2, 2, 0, 2]);
      assert.equal(typeof done.ms, 'number');
    });

    test(`${engine.name}: the same facts in human output, one line per operation`, async () => {
      const down = await p.cli(['stamp', 'base']);
      assert.equal(down.code, EXIT.ok);
      const r = await p.cli(['up']);
      assert.equal(r.code, EXIT.ok, show(r));
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, new RegExp(`^> j1 up: users \\(0001_j1\\.ts\\)${beginLineEnd(engine)}$`));
      assert.match(lines[1]!, /^ {2}skipped +createTable users/);
      assert.match(lines[2]!, /^ {2}skipped +createIndex users\.ix_users_email +\(.*users_email_idx.*\)$/);
      assert.match(lines[3]!, /^ {2}j1 up: 0 applied, 2 skipped, 0 drift in \d+ ms$/);
      assert.match(lines[5]!, /^ {2}skipped +addColumn users\.role/);
      assert.match(lines[6]!, /^ {2}skipped +executeIf seed root/);
      assert.match(lines.at(-1)!, /^up: 2 migration\(s\), 0 applied, 4 skipped, 0 drift in \d+ ms$/);
    });

    test(`${engine.name}: nothing to do is one done event with zeros`, async () => {
      const r = await p.cli(['--json', 'up']);
      assert.equal(r.code, EXIT.ok);
      assert.equal(r.events.length, 1);
      const { ms, ...done } = r.events[0]!;
      assert.equal(typeof ms, 'number');
      assert.deepEqual(done, { event: 'done', command: 'up', migrations: 0, applied: 0, skipped: 0, drift: 0 });
    });

    test(`${engine.name}: a failing migration is an error event with code, message, revision and hint`, async () => {
      await p.write({ revision: 'j3', revises: 'j2', up: `await m.sql('INSERT INTO nowhere VALUES (1)');` });
      const { human, json } = await assertFails(p, ['up'], {
        exit: EXIT.migrationFailed, code: 'OPERATION_FAILED', message: /the statement failed/, hint: /re-run/,
      });
      assert.match(human.stderr, /^ {2}sql: +INSERT INTO nowhere VALUES \(1\)$/m);
      assert.match(human.stderr, new RegExp(`^ {2}cause: .*${noSuchTable(engine, 'nowhere').source}`, 'm'));
      const error = json.events.at(-1)!;
      assert.equal(error.revision, 'j3');
      assert.match(String(error.sql), /INSERT INTO nowhere/);
      assert.match(String(error.cause), noSuchTable(engine, 'nowhere'));
      assert.deepEqual(json.events.filter((e) => e.event === 'done'), [], 'a failed run has no done event');
      assert.deepEqual(await p.recorded(), ['j1', 'j2']);
    });
  });

  describe(`${engine.name}: --quiet`, () => {
    let p: TestProject;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({
        revision: 'q1',
        up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 100 } });`,
      });
    });
    after(() => p.dispose());

    test(`${engine.name}: a clean run prints only what matters; a no-op prints nothing`, async () => {
      const first = await p.cli(['--quiet', 'up']);
      assert.equal(first.code, EXIT.ok, show(first));
      assert.equal(first.stdout, '');
      assert.equal(first.stderr, '');
      assert.deepEqual(await p.recorded(), ['q1']);
      const again = await p.cli(['--quiet', 'up']);
      assert.equal(again.code, EXIT.ok, show(again));
      assert.equal(again.stdout + again.stderr, '');
    });

    test(`${engine.name}: drift lines still print`, async () => {
      await p.exec('DELETE FROM idem_version');
      await p.exec('DROP TABLE users');
      await p.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(50))');
      const r = await p.cli(['--quiet', 'up']);
      assert.equal(r.code, EXIT.ok, show(r));
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 2, r.stdout);
      assert.match(lines[0]!, /^ {2}drift +createTable users\b/);
      assert.equal(lines[1]!.trim(), `users.email type: database has varchar(50), migration declares ${declaredString(engine, 100)}`);
    });

    test(`${engine.name}: errors still print`, async () => {
      await p.write({ revision: 'q2', revises: 'q1', up: `throw new Error('quietly broken');` });
      const r = await p.cli(['--quiet', 'up']);
      assert.equal(r.code, EXIT.migrationFailed, show(r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: q2: migration migrations\/0002_q2\.ts:\d+:\d+ threw: quietly broken$/m);
    });
  });
}
