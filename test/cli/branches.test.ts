/**
 * Branches and merges: `up heads` applies every branch; `idem merge` writes
 * the joining migration, after which `up` has one head again; and a revision
 * merged in from another branch runs even when it is older than what is
 * applied (no high-water mark).
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertFails, show } from '../support/cli-checks.ts';
import { opLines, TestProject, type CliResult } from '../support/project.ts';

const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;

function ran(r: CliResult): string[] {
  return r.events.filter((e) => e.event === 'migration').map((e) => String(e.revision));
}

async function tables(p: TestProject): Promise<string[]> {
  return Object.keys(JSON.parse(await p.fingerprint())).sort();
}

for (const engine of engines) {
  describe(`${engine.name}: branches and merge`, () => {
    let p: TestProject;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({ revision: 'base', up: table('t_base') });
      await p.write({ revision: 'left', revises: 'base', up: table('t_left') });
      await p.write({ revision: 'right', revises: 'base', up: table('t_right') });
    });
    after(() => p.dispose());

    test(`${engine.name}: heads lists both branches; up heads applies both`, async () => {
      const heads = await p.cli(['heads']);
      assert.equal(heads.code, EXIT.ok, show(heads));
      assert.deepEqual(heads.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0]), ['left', 'right']);
      const up = await p.cli(['--json', 'up', 'heads']);
      assert.equal(up.code, EXIT.ok, show(up));
      assert.deepEqual(ran(up), ['base', 'left', 'right']);
      assert.deepEqual(await p.recorded(), ['base', 'left', 'right']);
      assert.deepEqual(await tables(p), ['t_base', 't_left', 't_right']);
      const again = await p.cli(['--json', 'up', 'heads']);
      assert.equal(again.code, EXIT.ok);
      assert.deepEqual(again.events.map((e) => e.event), ['done']);
      // Everything applied, but `up` still needs one head to aim at.
      await assertFails(p, ['up'], { exit: EXIT.history, code: 'GRAPH_MULTIPLE_HEADS', message: /left, right/, hint: /idem merge left right/ });
    });

    test(`${engine.name}: merge writes a migration revising both heads; then up works with one head`, async () => {
      const before = new Set(await readdir(p.migrations));
      const merge = await p.cli(['merge', 'left', 'right', '-m', 'merge']);
      assert.equal(merge.code, EXIT.ok, show(merge));
      const created = (await readdir(p.migrations)).filter((f) => !before.has(f));
      assert.equal(created.length, 1);
      assert.match(created[0]!, /^\d{14}_merge\.ts$/);
      const text = await readFile(`${p.migrations}/${created[0]}`, 'utf8');
      assert.match(text, /^export const revises: string \| string\[\] \| null = \['left', 'right'\];$/m);
      assert.match(text, /^export const description = 'merge';$/m);
      const revision = /^export const revision = '([0-9a-f]{12})';$/m.exec(text)![1]!;
      assert.match(merge.stdout, new RegExp(`^created \\S+${created[0]} \\(revision ${revision}, merges left, right\\)$`, 'm'));

      const heads = await p.cli(['--json', 'heads']);
      assert.deepEqual(heads.events.map((e) => [e.revision, e.applied]), [[revision, false]]);
      const up = await p.cli(['--json', 'up']);
      assert.equal(up.code, EXIT.ok, show(up));
      assert.deepEqual(ran(up), [revision]);
      assert.deepEqual(opLines(up), [], 'a merge has no operations of its own');
      assert.deepEqual(await p.recorded(), ['base', 'left', revision, 'right'].sort());
      const again = await p.cli(['up']);
      assert.equal(again.code, EXIT.ok);
      assert.match(again.stdout, /^up: nothing to do/m);
    });

    test(`${engine.name}: merge refuses an unknown revision and a single revision`, async () => {
      const files = await readdir(p.migrations);
      await assertFails(p, ['merge', 'left', 'nope', '-m', 'x'], {
        exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET', message: /unknown revision "nope"/, hint: /idem history/,
      });
      await assertFails(p, ['merge', 'left', '-m', 'x'], {
        exit: EXIT.usage, code: 'USAGE', message: /merge needs at least two revisions/, hint: /idem merge/,
      });
      assert.deepEqual(await readdir(p.migrations), files);
    });
  });

  describe(`${engine.name}: no high-water mark`, () => {
    test(`${engine.name}: a revision merged in from another branch, older than those applied, still runs`, async () => {
      const p = await TestProject.create(engine);
      try {
        await p.write({ revision: 'a', up: table('t_a'), file: '20240101000000_a.ts' });
        await p.write({ revision: 'b', revises: 'a', up: table('t_b'), file: '20240301000000_b.ts' });
        const first = await p.cli(['--json', 'up']);
        assert.equal(first.code, EXIT.ok, show(first));
        assert.deepEqual(ran(first), ['a', 'b']);

        // Another branch's migration, written in February, arrives with a merge.
        await p.write({ revision: 'c', revises: 'a', up: table('t_c'), file: '20240201000000_c.ts' });
        await p.write({ revision: 'm', revises: ['b', 'c'], up: '', file: '20240401000000_m.ts' });
        const status = await p.cli(['--json', 'status']);
        assert.deepEqual(status.events[0]!.pending, ['c', 'm']);

        const second = await p.cli(['--json', 'up']);
        assert.equal(second.code, EXIT.ok, show(second));
        assert.deepEqual(ran(second), ['c', 'm']);
        assert.deepEqual(opLines(second), ['applied createTable t_c']);
        assert.deepEqual(await p.recorded(), ['a', 'b', 'c', 'm']);
        assert.deepEqual(await tables(p), ['t_a', 't_b', 't_c']);
      } finally {
        await p.dispose();
      }
    });
  });
}
