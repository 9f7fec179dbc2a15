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
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { CLI, runCli, TestProject, type CliResult } from '../support/project.ts';

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

/*
 * Every command, every spelling. Each URL below carries a password with
 * characters a URL must percent-encode, encoded or not, in the user info or
 * a password= parameter, under each scheme, and reaches idem through --url,
 * DATABASE_URL, a config module or a targets file (rotating, so each
 * command meets each source). The URLs name the real server, which accepts
 * the password (PostgreSQL here trusts every login; on MariaDB a user is
 * created with each password), so commands get as far as they can and print
 * the URL where they do (status, doctor, fleet); the same spellings are then
 * tried on a port nothing listens on. A password a URL cannot hold unencoded
 * (`#`, `/`, `?`, a stray `%`) is refused before any connection, with the
 * encoding to use. All of stdout and stderr, as typed and --json, is searched
 * for the password: whole, encoded, and every piece of it between the
 * special characters, so a mask that stops at the first `@` or `#` is caught.
 */

const SPECIAL = {
  at: 'Qh3Vw8@Zk5Rt2', hash: 'Gm4Bx7#Jd2Lc9', slash: 'Tf6Np3/Hs8Wq1', question: 'Yr2Ke5?Uv9Ao4', percent: 'Dz8Mi1%Xo6Sb3',
  colon: 'Lw5Fa9:Ct2Ey7', space: 'Vb3Rn8 Pk6Jh1', all: 'Kx4Tz7@Wm2#Lp5/Nq8?Rv3%Bs6:Hd9 Fy1', brief: 'p@ss#word9',
} as const;

/** The password whole, encoded both ways, and each piece between special characters long enough to be telling. */
function telltales(password: string): string[] {
  const encoded = encodeURIComponent(password);
  return [...new Set([password, encoded, encoded.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()), password.replaceAll(' ', '+'),
    ...password.split(/[@#/?%: ]/).filter((piece) => piece.length >= 4)])];
}

interface Server {
  scheme: string;
  altScheme: string;
  host: string;
  port: string;
  db: string;
  /** The user that logs in with this password. */
  user: (password: string) => string;
}

interface Spelling {
  name: string;
  password: string;
  url: (s: Server) => string;
  /** Refused before any connection: the URL does not read as written. */
  refused?: true;
  /** Logs in on this engine (a password= parameter is PostgreSQL's only). */
  connects?: (engine: string) => boolean;
}

const enc = encodeURIComponent;
const at = (s: Server, password: string, written: string, scheme = s.scheme) => `${scheme}://${s.user(password)}:${written}@${s.host}:${s.port}/${s.db}`;
const always = () => true;

const SPELLINGS_BY_KIND: Spelling[] = [
  { name: 'every special character, encoded', password: SPECIAL.all, url: (s) => at(s, SPECIAL.all, enc(SPECIAL.all)), connects: always },
  { name: 'every special character, encoded, the other scheme', password: SPECIAL.all, url: (s) => at(s, SPECIAL.all, enc(SPECIAL.all), s.altScheme), connects: always },
  { name: 'encoded with lower-case hex', password: SPECIAL.all, url: (s) => at(s, SPECIAL.all, enc(SPECIAL.all).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())), connects: always },
  { name: 'an upper-case scheme', password: SPECIAL.at, url: (s) => at(s, SPECIAL.at, enc(SPECIAL.at), s.scheme.toUpperCase()) },
  ...(['at', 'hash', 'slash', 'question', 'percent', 'colon', 'space'] as const).flatMap((kind): Spelling[] => [
    { name: `"${kind}" encoded`, password: SPECIAL[kind], url: (s) => at(s, SPECIAL[kind], enc(SPECIAL[kind])), connects: always },
    {
      name: `"${kind}" not encoded`, password: SPECIAL[kind], url: (s) => at(s, SPECIAL[kind], SPECIAL[kind]),
      ...(['hash', 'slash', 'question', 'percent'].includes(kind) ? { refused: true as const } : { connects: always }),
    },
  ]),
  { name: 'every special character, not encoded', password: SPECIAL.all, url: (s) => at(s, SPECIAL.all, SPECIAL.all), refused: true },
  { name: 'the issue\'s p@ss#word9', password: SPECIAL.brief, url: (s) => at(s, SPECIAL.brief, SPECIAL.brief), refused: true },
  {
    name: 'user= and password= parameters', password: SPECIAL.all,
    url: (s) => `${s.scheme}://${s.host}:${s.port}/${s.db}?user=${s.user(SPECIAL.all)}&password=${enc(SPECIAL.all)}`,
    connects: (engine) => engine === 'postgres',
  },
  {
    name: 'password= first, then user=', password: SPECIAL.colon,
    url: (s) => `${s.scheme}://${s.host}:${s.port}/${s.db}?password=${enc(SPECIAL.colon)}&user=${s.user(SPECIAL.colon)}`,
    connects: (engine) => engine === 'postgres',
  },
  {
    name: 'a password= parameter with an unencoded "#"', password: SPECIAL.hash, refused: true,
    url: (s) => `${s.scheme}://${s.user(SPECIAL.hash)}@${s.host}:${s.port}/${s.db}?password=${SPECIAL.hash}`,
  },
  {
    name: 'user info, and an "@" in a query parameter', password: SPECIAL.at, connects: always,
    url: (s) => `${at(s, SPECIAL.at, SPECIAL.at)}?application_name=me@laptop`,
  },
];

type Source = 'url' | 'env' | 'config';
const SOURCES: Source[] = ['url', 'env', 'config'];
/** Every command, with what it needs beyond the URL. */
const COMMANDS: string[][] = [
  ['status'], ['history'], ['heads'], ['plan'], ['up'], ['doctor'], ['lint'], ['verify'], ['stamp', 'r1'], ['down', '-1'], ['plan', '--down', 'base'],
];
const FLEET_COMMANDS: string[][] = [['up'], ['status'], ['plan'], ['doctor']];

function assertNoTelltale(r: CliResult, password: string, what: string): void {
  const all = r.stdout + r.stderr;
  for (const t of telltales(password)) assert.ok(!all.includes(t), `"${t}" appears in the output of ${what}:\n${show(r)}`);
}

/** Runs the given jobs a few at a time: spawning some six hundred CLIs one after the other would take minutes. */
async function inPool<T>(items: readonly T[], size: number, job: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: size }, async () => {
    while (next < items.length) await job(items[next++]!);
  }));
}

for (const engine of servers) {
  describe(`${engine.name}: no password in the output of any command, however the URL is spelled`, () => {
    const users = new Map<string, string>();
    let admin: TestProject;

    before(async () => {
      admin = await TestProject.create(engine);
      if (engine.name !== 'mariadb') return;
      for (const password of new Set(Object.values(SPECIAL))) {
        const user = `idem_sec_${randomBytes(3).toString('hex')}`;
        users.set(password, user);
        for (const host of ['%', 'localhost']) {
          await admin.exec(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}'`);
          // verify creates and drops its own temporary databases.
          await admin.exec(`GRANT ALL ON *.* TO '${user}'@'${host}'`);
        }
      }
    });
    after(async () => {
      for (const user of users.values()) for (const host of ['%', 'localhost']) await admin.exec(`DROP USER IF EXISTS '${user}'@'${host}'`);
      await admin.dispose();
    });

    test(`${engine.name}: ${SPELLINGS_BY_KIND.length} spellings, every command, every source, reachable and not`, async () => {
      assert.ok(SPELLINGS_BY_KIND.length >= 20, 'at least 20 spellings');
      // One database per spelling: the commands of one change it (up, stamp, down) while those of the others run.
      const projects = await Promise.all(SPELLINGS_BY_KIND.map(() => TestProject.create(engine)));
      try {
        const urls = await Promise.all(projects.map(async (p, index) => {
          await p.write({ revision: 'r1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true } });`, down: `await m.dropTable('t');` });
          const base = new URL(p.url);
          const server = (port: string): Server => ({
            scheme: engine.name === 'postgres' ? 'postgres' : 'mariadb', altScheme: engine.name === 'postgres' ? 'postgresql' : 'mysql',
            host: base.hostname, port, db: decodeURIComponent(base.pathname.slice(1)),
            user: (password) => users.get(password) ?? decodeURIComponent(base.username),
          });
          return { reachable: SPELLINGS_BY_KIND[index]!.url(server(base.port)), unreachable: SPELLINGS_BY_KIND[index]!.url(server('1')) };
        }));
        const run = async (index: number, reach: 'reachable' | 'unreachable', command: string[], turn: number): Promise<void> => {
          const spelling = SPELLINGS_BY_KIND[index]!;
          const p = projects[index]!;
          const url = urls[index]![reach];
          const source = SOURCES[turn % SOURCES.length]!;
          const configFile = join(p.dir, 'idem.config.mjs');
          if (source === 'config') await writeFile(configFile, `export default { url: ${JSON.stringify(url)} };\n`);
          else await rm(configFile, { force: true });
          const args = [...(source === 'url' ? ['--url', url] : []), ...(turn % 2 === 1 ? ['--json'] : []), ...command];
          const r = await runCli(args, p.dir, source === 'env' ? { DATABASE_URL: url } : {});
          const what = `${spelling.name} (${reach}, from ${source}): ${args.join(' ').replace(url, '<url>')}`;
          if (r.code !== 0) assert.ok((r.stdout + r.stderr).trim() !== '', `${what} fails saying why`);
          assertNoTelltale(r, spelling.password, what);
          if (command[0] === 'lint') return; // reads no database: nothing to refuse or to reach
          if (spelling.refused) {
            assert.equal(r.code, EXIT.usage, `${what} is refused before connecting\n${show(r)}`);
            assert.match(r.stdout + r.stderr, /encodeURIComponent\(password\)/, `${what} says how to encode it\n${show(r)}`);
          } else if (reach === 'reachable' && command[0] === 'status' && spelling.connects?.(engine.name)) {
            assert.equal(r.code, 0, `${what} connects\n${show(r)}`);
          }
        };
        // Every command with every spelling on the server; one command each (in turn) on a port nothing listens on.
        await inPool(SPELLINGS_BY_KIND.map((_, index) => index), 4, async (index) => {
          for (const [j, command] of COMMANDS.entries()) await run(index, 'reachable', command, index + j);
          await run(index, 'unreachable', [['status'], ['up'], ['doctor']][index % 3]!, index);
        });

        // A targets file: the spellings a URL can hold in one file per fleet command; each refused one alone, as it stops the file.
        const accepted = SPELLINGS_BY_KIND.flatMap((s, index) => (s.refused ? [] : [index]));
        for (const [reach, file] of [['reachable', 'targets.txt'], ['unreachable', 'targets-down.txt']] as const) {
          await writeFile(join(projects[0]!.dir, file), accepted.map((index) => urls[index]![reach]).join('\n'));
        }
        const fleet = async (file: string, command: string, turn: number, passwords: string[], refused: boolean): Promise<void> => {
          const args = [command, '--targets', file, ...(turn % 2 === 1 ? ['--json'] : [])];
          const r = await runCli(args, projects[0]!.dir);
          for (const password of passwords) assertNoTelltale(r, password, `a targets file: ${args.join(' ')}`);
          if (refused) assert.equal(r.code, EXIT.usage, `refused before connecting\n${show(r)}`);
        };
        const acceptedPasswords = [...new Set(accepted.map((index) => SPELLINGS_BY_KIND[index]!.password))];
        for (const [j, [command]] of FLEET_COMMANDS.entries()) {
          await fleet('targets.txt', command!, j, acceptedPasswords, false);
          await fleet('targets-down.txt', command!, j + 1, acceptedPasswords, false);
        }
        for (const [index, spelling] of SPELLINGS_BY_KIND.entries()) {
          if (!spelling.refused) continue;
          const file = `targets-${index}.txt`;
          await writeFile(join(projects[0]!.dir, file), `${urls[index]!.reachable}\n`);
          await fleet(file, FLEET_COMMANDS[index % FLEET_COMMANDS.length]![0]!, index, [spelling.password], true);
        }
      } finally {
        await Promise.all(projects.map((p) => p.dispose()));
      }
    });

    test(`${engine.name}: a config module that throws an error holding the URL`, async () => {
      const kinds = ['every special character, encoded', '"at" not encoded', '"space" not encoded'];
      for (const spelling of SPELLINGS_BY_KIND.filter((s) => s.refused || kinds.includes(s.name))) {
        const url = spelling.url({
          scheme: engine.name === 'postgres' ? 'postgres' : 'mariadb', altScheme: 'mysql', host: '127.0.0.1', port: '1', db: 'app', user: () => 'app',
        });
        await writeFile(join(admin.dir, 'idem.config.mjs'), `throw new Error(${JSON.stringify(`cannot reach ${url}: the vault is sealed`)});\n`);
        for (const args of [['up'], ['--json', 'doctor']]) {
          const r = await runCli(args, admin.dir);
          assert.equal(r.code, EXIT.usage, show(r));
          assert.match(r.stdout + r.stderr, /cannot load the config file idem\.config\.mjs: cannot reach \S+:\/\/app/, show(r));
          assertNoTelltale(r, spelling.password, `${spelling.name}: ${args.join(' ')}`);
        }
      }
      await rm(join(admin.dir, 'idem.config.mjs'), { force: true });
    });
  });
}

describe('sqlite: no password in the output of any command', () => {
  test('sqlite: a password= parameter, encoded and not, in every command', async () => {
    const p = await TestProject.create(engines.find((e) => e.name === 'sqlite')!);
    try {
      await p.write({ revision: 'r1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true } });`, down: `await m.dropTable('t');` });
      const runs: string[][] = [];
      for (const [i, written] of [enc(SPECIAL.all), SPECIAL.hash, SPECIAL.space].entries()) {
        const url = `${p.url}?password=${written}`;
        await writeFile(join(p.dir, `targets-${i}.txt`), `${url}\n`);
        for (const [j, command] of [...COMMANDS, ...FLEET_COMMANDS.map((c) => [...c, '--targets', `targets-${i}.txt`])].entries()) {
          runs.push([...(command.includes('--targets') ? [] : ['--url', url]), ...((i + j) % 2 === 1 ? ['--json'] : []), ...command]);
        }
      }
      // In turn, not at once: they share the one database file.
      for (const args of runs) {
        const r = await runCli(args, p.dir);
        for (const password of [SPECIAL.all, SPECIAL.hash, SPECIAL.space]) assertNoTelltale(r, password, `${args.join(' ')}`);
      }
    } finally {
      await p.dispose();
    }
  });
});
