/**
 * A password never reaches the output. Every way a connection fails (an
 * unreachable host, a refused login, an unknown database, a read-only
 * session, a missing driver) is run with a URL carrying a distinctive
 * password, as typed, under --json and with --wait (which retries and reports
 * each attempt), and all of stdout and stderr is searched for the password,
 * raw and percent-encoded.
 *
 * PostgreSQL here trusts every login, so its "wrong password" is an unknown
 * role, and its other cases log in with the password (accepted, unused) and
 * fail after. MariaDB's root has no password, so a password for root is a
 * wrong one; the read-only case logs in with the password as a user created
 * for the test without write grants, dropped after.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { CLI, runCli, TestProject } from '../support/project.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Distinctive, and with characters a URL must percent-encode (`@`, `#`) and one it may leave (`!`). */
const PASSWORD = 'Pa55-w0rd!x@z#q';
const ENCODED = encodeURIComponent(PASSWORD);
/** Every spelling that would betray it; `w0rd!x` catches partial or differently encoded echoes. */
const SPELLINGS = [PASSWORD, ENCODED, ENCODED.toLowerCase(), 'w0rd!x', 'w0rd%21x', 'Pa55-w0rd'];

const MODES: string[][] = [[], ['--json'], ['--wait', '1'], ['--json', '--wait', '1']];

function withAuth(url: string, change: { user?: string; password?: string; port?: string; database?: string }): string {
  const u = new URL(url);
  if (change.user !== undefined) u.username = change.user;
  if (change.password !== undefined) u.password = encodeURIComponent(change.password);
  if (change.port !== undefined) u.port = change.port;
  if (change.database !== undefined) u.pathname = `/${change.database}`;
  return u.toString();
}

/** idem without its optional drivers (see bad-inputs.test.ts): the built package copied beside commander only. */
async function bareInstall(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'idem-nodrivers-'));
  await mkdir(join(dir, 'node_modules/idem'), { recursive: true });
  await cp(join(root, 'dist'), join(dir, 'node_modules/idem/dist'), { recursive: true });
  await cp(join(root, 'package.json'), join(dir, 'node_modules/idem/package.json'));
  await symlink(join(root, 'node_modules/commander'), join(dir, 'node_modules/commander'), 'dir');
  return dir;
}

const servers = engines.filter((e) => e.name !== 'sqlite');

test('the password is a real secret for this test: the URL holds it only percent-encoded', () => {
  assert.notEqual(ENCODED, PASSWORD);
  assert.match(withAuth('postgres://u@h/d', { password: PASSWORD }), new RegExp(`:${ENCODED.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}@`));
});

for (const engine of servers) {
  describe(`${engine.name}: no password in any output`, () => {
    let p: TestProject;
    let bare: string;
    let roUser = '';
    const dbName = () => decodeURIComponent(new URL(p.url).pathname.slice(1));

    before(async () => {
      p = await TestProject.create(engine);
      await p.write({ revision: 'r1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true } });` });
      bare = await bareInstall();
      if (engine.name === 'mariadb') {
        roUser = `idem_ro_${randomBytes(3).toString('hex')}`;
        for (const host of ['%', 'localhost']) {
          await p.exec(`CREATE USER '${roUser}'@'${host}' IDENTIFIED BY '${PASSWORD}'`);
          await p.exec(`GRANT SELECT ON \`${dbName()}\`.* TO '${roUser}'@'${host}'`);
        }
      }
    });
    after(async () => {
      if (roUser) for (const host of ['%', 'localhost']) await p.exec(`DROP USER IF EXISTS '${roUser}'@'${host}'`);
      await p.dispose();
      await rm(bare, { recursive: true, force: true });
    });

    const cases: Array<{ name: string; url: () => string; bin?: () => string }> = [
      { name: 'an unreachable host', url: () => withAuth(p.url, { password: PASSWORD, port: '1' }) },
      engine.name === 'postgres'
        ? { name: 'a refused login (an unknown role: the server trusts every known one)', url: () => withAuth(p.url, { user: 'idem_no_such_role', password: PASSWORD }) }
        : { name: 'a wrong password', url: () => withAuth(p.url, { password: PASSWORD }) },
      { name: 'an unknown database', url: () => withAuth(p.url, { password: PASSWORD, database: 'idem_no_such_db' }) },
      engine.name === 'postgres'
        ? { name: 'a read-only session', url: () => `${withAuth(p.url, { password: PASSWORD })}?options=-c%20default_transaction_read_only%3Don` }
        : { name: 'a user without write grants', url: () => withAuth(p.url, { user: roUser, password: PASSWORD }) },
      { name: 'a missing driver', url: () => withAuth(p.url, { password: PASSWORD }), bin: () => join(bare, 'node_modules/idem/dist/cli/bin.js') },
    ];

    for (const c of cases) {
      test(`${engine.name}: ${c.name}: up and status, as typed, --json and --wait 1`, async () => {
        for (const mode of MODES) {
          for (const command of mode.includes('--wait') ? [['up']] : [['up'], ['status']]) {
            const r = await runCli(['--url', c.url(), ...mode, ...command], p.dir, {}, c.bin?.() ?? CLI);
            // status only reads, so on a read-only session it succeeds and prints the (masked) URL: searched all the same.
            if (command[0] === 'up' || !/read-only|write grants/.test(c.name)) {
              assert.notEqual(r.code, 0, `${mode.join(' ')} ${command.join(' ')} should fail\n${show(r)}`);
            }
            const all = r.stdout + r.stderr;
            assert.ok(all.trim() !== '', 'the failure says something');
            for (const s of SPELLINGS) assert.ok(!all.includes(s), `"${s}" appears in the output of ${mode.join(' ')} ${command.join(' ')}:\n${show(r)}`);
          }
        }
      });
    }
  });
}
