/**
 * `idem down`: `-1` reverts exactly one step, `<rev>` everything after rev,
 * `base` everything; `up` afterwards converges to the same schema and records.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { beginLineEnd } from '../support/engine-sql.ts';
import { TestProject, type CliResult } from '../support/project.ts';
import { catalogTable, indexList } from '../support/scenario.ts';

function ran(r: CliResult): Array<[string, string]> {
  return r.events.filter((e) => e.event === 'migration').map((e) => [String(e.revision), String(e.direction)]);
}

async function tables(p: TestProject): Promise<string[]> {
  return Object.keys(JSON.parse(await p.fingerprint())).sort();
}

for (const engine of engines) {
  describe(`${engine.name}: down`, () => {
    let p: TestProject;
    let head: string;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({
        revision: 'd1',
        up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 100 } });
             await m.executeIf({ description: 'seed root', sql: "INSERT INTO users (id, email) VALUES (1, 'root@x')", condition: "SELECT COUNT(*) = 0 FROM users" });`,
        down: `await m.dropTable('users');`,
      });
      await p.write({
        revision: 'd2', revises: 'd1',
        up: `await m.addColumn('users', 'api_key', { type: 'string', length: 64, unique: true });`,
        down: `await m.dropColumn('users', 'api_key');`,
      });
      await p.write({
        revision: 'd3', revises: 'd2',
        up: `await m.createTable('groups', { id: { type: 'integer', primaryKey: true } });`,
        down: `await m.dropTable('groups');`,
      });
      await p.write({
        revision: 'd4', revises: 'd3',
        up: `await m.createIndex('users', ['email'], { name: 'ix_users_email' });`,
        down: `await m.dropIndex('users', 'ix_users_email');`,
      });
      const up = await p.cli(['up']);
      assert.equal(up.code, EXIT.ok, show(up));
      head = await p.fingerprint({ includeVersionTable: true });
    });
    after(() => p.dispose());

    test(`${engine.name}: down -1 reverts exactly the last migration`, async () => {
      const r = await p.cli(['--json', 'down', '-1']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(ran(r), [['d4', 'down']]);
      assert.deepEqual(r.events.filter((e) => e.event === 'op').map((e) => `${e.outcome} ${e.op}`), ['applied dropIndex']);
      assert.deepEqual(await p.recorded(), ['d1', 'd2', 'd3']);
      assert.deepEqual(await indexList(p, 'users'), ['uq_users_api_key(api_key) unique'], 'ix_users_email is gone, the rest stays');
      const done = r.events.at(-1)!;
      assert.deepEqual([done.event, done.command, done.migrations], ['done', 'down', 1]);
    });

    test(`${engine.name}: human output of down -1 marks the direction`, async () => {
      const r = await p.cli(['down', '-1']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.match(r.stdout, new RegExp(`^< d3 down: d3 \\(0003_d3\\.ts\\)${beginLineEnd(engine)}$`, 'm'));
      assert.match(r.stdout, /^ {2}applied +dropTable groups/m);
      assert.match(r.stdout, /^down: 1 migration\(s\), 1 applied, 0 skipped, 0 drift in \d+ ms$/m);
      assert.deepEqual(await p.recorded(), ['d1', 'd2']);
      assert.deepEqual(await tables(p), ['users']);
    });

    test(`${engine.name}: up converges back to the head schema`, async () => {
      const r = await p.cli(['--json', 'up']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(ran(r), [['d3', 'up'], ['d4', 'up']]);
      const now = JSON.parse(await p.fingerprint({ includeVersionTable: true }));
      const then = JSON.parse(head);
      for (const t of Object.keys(then)) assert.deepEqual(now[t], then[t], t);
    });

    test(`${engine.name}: down <rev> reverts everything after rev, newest first, and keeps rev`, async () => {
      const r = await p.cli(['--json', 'down', 'd1']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(ran(r), [['d4', 'down'], ['d3', 'down'], ['d2', 'down']]);
      assert.deepEqual(await p.recorded(), ['d1']);
      assert.deepEqual(await tables(p), ['users']);
      assert.deepEqual((await catalogTable(p, 'users'))!.columns.map((c) => c.name), ['id', 'email']);
      assert.deepEqual(await p.query('SELECT email FROM users'), [{ email: 'root@x' }], 'data of the kept revision stays');

      const again = await p.cli(['--json', 'down', 'd1']);
      assert.equal(again.code, EXIT.ok);
      assert.deepEqual(again.events.map((e) => [e.event, e.migrations]), [['done', 0]]);
    });

    test(`${engine.name}: up again converges: same schema, same data, same records`, async () => {
      const r = await p.cli(['--json', 'up']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(ran(r), [['d2', 'up'], ['d3', 'up'], ['d4', 'up']]);
      const now = JSON.parse(await p.fingerprint({ includeVersionTable: true }));
      assert.deepEqual(now, JSON.parse(head));
      const twice = await p.cli(['--json', 'up']);
      assert.deepEqual(twice.events.map((e) => [e.event, e.migrations]), [['done', 0]]);
    });

    test(`${engine.name}: down base reverts everything; up rebuilds it`, async () => {
      const r = await p.cli(['--json', 'down', 'base']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(ran(r).map(([rev]) => rev), ['d4', 'd3', 'd2', 'd1']);
      assert.deepEqual(await p.recorded(), []);
      assert.deepEqual(await tables(p), []);
      const up = await p.cli(['--json', 'up']);
      assert.equal(up.code, EXIT.ok, show(up));
      assert.deepEqual(JSON.parse(await p.fingerprint({ includeVersionTable: true })), JSON.parse(head));
    });
  });
}
