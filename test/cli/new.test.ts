/**
 * `idem new`: a migration file named <yyyymmddHHMMSS>_<slug>.ts, following
 * the template, revising the current head, in a folder it creates if needed;
 * with several heads, revising them all (which joins the branches).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { runCli, TestProject } from '../support/project.ts';

const NAME = /^(\d{14})_([a-z0-9_]+)\.ts$/;
const CREATED = /^created (\S+) \(revision ([0-9a-f]{12})(?:, revises (\S+))?\)\n$/;

function template(revision: string, revises: string, description: string): string {
  return `import type { MigrationContext } from 'idem';

export const revision = '${revision}';
export const revises: string | string[] | null = ${revises};
export const description = '${description}';

export async function up(m: MigrationContext): Promise<void> {
}

export async function down(m: MigrationContext): Promise<void> {
}
`;
}

function utcStamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

describe('cli: new in an empty project', () => {
  let cwd: string;
  before(async () => { cwd = await mkdtemp(join(tmpdir(), 'idem-new-')); });
  after(() => rm(cwd, { recursive: true, force: true }));

  test('creates migrations/, writes the template, and each new migration revises the previous one', async () => {
    const started = Date.now();
    const first = await runCli(['new', 'add groups'], cwd);
    assert.equal(first.code, EXIT.ok, show(first));
    assert.equal(first.stderr, '');
    const [, path1, rev1, parent1] = CREATED.exec(first.stdout) ?? assert.fail(first.stdout);
    assert.equal(parent1, undefined);
    assert.deepEqual(await readdir(join(cwd, 'migrations')), [basename(path1!)]);
    const [, stamp, slug] = NAME.exec(basename(path1!)) ?? assert.fail(path1);
    assert.equal(slug, 'add_groups');
    // The name is the UTC time of creation, to the second.
    assert.ok(stamp! >= utcStamp(started - 1000) && stamp! <= utcStamp(Date.now() + 1000), `${stamp} is now`);
    assert.equal(path1, join(cwd, 'migrations', basename(path1!)));
    assert.equal(await readFile(path1!, 'utf8'), template(rev1!, 'null', 'add groups'));

    const second = await runCli(['new', 'add users'], cwd);
    assert.equal(second.code, EXIT.ok, show(second));
    const [, path2, rev2, parent2] = CREATED.exec(second.stdout) ?? assert.fail(second.stdout);
    assert.equal(parent2, rev1);
    assert.notEqual(rev2, rev1);
    assert.equal(await readFile(path2!, 'utf8'), template(rev2!, `'${rev1}'`, 'add users'));

    // A slug that sorts first, written in the same second: the listing must still read in order.
    const third = await runCli(['--json', 'new', 'a first look'], cwd);
    assert.equal(third.code, EXIT.ok, show(third));
    assert.equal(third.events.length, 1);
    const written: Record<string, unknown> = third.events[0]!;
    assert.equal(written.event, 'new');
    assert.deepEqual(written.revises, [rev2]);
    assert.match(basename(String(written.path)), /^\d{14}_a_first_look\.ts$/);

    const files = (await readdir(join(cwd, 'migrations'))).sort();
    assert.deepEqual(files, [basename(path1!), basename(path2!), basename(String(written.path))], 'file names sort in creation order');

    const history = await runCli(['history'], cwd);
    assert.equal(history.code, EXIT.ok, show(history));
    assert.deepEqual(history.stdout.trim().split('\n').map((l) => l.split(' ')[0]), [rev1, rev2, written.revision]);

    // The template runs as written: three empty migrations applied to the default database.
    const up = await runCli(['--json', 'up'], cwd);
    assert.equal(up.code, EXIT.ok, show(up));
    assert.deepEqual(up.events.filter((e) => e.event === 'migration').map((e) => e.revision), [rev1, rev2, written.revision]);
  });

  test('an empty description is a usage error and writes nothing', async () => {
    const before = await readdir(join(cwd, 'migrations'));
    const r = await runCli(['new', '   '], cwd);
    assert.equal(r.code, EXIT.usage, show(r));
    assert.match(r.stderr, /^error: a migration needs a description$/m);
    assert.match(r.stderr, /hint: +say what it does/);
    assert.deepEqual(await readdir(join(cwd, 'migrations')), before);
  });

  test('--dir writes into that folder, creating it', async () => {
    const r = await runCli(['--dir', 'db/migrations', 'new', 'Add API keys!'], cwd);
    assert.equal(r.code, EXIT.ok, show(r));
    const files = await readdir(join(cwd, 'db/migrations'));
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^\d{14}_add_api_keys\.ts$/);
    // A separate folder is a separate history: the first migration there revises nothing.
    assert.match(await readFile(join(cwd, 'db/migrations', files[0]!), 'utf8'), /^export const revises: string \| string\[\] \| null = null;$/m);
  });
});

for (const engine of engines) {
  describe(`${engine.name}: new with several heads`, () => {
    let p: TestProject;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({ revision: 'base1', up: '' });
      await p.write({ revision: 'left1', revises: 'base1', up: '' });
      await p.write({ revision: 'right1', revises: 'base1', up: '' });
    });
    after(() => p.dispose());

    test(`${engine.name}: new revises every head, joining the branches; up then has one head`, async () => {
      const r = await p.cli(['new', 'more']);
      assert.equal(r.code, EXIT.ok, r.stderr);
      assert.match(r.stdout, /revises left1, right1/);
      assert.match(r.stdout, /it revises 2 heads, so it also merges them/);
      const written = (await readdir(p.migrations)).find((f) => f.endsWith('_more.ts'))!;
      assert.match(await readFile(join(p.migrations, written), 'utf8'), /^export const revises: string \| string\[\] \| null = \['left1', 'right1'\];$/m);
      const heads = await p.cli(['--json', 'heads']);
      assert.equal(heads.events.length, 1, heads.stdout);
      const up = await p.cli(['up']);
      assert.equal(up.code, EXIT.ok, up.stderr);
    });
  });
}
