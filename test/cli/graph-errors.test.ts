/**
 * Every revision-graph error, as typed and under --json: the documented exit
 * code, a message naming what is wrong, a hint saying what to do, and no
 * stack trace. Nothing runs and nothing is recorded.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertFails } from '../support/cli-checks.ts';
import { TestProject } from '../support/project.ts';

const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;

for (const engine of engines) {
  describe(`${engine.name}: graph errors`, () => {
    const projects: TestProject[] = [];
    const project = async (): Promise<TestProject> => {
      const p = await TestProject.create(engine);
      projects.push(p);
      return p;
    };
    after(() => Promise.all(projects.map((p) => p.dispose())));

    test(`${engine.name}: two files declaring one revision id`, async () => {
      const p = await project();
      await p.write({ revision: 'r1', up: table('one'), file: '0001_first.ts' });
      await p.write({ revision: 'r1', up: table('two'), file: '0002_second.ts' });
      await assertFails(p, ['up'], {
        exit: EXIT.history, code: 'GRAPH_DUPLICATE',
        message: /revision "r1" is declared by 2 files: 0001_first\.ts, 0002_second\.ts/,
        hint: /new revision id/,
      });
      assert.deepEqual(await p.recorded(), []);
      assert.equal(await p.fingerprint(), '{}');
    });

    test(`${engine.name}: a parent that no file declares (a git commit hash as revises)`, async () => {
      const p = await project();
      const hash = '3f9a1c2b7d4e8a9b0c1d2e3f4a5b6c7d8e9f0a1b';
      await p.write({ revision: 'r1', up: table('one'), file: '0001_first.ts' });
      await p.write({ revision: 'r2', revises: hash, up: table('two'), file: '0002_second.ts' });
      await assertFails(p, ['up'], {
        exit: EXIT.history, code: 'GRAPH_MISSING_PARENT',
        message: new RegExp(`0002_second\\.ts revises "${hash}", which no migration declares`),
        hint: /a git commit hash is not a revision id/,
      });
      assert.deepEqual(await p.recorded(), [], 'not even the valid r1 runs while the graph is broken');
      // status reads the same graph and fails the same way.
      await assertFails(p, ['status'], {
        exit: EXIT.history, code: 'GRAPH_MISSING_PARENT', message: new RegExp(hash), hint: /idem history/,
      });
    });

    test(`${engine.name}: a cycle`, async () => {
      const p = await project();
      await p.write({ revision: 'r0', up: table('zero'), file: '0000_root.ts' });
      await p.write({ revision: 'r1', revises: 'r3', up: table('one'), file: '0001_one.ts' });
      await p.write({ revision: 'r2', revises: 'r1', up: table('two'), file: '0002_two.ts' });
      await p.write({ revision: 'r3', revises: 'r2', up: table('three'), file: '0003_three.ts' });
      await assertFails(p, ['up'], {
        exit: EXIT.history, code: 'GRAPH_CYCLE',
        message: /revision cycle: r1 -> r2 -> r3 -> r1/,
        hint: /fix `revises` in one of 0001_one\.ts, 0002_two\.ts, 0003_three\.ts/,
      });
      assert.deepEqual(await p.recorded(), []);
    });

    test(`${engine.name}: several heads with up names both and both ways out`, async () => {
      const p = await project();
      await p.write({ revision: 'base', up: table('base') });
      await p.write({ revision: 'feat_a', revises: 'base', up: table('a') });
      await p.write({ revision: 'feat_b', revises: 'base', up: table('b') });
      const { human } = await assertFails(p, ['up'], {
        exit: EXIT.history, code: 'GRAPH_MULTIPLE_HEADS',
        message: /2 heads: feat_a, feat_b/,
        hint: /idem merge feat_a feat_b -m .*idem up heads/,
      });
      assert.match(human.stderr, /`idem merge feat_a feat_b -m "merge heads"`/);
      assert.match(human.stderr, /`idem up heads`/);
      assert.deepEqual(await p.recorded(), []);
      // `up head` is the default spelled out: the same error.
      await assertFails(p, ['up', 'head'], { exit: EXIT.history, code: 'GRAPH_MULTIPLE_HEADS', message: /feat_a, feat_b/, hint: /idem merge/ });
    });

    test(`${engine.name}: unknown targets for up and down; down past base`, async () => {
      const p = await project();
      await p.write({ revision: 'aaaa1', up: table('one'), down: `await m.dropTable('one');` });
      await p.write({ revision: 'aaaa2', revises: 'aaaa1', up: table('two'), down: `await m.dropTable('two');` });
      await assertFails(p, ['up', 'zzz'], {
        exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET', message: /unknown revision "zzz"/, hint: /idem history/,
      });
      assert.deepEqual(await p.recorded(), []);
      // A prefix that matches two revisions is ambiguous, not a guess.
      await assertFails(p, ['up', 'aaaa'], {
        exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET', message: /"aaaa" is ambiguous: it starts 2 revisions: aaaa1, aaaa2/, hint: /more characters/,
      });
      const up = await p.cli(['up']);
      assert.equal(up.code, EXIT.ok, up.stderr);
      await assertFails(p, ['down', 'zzz'], {
        exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET', message: /unknown revision "zzz"/, hint: /idem history/,
      });
      await assertFails(p, ['down', '-5'], {
        exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET', message: /cannot go down 5 steps: only 2 applied/, hint: /idem down -2.*idem down base/,
      });
      assert.deepEqual(await p.recorded(), ['aaaa1', 'aaaa2'], 'a refused down reverts nothing');
    });

    test(`${engine.name}: an empty migrations folder`, async () => {
      const p = await project();
      await assertFails(p, ['up'], {
        exit: EXIT.history, code: 'GRAPH_EMPTY', message: /no migrations in .*migrations/, hint: /idem new "<description>"/,
      });
      assert.deepEqual(await p.recorded(), []);
    });

    test(`${engine.name}: a missing migrations folder is a configuration error (exit 2)`, async () => {
      const p = await project();
      await rm(p.migrations, { recursive: true });
      for (const command of [['up'], ['status'], ['down', 'base']]) {
        await assertFails(p, command, {
          exit: EXIT.usage, code: 'CONFIG', message: /migrations directory migrations does not exist/, hint: /idem new "<description>"|--dir/,
        });
      }
      await assertFails(p, ['--dir', join(p.dir, 'nowhere'), 'up'], {
        exit: EXIT.usage, code: 'CONFIG', message: /migrations directory nowhere does not exist/, hint: /pass --dir/,
      });
    });
  });
}
