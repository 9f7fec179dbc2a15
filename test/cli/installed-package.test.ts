/**
 * idem as users get it: `npm pack`, installed into a fresh project, run from
 * node_modules/.bin. Node refuses to strip types under node_modules, so this
 * proves the package ships compiled JavaScript and runs the seed example's
 * TypeScript migrations from the user's own folder.
 *
 * Packs with --ignore-scripts: `prepare` would rebuild dist/ while other test
 * files run the CLI from it (`npm test` built it already).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, test } from 'node:test';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'idem-installed-'));
  const { stdout } = await run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], { cwd: root });
  const tarball = stdout.trim().split('\n').pop()!;
  await cp(join(root, 'examples/seed/migrations'), join(work, 'migrations'), { recursive: true });
  await cp(join(root, 'examples/seed/init-db.mjs'), join(work, 'init-db.mjs'));
  await writeFile(join(work, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(work, tarball)], { cwd: work });
});

after(() => rm(work, { recursive: true, force: true }));

function idem(args: string[]) {
  return run(join(work, 'node_modules/.bin/idem'), args, { cwd: work, env: { ...process.env, DATABASE_URL: '' } });
}

test('the packed package holds compiled JavaScript and type declarations, not the TypeScript sources', async () => {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root });
  const files = (JSON.parse(stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
  assert.ok(files.includes('dist/cli/bin.js'));
  assert.ok(files.includes('dist/index.d.ts'));
  assert.deepEqual(files.filter((f) => f.startsWith('src/') || f.startsWith('test/')), []);
});

test('installed from its tarball, idem runs the seed example: adopt, apply, then nothing to do', async () => {
  await run(process.execPath, ['init-db.mjs'], { cwd: work });
  const first = await idem(['--json', 'up']);
  const ops = first.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.event === 'op');
  assert.deepEqual(ops.map((e) => `${e.outcome} ${e.op} ${e.target}`), [
    'skipped createTable users',
    'applied createTable groups',
    'applied createTable user_groups',
    'applied executeIf create the admin group',
    'applied addColumn users.api_key',
    'applied executeIf migrating admin users to the admin group',
  ]);
  const again = await idem(['up']);
  assert.match(again.stdout, /up: nothing to do/);
  const status = await idem(['--json', 'status']);
  const record = JSON.parse(status.stdout.trim());
  assert.equal(record.applied.length, 4);
  assert.deepEqual(record.pending, []);
});

test('installed from its tarball, the programmatic API works at application start', async () => {
  const script = join(work, 'start.mjs');
  await writeFile(script, `import { up, status } from 'idem';
const result = await up({ url: 'sqlite:./api.db' });
const s = await status({ url: 'sqlite:./api.db' });
console.log(JSON.stringify({ migrations: result.migrations.length, applied: result.applied, pending: s.pending.length }));`);
  await run(process.execPath, ['init-db.mjs'], { cwd: work, env: { ...process.env, DB_FILE: 'api.db' } });
  const { stdout, stderr } = await run(process.execPath, [script], { cwd: work });
  assert.equal(stderr, '', 'library code prints nothing');
  assert.deepEqual(JSON.parse(stdout), { migrations: 4, applied: 5, pending: 0 });
});

test('installed without the optional drivers, a server URL says which package to install (exit 2)', async () => {
  for (const [url, pkg] of [['postgres://u:s3cret@127.0.0.1:5432/app', 'pg'], ['mariadb://u:s3cret@127.0.0.1:3306/app', 'mysql2']] as const) {
    const failed = await idem(['--url', url, 'status']).then(
      () => assert.fail('expected a failure'),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    assert.equal(failed.code, 2, failed.stderr);
    assert.match(failed.stderr, new RegExp(`hint: +npm install ${pkg}`));
    assert.doesNotMatch(failed.stdout + failed.stderr, /s3cret/);
  }
});
