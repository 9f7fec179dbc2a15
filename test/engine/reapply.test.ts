/**
 * `idem up --reapply <revision>` and `--reapply-changed`, per engine: an
 * applied migration edited since is reported (a warning; exit 3 under
 * --strict) and, on request, run again after the pending ones. What the
 * edit changed is applied, what already holds is skipped, what a later
 * applied migration declares is left to it, and the version row takes the
 * new checksum so the edit is no longer reported.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { up } from '../../src/api/up.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { VERSION_TABLE } from '../../src/runner/version-table.ts';
import { engines } from '../engines.ts';
import { assertFails, show } from '../support/cli-checks.ts';
import { catalogTable, upOk } from '../support/scenario.ts';
import { opLines, TestProject, type CliResult, type MigrationSource } from '../support/project.ts';

const USERS: MigrationSource = {
  revision: 'alpha111',
  up: `
await m.createTable('users', {
  id: { type: 'integer', primaryKey: true },
  email: { type: 'string', length: 100, nullable: false },
});`,
};
const POSTS: MigrationSource = {
  revision: 'beta2222', revises: 'alpha111',
  up: `await m.createTable('posts', { id: { type: 'integer', primaryKey: true }, title: { type: 'string', length: 80 } });`,
};
const NICKNAME = `await m.addColumn('users', 'nickname', { type: 'string', length: 30, nullable: true });`;

/** Revisions whose `begin` event says they ran again, in order. */
function reapplied(run: CliResult): string[] {
  return run.events.filter((e) => e.event === 'begin' && e.reapply === true).map((e) => String(e.revision));
}

function begun(run: CliResult): string[] {
  return run.events.filter((e) => e.event === 'begin').map((e) => String(e.revision));
}

async function columnNames(p: TestProject, table: string): Promise<string[]> {
  const t = await catalogTable(p, table);
  assert.ok(t, `table ${table} missing`);
  return t.columns.map((c) => c.name).sort();
}

async function edited(p: TestProject): Promise<unknown> {
  const status = await p.cli(['--json', 'status']);
  assert.equal(status.code, EXIT.ok, show(status));
  return status.events[0]!.edited;
}

/** Both `up` and `up --strict` find nothing to do and say nothing else. */
async function clean(p: TestProject): Promise<void> {
  for (const args of [['up'], ['--strict', 'up']]) {
    const r = await p.cli(['--json', ...args]);
    assert.equal(r.code, EXIT.ok, show(r));
    assert.deepEqual(r.events.map((e) => e.event), ['done'], `${args.join(' ')}: ${r.stdout}`);
  }
  assert.deepEqual(await edited(p), []);
}

for (const engine of engines) {
  describe(`${engine.name}: reapply`, () => {
    const projects: TestProject[] = [];
    const project = async (...migrations: MigrationSource[]): Promise<{ p: TestProject; files: string[] }> => {
      const p = await TestProject.create(engine);
      projects.push(p);
      const files: string[] = [];
      for (const m of migrations) files.push(await p.write(m));
      return { p, files };
    };
    after(async () => { for (const p of projects) await p.dispose(); });

    test(`${engine.name}: an edited migration warns, fails --strict, and --reapply <prefix> applies the edit and skips the rest`, async () => {
      const { p, files } = await project(USERS, POSTS);
      await upOk(p);
      await p.write({ ...USERS, up: `${USERS.up}\n${NICKNAME}`, file: files[0]! });

      const warned = await upOk(p);
      const warning = warned.events.find((e) => e.event === 'warning')!;
      assert.deepEqual([warning.code, warning.revision], ['CHECKSUM_MISMATCH', 'alpha111']);
      assert.match(String(warning.hint), /idem up --reapply alpha111/);
      assert.deepEqual(await columnNames(p, 'users'), ['email', 'id'], 'the edit is not run without asking');
      await assertFails(p, ['--strict', 'up'], {
        exit: EXIT.strict, code: 'CHECKSUM_MISMATCH', message: /alpha111\) changed since it was applied/, hint: /--reapply alpha111/,
      });

      const run = await upOk(p, '--reapply', 'alph');
      assert.deepEqual(reapplied(run), ['alpha111'], 'only the named revision runs, marked as a reapply');
      assert.deepEqual(opLines(run), ['skipped createTable users', 'applied addColumn users.nickname']);
      const migration = run.events.find((e) => e.event === 'migration')!;
      assert.deepEqual([migration.reapply, migration.applied, migration.skipped], [true, 1, 1]);
      assert.equal(run.events.some((e) => e.event === 'warning'), false, 'the edit being reapplied is not also warned about');
      assert.deepEqual(await columnNames(p, 'users'), ['email', 'id', 'nickname']);
      await clean(p);
      // The row keeps its place in the order revisions were applied in.
      const order = await p.query<{ revision: string }>(`SELECT revision FROM ${VERSION_TABLE} ORDER BY seq`);
      assert.deepEqual(order.map((r) => r.revision), ['alpha111', 'beta2222']);

      // Asked again, it runs again: everything already holds. The human lines say it is a reapply.
      const again = await p.cli(['up', '--reapply', 'alpha111']);
      assert.equal(again.code, EXIT.ok, show(again));
      assert.match(again.stdout, /^> alpha111 up \(reapply\): alpha111 \(0001_alpha111\.ts\)/m);
      assert.match(again.stdout, /^ {2}skipped +addColumn users\.nickname/m);
      assert.match(again.stdout, /^ {2}alpha111 up \(reapply\): 0 applied, 2 skipped, 0 drift/m);
    });

    test(`${engine.name}: --reapply-changed runs every edited migration, in graph order, and passes --strict`, async () => {
      const third: MigrationSource = { revision: 'gamma333', revises: 'beta2222', up: `await m.createTable('tags', { id: { type: 'integer', primaryKey: true } });` };
      const { p, files } = await project(USERS, POSTS, third);
      await upOk(p);
      await p.write({ ...third, up: `${third.up}\nawait m.addColumn('tags', 'label', { type: 'string', length: 20, nullable: true });`, file: files[2]! });
      await p.write({ ...USERS, up: `${USERS.up}\n${NICKNAME}`, file: files[0]! });
      assert.deepEqual(await edited(p), ['alpha111', 'gamma333']);

      const run = await upOk(p, '--strict', '--reapply-changed');
      assert.deepEqual(reapplied(run), ['alpha111', 'gamma333']);
      assert.deepEqual(opLines(run), [
        'skipped createTable users', 'applied addColumn users.nickname',
        'skipped createTable tags', 'applied addColumn tags.label',
      ]);
      await clean(p);
      const nothing = await upOk(p, '--reapply-changed');
      assert.deepEqual(nothing.events.map((e) => [e.event, e.migrations]), [['done', 0]], 'nothing edited: nothing to do');

      // Named, edited or not: a comma list and a repeated option, run in graph order.
      for (const args of [['--reapply', 'gamma333,alpha111'], ['--reapply', 'gamma333', '--reapply', 'alpha111']]) {
        const named = await upOk(p, ...args);
        assert.deepEqual(reapplied(named), ['alpha111', 'gamma333'], args.join(' '));
        assert.deepEqual(opLines(named).filter((l) => !l.startsWith('skipped ')), [], args.join(' '));
      }
    });

    test(`${engine.name}: pending migrations run first; what a later applied migration declares is left to it`, async () => {
      const first: MigrationSource = {
        revision: 'alpha111',
        up: `
await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 100, nullable: false } });
await m.createTable('scratch', { id: { type: 'integer', primaryKey: true } });`,
      };
      const second: MigrationSource = {
        revision: 'beta2222', revises: 'alpha111',
        up: `await m.alterColumn('users', 'email', { length: 200 });\nawait m.dropTable('scratch');`,
      };
      const { p, files } = await project(first, second);
      await upOk(p);
      // The edit also declares what beta2222 changed later (email's length) and a nullability of its own.
      await p.write({ ...first, up: `${first.up}\n${NICKNAME}\nawait m.alterColumn('users', 'email', { length: 100, nullable: true });`, file: files[0]! });
      await p.write({ revision: 'gamma333', revises: 'beta2222', up: `await m.createTable('tags', { id: { type: 'integer', primaryKey: true } });` });

      const run = await upOk(p, '--reapply', 'alpha111');
      assert.deepEqual(begun(run), ['gamma333', 'alpha111'], 'the pending migration first, then the reapply');
      assert.deepEqual(reapplied(run), ['alpha111']);
      const lines = run.events.filter((e) => e.event === 'op' && e.revision === 'alpha111').map((e) => `${e.outcome} ${e.op} ${e.target} — ${e.detail ?? ''}`);
      assert.deepEqual(lines.map((l) => l.split(' — ')[0]), [
        'skipped createTable users', 'skipped createTable scratch', 'applied addColumn users.nickname', 'applied alterColumn users.email',
      ]);
      assert.match(lines[1]!, /left to beta2222, applied after it/, 'a table a later migration dropped is not created again');
      assert.match(lines[3]!, /nullable false -> true/);
      assert.doesNotMatch(lines[3]!, /type/, 'the length beta2222 declares is left to it');
      const users = (await catalogTable(p, 'users'))!;
      const email = users.columns.find((c) => c.name === 'email')!;
      assert.deepEqual([email.type.length, email.nullable], [200, true]);
      assert.equal(await catalogTable(p, 'scratch'), undefined);
      assert.deepEqual(await p.recorded(), ['alpha111', 'beta2222', 'gamma333']);
      await clean(p);
    });

    test(`${engine.name}: --reapply of an unknown revision, or of one neither applied nor pending, is a usage error; a pending one simply runs`, async () => {
      const { p } = await project(USERS, POSTS);
      await assertFails(p, ['up', '--reapply', 'nope'], {
        exit: EXIT.usage, code: 'USAGE', message: /--reapply nope: unknown revision "nope"/, hint: /idem history/,
      });
      await assertFails(p, ['up', '--reapply', ''], { exit: EXIT.usage, code: 'USAGE', message: /--reapply needs a revision id/, hint: /idem history/ });
      await assertFails(p, ['up', 'alpha111', '--reapply', 'beta2222'], {
        exit: EXIT.usage, code: 'USAGE', message: /--reapply beta2222: it is not applied/, hint: /idem status/,
      });
      assert.deepEqual(await p.recorded(), [], 'nothing ran');

      const run = await upOk(p, '--reapply', 'beta2222');
      assert.deepEqual(begun(run), ['alpha111', 'beta2222']);
      assert.deepEqual(reapplied(run), [], 'a pending revision runs as pending');
      assert.deepEqual(await p.recorded(), ['alpha111', 'beta2222']);
    });

    test(`${engine.name}: a checkout with CRLF line endings is not an edit: --reapply-changed finds nothing`, async () => {
      const { p, files } = await project(USERS, POSTS);
      await upOk(p);
      const path = join(p.migrations, files[0]!);
      await writeFile(path, (await readFile(path, 'utf8')).replace(/\n/g, '\r\n'));
      const run = await upOk(p, '--strict', '--reapply-changed');
      assert.deepEqual(run.events.map((e) => e.event), ['done']);
      await clean(p);
    });

    test(`${engine.name}: two --reapply-changed at once: the edit runs once`, async () => {
      const { p, files } = await project(USERS, POSTS);
      await upOk(p);
      await p.write({ ...USERS, up: `${USERS.up}\n${NICKNAME}`, file: files[0]! });
      const runs = await Promise.all([p.cli(['--json', 'up', '--reapply-changed']), p.cli(['--json', 'up', '--reapply-changed'])]);
      for (const r of runs) assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(runs.map(reapplied).flat(), ['alpha111'], runs.map((r) => r.stdout).join('\n---\n'));
      assert.deepEqual(await columnNames(p, 'users'), ['email', 'id', 'nickname']);
      await clean(p);
    });

    test(`${engine.name}: from code, up({ reapplyChanged }) reports the reapply in its result`, async () => {
      const { p, files } = await project(USERS, POSTS);
      await upOk(p);
      await p.write({ ...USERS, up: `${USERS.up}\n${NICKNAME}`, file: files[0]! });
      const result = await up({ url: p.url, cwd: p.dir, env: {}, reapplyChanged: true });
      assert.deepEqual(result.migrations.map((m) => [m.revision, m.reapply, m.applied, m.skipped]), [['alpha111', true, 1, 1]]);
      await clean(p);
    });
  });
}
