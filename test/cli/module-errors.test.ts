/**
 * A migration module that cannot run: a syntax error names the file and line;
 * a throwing migration names the revision and the thrown message; a module
 * without `up` or with an invalid header is refused; `down` over a migration
 * without down() says what to do. Exit 1, no stack trace, nothing recorded.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertFails, show } from '../support/cli-checks.ts';
import { rollsBackDdl } from '../support/engine-sql.ts';
import { TestProject } from '../support/project.ts';

const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;

for (const engine of engines) {
  describe(`${engine.name}: migration module problems`, () => {
    const projects: TestProject[] = [];
    const project = async (): Promise<TestProject> => {
      const p = await TestProject.create(engine);
      projects.push(p);
      await p.write({ revision: 'ok1', up: table('t_ok'), down: `await m.dropTable('t_ok');` });
      return p;
    };
    after(() => Promise.all(projects.map((p) => p.dispose())));

    test(`${engine.name}: a TypeScript syntax error names the file and line; nothing runs`, async () => {
      const p = await project();
      // Line 8 of the written module: import, blank, three header lines, blank, then `up(` on line 7.
      await p.write({ revision: 'bad1', revises: 'ok1', up: `const broken = ;` });
      await assertFails(p, ['up'], {
        exit: EXIT.migrationFailed, code: 'MIGRATION_LOAD',
        message: /migration migrations\/0002_bad1\.ts:8:\d+ has a syntax error/,
        hint: /fix the file, then re-run/,
      });
      assert.deepEqual(await p.recorded(), [], 'every pending module loads before the first runs');
    });

    test(`${engine.name}: a JavaScript syntax error names the file and line`, async () => {
      const p = await project();
      await p.writeRaw('0002_bad2.mjs', `export const revision = 'bad2';\nexport const revises = 'ok1';\nexport async function up(m) {\n  await m.sql('x');\n  }}\n`);
      await assertFails(p, ['up'], {
        exit: EXIT.migrationFailed, code: 'MIGRATION_LOAD',
        message: /migration migrations\/0002_bad2\.mjs:5:\d+ has a syntax error/,
        hint: /fix the file/,
      });
    });

    test(`${engine.name}: a migration that throws names the revision and the message, no stack; earlier ones commit`, async () => {
      const p = await project();
      await p.write({ revision: 'boom', revises: 'ok1', up: `${table('t_half')}\nthrow new Error('the backfill found 3 orphans');` });
      const { human, json } = await assertFails(p, ['up'], {
        exit: EXIT.migrationFailed, code: 'OPERATION_FAILED',
        message: /migration migrations\/0002_boom\.ts:\d+:\d+ threw: the backfill found 3 orphans/,
        hint: /fix the migration, then re-run/,
      });
      assert.match(human.stderr, /^error: boom: /m);
      assert.equal(json.events.at(-1)!.revision, 'boom');
      assert.deepEqual(await p.recorded(), ['ok1']);
      // Rolled back with its transaction; MariaDB commits each DDL statement, so t_half stays there, unrecorded.
      assert.deepEqual(Object.keys(JSON.parse(await p.fingerprint())), rollsBackDdl(engine) ? ['t_ok'] : ['t_half', 't_ok'],
        rollsBackDdl(engine) ? 'the failed migration rolled back' : 'the DDL that ran before the throw stays');
      // Corrected, the migration re-runs and converges: what stayed behind is skipped, not created twice.
      await p.write({ revision: 'boom', revises: 'ok1', up: table('t_half'), file: '0002_boom.ts' });
      const fixed = await p.cli(['--json', 'up']);
      assert.equal(fixed.code, EXIT.ok, show(fixed));
      assert.deepEqual(fixed.events.filter((e) => e.event === 'op').map((e) => `${e.outcome} ${e.op} ${e.target}`),
        [`${rollsBackDdl(engine) ? 'applied' : 'skipped'} createTable t_half`]);
      assert.deepEqual(await p.recorded(), ['boom', 'ok1']);
      assert.deepEqual(Object.keys(JSON.parse(await p.fingerprint())), ['t_half', 't_ok']);
    });

    test(`${engine.name}: a thrown non-Error value is reported as text`, async () => {
      const p = await project();
      await p.write({ revision: 'str', revises: 'ok1', up: `throw 'plain string';` });
      await assertFails(p, ['up'], {
        exit: EXIT.migrationFailed, code: 'OPERATION_FAILED', message: /migration 0002_str\.ts threw: plain string/, hint: /re-run/,
      });
    });

    test(`${engine.name}: an error thrown while the module loads names the file and line`, async () => {
      const p = await project();
      await p.writeRaw('0002_load.ts', `export const revision = 'load1';\nexport const revises = 'ok1';\nconst config = JSON.parse('{');\nexport async function up() {}\n`);
      await assertFails(p, ['up'], {
        exit: EXIT.migrationFailed, code: 'MIGRATION_LOAD',
        message: /migration migrations\/0002_load\.ts:3:\d+ failed to load: SyntaxError: .*JSON/,
        hint: /fix the file/,
      });
    });

    test(`${engine.name}: a module without up is refused`, async () => {
      const p = await project();
      await p.writeRaw('0002_noup.ts', `export const revision = 'noup';\nexport const revises = 'ok1';\nexport const description = 'no up';\nexport async function upp() {}\n`);
      await assertFails(p, ['up'], {
        exit: EXIT.migrationFailed, code: 'MIGRATION_INVALID',
        message: /migration migrations\/0002_noup\.ts is invalid: it does not export `up`/,
        hint: /export async function up\(m\)/,
      });
      assert.deepEqual(await p.recorded(), []);
    });

    test(`${engine.name}: a header that is not valid is refused before anything runs`, async () => {
      const p = await project();
      await p.writeRaw('0002_norev.ts', `export const revises = 'ok1';\nexport async function up() {}\n`);
      await assertFails(p, ['status'], {
        exit: EXIT.migrationFailed, code: 'MIGRATION_INVALID',
        message: /0002_norev\.ts is invalid: it does not export `revision`/,
        hint: /export const revision/,
      });
    });

    test(`${engine.name}: down over a migration without down() is refused with a hint; nothing reverted`, async () => {
      const p = await project();
      await p.write({ revision: 'oneway', revises: 'ok1', up: table('t_oneway') });
      const up = await p.cli(['up']);
      assert.equal(up.code, EXIT.ok, show(up));
      await assertFails(p, ['down', '-1'], {
        exit: EXIT.migrationFailed, code: 'MIGRATION_INVALID',
        message: /migration 0002_oneway\.ts has no down\(\)/,
        hint: /add a down\(m\) that undoes up\(m\)/,
      });
      assert.deepEqual(await p.recorded(), ['ok1', 'oneway']);
      assert.deepEqual(Object.keys(JSON.parse(await p.fingerprint())).sort(), ['t_ok', 't_oneway']);
    });

    test(`${engine.name}: a down path whose later migration has no down() reverts nothing, not even the ones before it`, async () => {
      const p = await TestProject.create(engine);
      try {
        await p.write({ revision: 'keep', up: table('t_keep') });
        await p.write({ revision: 'undoable', revises: 'keep', up: table('t_undoable'), down: `await m.dropTable('t_undoable');` });
        assert.equal((await p.cli(['up'])).code, EXIT.ok);
        await assertFails(p, ['down', 'base'], {
          exit: EXIT.migrationFailed, code: 'MIGRATION_INVALID',
          message: /has no down\(\); nothing was reverted/,
          hint: /add a down\(m\)/,
        });
        assert.deepEqual(await p.recorded(), ['keep', 'undoable']);
        assert.deepEqual(Object.keys(JSON.parse(await p.fingerprint())).sort(), ['t_keep', 't_undoable']);
      } finally {
        await p.dispose();
      }
    });
  });
}
