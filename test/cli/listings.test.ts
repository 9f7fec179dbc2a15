/**
 * `status`, `history` and `heads`, as typed and under --json; `stamp`
 * records a revision and its ancestors without running them, `stamp base`
 * removes every record (and nothing else).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { maskUrl } from '../../src/dialect/connection-url.ts';
import { engines } from '../engines.ts';
import { assertFails, show } from '../support/cli-checks.ts';
import { TestProject } from '../support/project.ts';

const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;

for (const engine of engines) {
  describe(`${engine.name}: status, history, heads`, () => {
    let p: TestProject;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({ revision: 'r1', description: 'users', up: table('users') });
      await p.write({ revision: 'r2', revises: 'r1', description: 'groups', up: table('groups') });
      await p.write({ revision: 'r3', revises: 'r2', description: 'api keys', up: table('keys') });
      const up = await p.cli(['up', 'r2']);
      assert.equal(up.code, EXIT.ok, show(up));
    });
    after(() => p.dispose());

    test(`${engine.name}: status lists applied, pending and heads`, async () => {
      const human = await p.cli(['status']);
      assert.equal(human.code, EXIT.ok, show(human));
      assert.equal(human.stderr, '');
      const lines = human.stdout.trim().split('\n');
      assert.equal(lines[0], `database:   ${maskUrl(p.url)}`, 'the URL as given, any password masked');
      assert.match(lines[1]!, /^migrations: +\S+migrations \(3\)$/);
      assert.deepEqual(lines.slice(2), [
        'heads:      r3',
        'applied:    2',
        'pending:    1  (r3) — run `idem up`',
      ]);

      const json = await p.cli(['--json', 'status']);
      assert.equal(json.code, EXIT.ok);
      assert.equal(json.events.length, 1);
      const s: Record<string, unknown> = json.events[0]!;
      assert.equal(s.event, 'status');
      assert.deepEqual([s.heads, s.applied, s.pending, s.unknown, s.edited], [['r3'], ['r1', 'r2'], ['r3'], [], []]);
    });

    test(`${engine.name}: history lists every revision in graph order, marked`, async () => {
      const human = await p.cli(['history']);
      assert.equal(human.code, EXIT.ok, show(human));
      assert.deepEqual(human.stdout.trim().split('\n'), [
        'r1 (base)  users  [applied]  0001_r1.ts',
        'r2 <- r1  groups  [applied]  0002_r2.ts',
        'r3 <- r2  api keys  [pending, head]  0003_r3.ts',
      ]);
      const json = await p.cli(['--json', 'history']);
      assert.deepEqual(json.events.map((e) => [e.event, e.revision, e.revises, e.applied, e.head]), [
        ['revision', 'r1', [], true, false],
        ['revision', 'r2', ['r1'], true, false],
        ['revision', 'r3', ['r2'], false, true],
      ]);
      assert.match(String(json.events[0]!.appliedAt), /^\d{4}-\d{2}-\d{2}T/);
      assert.equal(json.events[2]!.appliedAt, undefined);
    });

    test(`${engine.name}: heads lists the head with its state`, async () => {
      const human = await p.cli(['heads']);
      assert.equal(human.code, EXIT.ok, show(human));
      assert.equal(human.stdout, 'r3  api keys  [pending]\n');
      const json = await p.cli(['--json', 'heads']);
      assert.deepEqual(json.events, [{ event: 'head', revision: 'r3', description: 'api keys', applied: false, file: '0003_r3.ts' }]);
    });

    test(`${engine.name}: status on a database never migrated shows everything pending`, async () => {
      const fresh = await TestProject.create(engine);
      try {
        await fresh.write({ revision: 'x1', up: table('x') });
        const json = await fresh.cli(['--json', 'status']);
        assert.equal(json.code, EXIT.ok, show(json));
        assert.deepEqual([json.events[0]!.applied, json.events[0]!.pending], [[], ['x1']]);
        assert.deepEqual(await fresh.recorded(), []);
      } finally {
        await fresh.dispose();
      }
    });
  });

  describe(`${engine.name}: stamp`, () => {
    let p: TestProject;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({ revision: 's1', description: 'one', up: table('one') });
      await p.write({ revision: 's2', revises: 's1', description: 'two', up: table('two') });
      await p.write({ revision: 's3', revises: 's2', description: 'three', up: table('three') });
    });
    after(() => p.dispose());

    test(`${engine.name}: stamp <rev> records it and its ancestors without running them`, async () => {
      const r = await p.cli(['stamp', 's2']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(r.stdout.trim().split('\n'), ['stamped s1: one', 'stamped s2: two']);
      assert.deepEqual(await p.recorded(), ['s1', 's2']);
      assert.equal(await p.fingerprint(), '{}', 'no table was created');
      const status = await p.cli(['--json', 'status']);
      assert.deepEqual(status.events[0]!.pending, ['s3']);

      // up runs only what is not recorded.
      const up = await p.cli(['--json', 'up']);
      assert.equal(up.code, EXIT.ok, show(up));
      assert.deepEqual(up.events.filter((e) => e.event === 'migration').map((e) => e.revision), ['s3']);
      assert.deepEqual(Object.keys(JSON.parse(await p.fingerprint())), ['three']);
    });

    test(`${engine.name}: stamp base removes every record and keeps the schema`, async () => {
      const schema = await p.fingerprint();
      const r = await p.cli(['--json', 'stamp', 'base']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(r.events.map((e) => [e.event, e.revision, e.action]), [
        ['stamp', 's3', 'removed'], ['stamp', 's2', 'removed'], ['stamp', 's1', 'removed'],
      ]);
      assert.deepEqual(await p.recorded(), []);
      assert.equal(await p.fingerprint(), schema);
    });

    test(`${engine.name}: stamp of an unknown revision is refused and records nothing`, async () => {
      await assertFails(p, ['stamp', 'nope'], {
        exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET', message: /unknown revision "nope"/, hint: /idem history/,
      });
      assert.deepEqual(await p.recorded(), []);
    });
  });
}
