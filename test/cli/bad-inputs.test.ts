/**
 * The catalog of bad inputs, one table: each case states its input (files,
 * database state, arguments), the exit code, a fragment of the message and of
 * the hint. Every case runs on every engine in `engines`, as typed and under
 * --json (cli-checks.ts `assertFails`): the exit code, the fragments, one
 * error event, no stack trace. Then the database must be as it was (schema,
 * version table and rows: `fingerprint`), or, for a migration that failed
 * after DDL on an engine that commits DDL as it goes (MariaDB), the corrected
 * migration must converge: exit 0, then nothing to do.
 *
 * Cases that only mean something on some engines say why in `only`: SQLite
 * has no server to miss, no password, no read-only session and no driver to
 * install, and PostgreSQL here trusts every login, so "wrong password" is
 * proven on the path a bad login takes there: an unknown role.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { EXIT } from '../../src/cli/exit-codes.ts';
import type { IdemErrorCode } from '../../src/errors.ts';
import { mysqlLockName } from '../../src/dialect/mysql/mysql-lock.ts';
import { advisoryKeyFor } from '../../src/dialect/postgres/postgres-lock.ts';
import { engines, type Engine } from '../engines.ts';
import { assertFails, assertNoStack, show } from '../support/cli-checks.ts';
import { pick, quoted, rollsBackDdl, type EngineName } from '../support/engine-sql.ts';
import { migrationSource, runCli, TestProject, type CliResult, type MigrationSource } from '../support/project.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const ITEMS = `await m.createTable('items', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50 }, title: { type: 'string', length: 50 } });`;
const table = (name: string) => `await m.createTable(${JSON.stringify(name)}, { id: { type: 'integer', primaryKey: true } });`;
/** The migration every case starts from, applied: `items` with two rows. */
const BASE: MigrationSource = { revision: 'r0', up: ITEMS, down: `await m.dropTable('items');`, file: '0000_r0.ts' };
const next = (up: string, extra: Partial<MigrationSource> = {}): MigrationSource => ({ revision: 'r1', revises: 'r0', up, file: '0001_r1.ts', ...extra });

/** A name with a quote of each kind, a semicolon, spaces and a comment: SQL pasted together would break on it. */
const ODD_TABLE = `it's "odd"; DROP TABLE items; --`;
const ODD_COLUMN = 'a`b; c';

interface Case {
  name: string;
  /** Engines the case applies to, and why the others are left out. */
  only?: { engines: EngineName[]; why: string };
  /** Migrations written after BASE is applied (not applied themselves). */
  files?: MigrationSource[];
  /** Anything else: raw files, database state. Runs after `files`. */
  setup?: (p: TestProject, c: Ctx) => Promise<void>;
  /** Arguments after `--url <the project's URL>`, or a full command line (`url: false`). */
  args: string[] | ((p: TestProject, c: Ctx) => string[]);
  url?: false;
  /** Runs the command another way (another binary, a held lock). */
  run?: (p: TestProject, c: Ctx, args: string[]) => Promise<CliResult>;
  exit: number | ((e: EngineName) => number);
  code?: IdemErrorCode | ((e: EngineName) => IdemErrorCode);
  /** Every pattern must match. */
  message: RegExp | RegExp[] | ((e: EngineName, p: TestProject) => RegExp);
  hint?: RegExp | ((e: EngineName) => RegExp);
  /** The database's own error, printed as `cause:` and carried by the error event. */
  cause?: RegExp | ((e: EngineName) => RegExp | undefined);
  /**
   * The failing migration ran DDL before it failed: where DDL does not roll
   * back, the database may hold it; `fix` replaces the migration and a re-run
   * must converge (on every engine, so the fix itself is proven).
   */
  fix?: MigrationSource;
  /** Extra assertions after the run (success cases: what was created). */
  check?: (p: TestProject, c: Ctx, before: string) => Promise<void>;
  /** `idem doctor` reports a FAIL finding (its fix as the hint), not an error event. */
  report?: 'doctor';
}

/** Per-case resources the setup opens and the teardown closes. */
interface Ctx {
  cleanups: Array<() => Promise<void>>;
  vars: Record<string, string>;
}

const scratch = () => `idem_bad_${randomBytes(3).toString('hex')}`;
const dbName = (p: TestProject) => decodeURIComponent(new URL(p.url).pathname.slice(1));
const withUrl = (p: TestProject, change: (u: URL) => void): string => {
  const u = new URL(p.url);
  change(u);
  return u.toString();
};

/** A MariaDB user for one case, dropped afterwards. */
async function mariadbUser(p: TestProject, c: Ctx, password: string, grants: string): Promise<string> {
  const user = scratch();
  for (const host of ['%', 'localhost']) {
    await p.exec(`CREATE USER '${user}'@'${host}' IDENTIFIED BY '${password}'`);
    await p.exec(`GRANT ${grants} ON \`${dbName(p)}\`.* TO '${user}'@'${host}'`);
  }
  c.cleanups.push(async () => {
    for (const host of ['%', 'localhost']) await p.exec(`DROP USER IF EXISTS '${user}'@'${host}'`);
  });
  return user;
}

/**
 * Holds idem's run lock from outside, as another runner would: SQLite's write
 * lock (BEGIN IMMEDIATE on a second connection), PostgreSQL's advisory lock
 * under idem's key for the schema, MariaDB's GET_LOCK under idem's name.
 */
async function holdLock(p: TestProject, c: Ctx): Promise<void> {
  if (p.engine.name === 'sqlite') {
    const db = new DatabaseSync(p.url.slice('sqlite:'.length));
    db.exec('BEGIN IMMEDIATE');
    c.cleanups.push(async () => { db.exec('ROLLBACK'); db.close(); });
  } else if (p.engine.name === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: p.url });
    await client.connect();
    const key = advisoryKeyFor('public');
    await client.query('SELECT pg_advisory_lock($1::int4, $2::int4)', [key.classId, key.objectId]);
    c.cleanups.push(() => client.end());
  } else {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection(p.url);
    const [rows] = await conn.query('SELECT GET_LOCK(?, 5) AS got', [mysqlLockName(dbName(p))]);
    assert.equal(Number((rows as Array<{ got: number }>)[0]!.got), 1);
    c.cleanups.push(() => conn.end());
  }
}

/**
 * idem installed without its optional drivers: the built package copied (not
 * linked: Node resolves `pg` from a module's real path) into a folder whose
 * node_modules holds only commander. installed-package.test.ts proves the same
 * from the packed tarball; this is the cheap copy for the catalog.
 */
let bare: string | undefined;
async function bareInstall(): Promise<string> {
  if (bare) return bare;
  const dir = await mkdtemp(join(tmpdir(), 'idem-nodrivers-'));
  await mkdir(join(dir, 'node_modules/idem'), { recursive: true });
  await cp(join(root, 'dist'), join(dir, 'node_modules/idem/dist'), { recursive: true });
  await cp(join(root, 'package.json'), join(dir, 'node_modules/idem/package.json'));
  await symlink(join(root, 'node_modules/commander'), join(dir, 'node_modules/commander'), 'dir');
  return (bare = dir);
}

const cases: Case[] = [
  // ---- the migration files
  {
    name: 'a migration with a syntax error',
    files: [next(`const broken = ;`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'MIGRATION_LOAD',
    message: /migration migrations\/0001_r1\.ts:\d+:\d+ has a syntax error/, hint: /fix the file/,
  },
  {
    name: 'a migration that throws after its first operation',
    files: [next(`${table('made')}\nthrow new Error('kaboom from r1');`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'OPERATION_FAILED',
    message: /migration migrations\/0001_r1\.ts:\d+:\d+ threw: kaboom from r1/, hint: /fix the migration, then re-run/,
    fix: next(table('made')),
  },
  {
    name: 'a migration that throws an object with no prototype (no string form)',
    files: [next(`${table('made')}\nthrow Object.create(null);`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'OPERATION_FAILED',
    message: /migration 0001_r1\.ts threw: a non-Error value \{\}/, hint: /fix the migration, then re-run/,
    fix: next(table('made')),
  },
  {
    name: 'a migration that throws an object whose toString throws',
    files: [next(`${table('made')}\nthrow { toString() { throw new Error('no text'); }, toJSON() { throw new Error('no JSON'); } };`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'OPERATION_FAILED',
    message: /migration 0001_r1\.ts threw: a non-Error object that cannot be shown as text/, hint: /fix the migration, then re-run/,
    fix: next(table('made')),
  },
  {
    name: 'a migration without `revision`',
    setup: (p) => p.writeRaw('0001_r1.ts', `export const revises = 'r0';\nexport async function up(m) { ${table('x')} }\n`),
    args: ['up'], exit: EXIT.migrationFailed, code: 'MIGRATION_INVALID',
    message: /0001_r1\.ts.*revision/, hint: /./,
  },
  {
    name: 'a migration without `up`',
    setup: (p) => p.writeRaw('0001_r1.ts', `export const revision = 'r1';\nexport const revises = 'r0';\n`),
    args: ['up'], exit: EXIT.migrationFailed, code: 'MIGRATION_INVALID',
    message: /0001_r1\.ts.*\bup\b/, hint: /./,
  },
  {
    name: '`revises` that is not a revision id (a number)',
    setup: (p) => p.writeRaw('0001_r1.ts', `export const revision = 'r1';\nexport const revises = 42;\nexport async function up(m) {}\n`),
    args: ['up'], exit: EXIT.migrationFailed, code: 'MIGRATION_INVALID',
    message: /0001_r1\.ts.*revises/, hint: /./,
  },
  {
    name: 'two files declaring one revision id',
    files: [next(table('one')), next(table('two'), { file: '0002_r1.ts' })],
    args: ['up'], exit: EXIT.history, code: 'GRAPH_DUPLICATE',
    message: /revision "r1" is declared by 2 files: 0001_r1\.ts, 0002_r1\.ts/, hint: /new revision id/,
  },
  {
    name: 'a cycle',
    files: [next(table('one'), { revises: ['r0', 'r2'] }), { revision: 'r2', revises: 'r1', up: table('two'), file: '0002_r2.ts' }],
    args: ['up'], exit: EXIT.history, code: 'GRAPH_CYCLE',
    message: /revision cycle: r1 -> r2 -> r1|revision cycle: r2 -> r1 -> r2/, hint: /fix `revises`/,
  },
  {
    name: 'a missing parent',
    files: [next(table('one'), { revises: 'r0_gone' })],
    args: ['up'], exit: EXIT.history, code: 'GRAPH_MISSING_PARENT',
    message: /0001_r1\.ts revises "r0_gone", which no migration declares/, hint: /./,
  },
  {
    name: 'several heads and no target',
    files: [next(table('a'), { revision: 'feat_a', file: '0001_a.ts' }), next(table('b'), { revision: 'feat_b', file: '0002_b.ts' })],
    args: ['up'], exit: EXIT.history, code: 'GRAPH_MULTIPLE_HEADS',
    message: /2 heads: feat_a, feat_b/, hint: /idem merge feat_a feat_b/,
  },
  {
    name: 'an unknown target for up',
    files: [next(table('one'))],
    args: ['up', 'r_nowhere'], exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET',
    message: /r_nowhere/, hint: /./,
  },
  {
    name: 'an unknown target for down',
    args: ['down', 'r_nowhere'], exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET',
    message: /r_nowhere/, hint: /./,
  },
  {
    name: 'down past base',
    args: ['down', '-2'], exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET',
    message: /cannot go down 2 steps: only 1 applied/, hint: /idem down base/,
  },
  {
    name: 'stamp of an unknown revision',
    args: ['stamp', 'r_nowhere'], exit: EXIT.history, code: 'GRAPH_UNKNOWN_TARGET',
    message: /r_nowhere/, hint: /./,
  },
  {
    name: 'a database revision unknown to the code (a stale image), with work pending',
    setup: async (p) => {
      await p.write({ revision: 'r_newer', revises: 'r0', up: table('newer'), file: '0001_newer.ts' });
      assert.equal((await p.cli(['up'])).code, 0);
      await rm(join(p.migrations, '0001_newer.ts'));
      await p.write(next(table('one'), { revision: 'r_mine', file: '0001_mine.ts' }));
    },
    args: ['up'], exit: EXIT.history, code: 'DB_UNKNOWN_REVISION',
    message: /r_newer/, hint: /./,
  },
  {
    name: 'a database ahead of the code under --strict',
    setup: async (p) => {
      await p.write({ revision: 'r_newer', revises: 'r0', up: table('newer'), file: '0001_newer.ts' });
      assert.equal((await p.cli(['up'])).code, 0);
      await rm(join(p.migrations, '0001_newer.ts'));
    },
    args: ['--strict', 'up'], exit: EXIT.history, code: 'DB_AHEAD',
    message: /r_newer/, hint: /./,
  },
  {
    name: 'an applied migration edited, under --strict',
    setup: (p) => writeFile(join(p.migrations, BASE.file!), migrationSource({ ...BASE, up: `${ITEMS}\n${table('sneaked_in')}` })),
    args: ['--strict', 'up'], exit: EXIT.strict, code: 'CHECKSUM_MISMATCH',
    message: /0000_r0\.ts|r0/, hint: /new migration/,
  },
  {
    name: 'an empty migrations folder',
    setup: async (p) => {
      await rm(p.migrations, { recursive: true });
      await mkdir(p.migrations);
      await mkdir(join(p.dir, 'empty'));
    },
    args: ['--dir', 'empty', 'up'], exit: EXIT.history, code: 'GRAPH_EMPTY',
    message: /empty/, hint: /idem new/,
  },
  {
    name: 'a missing migrations folder',
    args: ['--dir', 'no_such_folder', 'up'], exit: EXIT.usage, code: 'CONFIG',
    message: /no_such_folder/, hint: /./,
  },
  {
    name: 'a config file that does not load',
    setup: (p) => writeFile(join(p.dir, 'idem.config.mjs'), `export default { url: 'sqlite:./x.db' ;\n`),
    args: ['up'], url: false, exit: EXIT.usage, code: 'CONFIG',
    message: /idem\.config\.mjs/, hint: /./,
  },
  {
    name: 'a config file whose url is not a string',
    setup: (p) => writeFile(join(p.dir, 'idem.config.json'), JSON.stringify({ url: 42 })),
    args: ['up'], url: false, exit: EXIT.usage, code: 'CONFIG',
    message: /idem\.config\.json/, hint: /./,
  },
  {
    name: 'a --lock-timeout that is not a number',
    args: ['--lock-timeout', 'soon', 'up'], exit: EXIT.usage, code: 'USAGE',
    message: /--lock-timeout must be a number of seconds \(got soon\)/, hint: /--lock-timeout 120/,
  },
  {
    name: 'a --lock-lease under a second',
    args: ['--lock-lease', '0.5', 'up'], exit: EXIT.usage, code: 'USAGE',
    message: /--lock-lease must be a number of seconds, at least 1 \(got 0\.5\)/, hint: /--lock-lease 15/,
  },

  // ---- the connection
  {
    name: 'an unknown URL scheme',
    args: ['--url', 'oracle://scott:tiger@127.0.0.1/orcl', 'up'], url: false, exit: EXIT.usage, code: 'URL_INVALID',
    message: /unknown database URL scheme "oracle:"/, hint: /sqlite:<path>, postgres:\/\//,
  },
  {
    name: 'an unreachable host (port 1)',
    only: { engines: ['postgres', 'mariadb'], why: 'SQLite has no server' },
    args: (p) => ['--url', withUrl(p, (u) => { u.port = '1'; }), 'up'], url: false,
    exit: EXIT.unavailable, code: 'CONNECTION',
    message: /connection refused/, hint: /start the server/,
  },
  {
    name: 'a SQLite file that cannot be opened (its folder is a file)',
    only: { engines: ['sqlite'], why: 'the SQLite counterpart of an unreachable server' },
    setup: (p) => writeFile(join(p.dir, 'not-a-folder'), ''),
    args: ['--url', 'sqlite:./not-a-folder/app.db', 'up'], url: false,
    exit: EXIT.unavailable, code: 'CONNECTION',
    message: /not-a-folder/, hint: /./,
  },
  {
    name: 'a wrong password (PostgreSQL: an unknown role, as the server here trusts every login)',
    only: { engines: ['postgres', 'mariadb'], why: 'SQLite has no login' },
    setup: async (p, c) => {
      if (p.engine.name === 'mariadb') c.vars.user = await mariadbUser(p, c, 'Right-pass1', 'ALL');
      else c.vars.user = scratch();
    },
    args: (p, c) => ['--url', withUrl(p, (u) => { u.username = c.vars.user!; u.password = 'wrong-pass1'; }), 'up'], url: false,
    exit: EXIT.usage, code: 'CONFIG',
    message: (e) => pick(e, { sqlite: /never/, postgres: /cannot log in .*role "idem_bad_\w+" does not exist/, mariadb: /access denied for user "idem_bad_\w+"/ }),
    hint: (e) => pick(e, { sqlite: /never/, postgres: /check the user name/, mariadb: /check the user and password/ }),
  },
  {
    name: 'an unknown database',
    only: { engines: ['postgres', 'mariadb'], why: 'SQLite creates its file (and folder) on first use' },
    args: (p) => ['--url', withUrl(p, (u) => { u.pathname = '/idem_no_such_db'; }), 'up'], url: false,
    exit: EXIT.usage, code: 'CONFIG',
    message: /"idem_no_such_db" does not exist/, hint: /create/,
  },
  {
    name: 'a read-only session',
    only: { engines: ['postgres', 'mariadb'], why: 'a SQLite file is read-only by its permissions, which root (these tests) ignores' },
    files: [next(table('one'))],
    setup: async (p, c) => {
      if (p.engine.name === 'mariadb') c.vars.user = await mariadbUser(p, c, 'Ro-pass1', 'SELECT');
    },
    args: (p, c) => ['--url', p.engine.name === 'postgres'
      ? `${p.url}?options=-c%20default_transaction_read_only%3Don`
      : withUrl(p, (u) => { u.username = c.vars.user!; u.password = 'Ro-pass1'; }), 'up'], url: false,
    // PostgreSQL says so up front (the session is read-only); a MariaDB user without write grants is refused by its first DDL.
    exit: (e) => pick(e, { sqlite: 0, postgres: EXIT.unavailable, mariadb: EXIT.migrationFailed }),
    code: (e) => pick(e, { sqlite: 'INTERNAL', postgres: 'CONNECTION', mariadb: 'OPERATION_FAILED' }),
    message: (e) => pick(e, { sqlite: /never/, postgres: /is read-only \(default_transaction_read_only is on\)/, mariadb: /r1 > createTable one failed|createTable one/ }),
    hint: (e) => pick(e, { sqlite: /never/, postgres: /primary server/, mariadb: /fix the cause the database names/ }),
    cause: (e) => pick(e, { sqlite: undefined, postgres: undefined, mariadb: /CREATE command denied to user 'idem_bad_\w+'/ }),
  },
  {
    name: 'a missing driver package',
    only: { engines: ['postgres', 'mariadb'], why: 'SQLite is built into Node (node:sqlite)' },
    args: ['up'],
    run: async (p, _c, args) => runCli(['--url', p.url, ...args], p.dir, {}, join(await bareInstall(), 'node_modules/idem/dist/cli/bin.js')),
    exit: EXIT.usage, code: 'DRIVER_MISSING',
    message: (e) => pick(e, { sqlite: /never/, postgres: /\bpg\b/, mariadb: /mysql2/ }),
    hint: (e) => pick(e, { sqlite: /never/, postgres: /npm install pg/, mariadb: /npm install mysql2/ }),
  },
  {
    name: 'a lock held by another runner past --lock-timeout',
    files: [next(table('one'))],
    setup: holdLock,
    args: ['--lock-timeout', '1', 'up'], exit: EXIT.unavailable, code: 'LOCK_TIMEOUT',
    message: (e, p) => pick(e, {
      sqlite: /another process has held the write lock on .*test\.db for over 1s/,
      postgres: /advisory lock/,
      mariadb: new RegExp(mysqlLockName(dbName(p)).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')),
    }),
    hint: /./,
  },

  // ---- the operations
  // The check before the run (pending-check.ts): every problem of every pending migration, each with its
  // file:line, exit 2, and nothing sent, on every engine (MariaDB too, whose DDL would commit as it goes).
  {
    name: 'an unknown column type',
    files: [next(`await m.addColumn('items', 'n', { type: 'blobby' });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /0001_r1\.ts:8:11  r1 > addColumn items\.n: column "n": unknown type "blobby"/, hint: /idem lint/,
  },
  {
    name: 'a length on an integer',
    files: [next(`await m.addColumn('items', 'n', { type: 'integer', length: 5 });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /column "n": length is only valid for string and binary columns, not integer \(remove length/, hint: /fix each one/,
  },
  {
    name: 'an invalid createTable after a valid one: neither is created (MariaDB kept the first)',
    files: [next(`${table('made_first')}\nawait m.createTable('b', { id: { type: 'integer', length: 5 } });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /\b1 problem in the pending migrations; nothing was sent to the database:\n {2}migrations\/0001_r1\.ts:9:11  r1 > createTable b: column "id": length is only valid/m,
    hint: /re-run `idem up`/,
  },
  {
    name: 'misspelt keys primarykey and autoincrement',
    files: [next(`await m.createTable('t', { id: { type: 'integer', primarykey: true, autoincrement: true } });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/\b2 problems in the pending migrations/, /column "id": unknown key "primarykey" \(did you mean `primaryKey`\?\)/, /unknown key "autoincrement" \(did you mean `autoIncrement`\?\)/],
    hint: /idem lint/,
  },
  {
    name: 'misspelt keys lenght and notNull',
    files: [next(`await m.addColumn('items', 'code', { type: 'string', lenght: 50, notNull: true });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/unknown key "lenght" \(did you mean `length`\?\)/, /unknown key "notNull" \(did you mean `nullable: false`\?\)/],
    hint: /./,
  },
  {
    name: 'a Knex-style list of columns',
    files: [next(`await m.createTable('t', [{ name: 'id', type: 'integer' }]);`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /createTable t: declares its columns as a list; idem takes an object keyed by column name/, hint: /./,
  },
  {
    name: 'an unknown key in createIndex options and in table options',
    files: [next(`await m.createIndex('items', ['name'], { uniqe: true });\nawait m.createTable('t', { id: { type: 'integer' } }, { indexes: [{ columns: ['id'], nmae: 'ix' }] });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/0001_r1\.ts:8:11 .*options: unknown key "uniqe" \(did you mean `unique`\?\)/, /0001_r1\.ts:9:11 .*options\.indexes\[0\]: unknown key "nmae" \(did you mean `name`\?\)/],
    hint: /./,
  },
  {
    name: 'a value of the wrong shape (nullable: "no")',
    files: [next(`await m.addColumn('items', 'code', { type: 'string', nullable: 'no' });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /column "code": nullable is "no", not true or false/, hint: /./,
  },
  {
    name: 'an option that does not apply (withTimezone on text)',
    files: [next(`await m.addColumn('items', 'code', { type: 'text', withTimezone: true });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /withTimezone is only valid for timestamp columns, not text/, hint: /./,
  },
  {
    name: 'a length no engine holds (20 million)',
    files: [next(`await m.addColumn('items', 'code', { type: 'string', length: 20000000 });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /length 20000000 is more than .* holds in a string column/, hint: /./,
  },
  {
    name: 'sqlType with a second statement',
    files: [next(`${table('made_first')}\nawait m.addColumn('items', 'code', { sqlType: 'varchar(10); DROP TABLE items' });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /sqlType "varchar\(10\); DROP TABLE items" holds a `;`/, hint: /./,
  },
  {
    name: 'a default { sql } with a second statement and a comment',
    files: [next(`await m.addColumn('items', 'code', { type: 'integer', default: { sql: '1); DROP TABLE items; --' } });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /default \{ sql: "1\); DROP TABLE items; --" \} holds a `;`/, hint: /./,
  },
  {
    name: 'a revision id longer than the version table holds (65 characters)',
    files: [next(table('long_named'), { revision: 'r'.repeat(65), file: '0001_long.ts' })],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /0001_long\.ts:3:25  r{65} > its revision id is 65 characters long; the version table holds at most 64/, hint: /./,
  },
  {
    name: 'problems in two pending migrations are reported together',
    files: [next(`await m.addColumn('items', 'a', { type: 'strng' });`), { revision: 'r2', revises: 'r1', up: `await m.addColumn('items', 'b', { type: 'integer', scale: 2 });`, file: '0002_r2.ts' }],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/\b2 problems/, /0001_r1\.ts:8:11  r1 > addColumn items\.a: column "a": unknown type "strng"/, /0002_r2\.ts:8:11  r2 > addColumn items\.b: column "b": precision and scale are only valid for decimal columns, not integer/],
    hint: /./,
  },
  {
    name: 'an invalid migration on a database with no tables: checked before the first statement',
    setup: async (p) => {
      const down = await p.cli(['down', 'base']);
      assert.equal(down.code, 0, show(down));
    },
    files: [next(`await m.addColumn('items', 'n', { type: 'integer', lenght: 5 });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /unknown key "lenght" \(did you mean `length`\?\)/, hint: /./,
    check: async (p) => assert.deepEqual(await p.recorded(), [], 'r0 (valid) was not applied either'),
  },
  {
    name: '`idem plan` refuses what `up` would refuse',
    files: [next(`await m.addColumn('items', 'n', { type: 'integer', primarykey: true });`)],
    args: ['plan'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /unknown key "primarykey" \(did you mean `primaryKey`\?\)/, hint: /idem plan/,
  },
  {
    name: 'a down() with a misspelt key: nothing is reverted',
    setup: (p) => writeFile(join(p.migrations, BASE.file!), migrationSource({ ...BASE, down: `await m.dropTable('items', { noet: 'gone' });` })),
    args: ['down', 'base'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /dropTable items: options: unknown key "noet" \(did you mean `note`\?\)/, hint: /idem down/,
  },
  {
    name: 'executeIf: the condition binds conditionParams, never params',
    files: [next(`await m.executeIf({ description: 'fill', sql: "UPDATE items SET title = ? WHERE title IS NULL", params: ['x'], condition: 'SELECT COUNT(*) > ? FROM items WHERE title IS NULL' });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /executeIf fill: the condition has 1 placeholder\(s\) but 0 value\(s\) in conditionParams/, hint: /./,
  },
  {
    name: 'executeIf: too few values for the sql (SQLite would bind NULL)',
    files: [next(`await m.executeIf({ description: 'fill', sql: "UPDATE items SET title = ? WHERE id = ?", params: ['x'], condition: 'SELECT COUNT(*) > 0 FROM items WHERE title IS NULL' });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/executeIf fill: the sql has 2 placeholder\(s\) but 1 value\(s\) in params/, /one value in params for each \?/], hint: /./,
  },
  {
    name: 'm.sql: more values than placeholders',
    files: [next(`await m.sql("UPDATE items SET title = ? WHERE id = 1", ['x', 'y'], { idempotent: true });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/the sql has 1 placeholder\(s\) but 2 value\(s\) in params/, /remove the extra values/], hint: /./,
  },
  {
    name: 'm.query: a placeholder without a value',
    files: [next(`const rows = await m.query('SELECT COUNT(*) AS n FROM items WHERE id > ?');\nif (rows.length > 0) ${table('made')}`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: /0001_r1\.ts:8:24  r1 > query SELECT COUNT\(\*\) AS n FROM items WHERE id > \?: the query has 1 placeholder\(s\) but 0 value\(s\) in params/, hint: /./,
  },
  {
    name: 'PostgreSQL: ?? writes the jsonb ? operator',
    only: { engines: ['postgres'], why: 'jsonb and its ? operator are PostgreSQL\'s' },
    files: [next(`await m.addColumn('items', 'doc', { type: 'json' });
await m.executeIf({ description: 'tag', sql: "UPDATE items SET doc = '{\\"a\\": 1}'::jsonb WHERE id = ?", params: [1], condition: "SELECT COUNT(*) = 0 FROM items WHERE doc ?? 'a'" });
await m.executeIf({ description: 'tag again', sql: "UPDATE items SET title = ? WHERE doc ?? ?", params: ['has a', 'a'], condition: "SELECT COUNT(*) > 0 FROM items WHERE doc ?? ? AND title IS NULL", conditionParams: ['a'] });`)],
    args: ['up'], exit: 0,
    message: /applied +executeIf tag\b[\s\S]*applied +executeIf tag again/,
    check: async (p) => {
      assert.deepEqual(await p.query(`SELECT id, title FROM items WHERE doc ?? 'a' ORDER BY id`), [{ id: 1, title: 'has a' }]);
      const again = await p.cli(['up']);
      assert.match(again.stdout, /up: nothing to do/, show(again));
    },
  },
  {
    name: 'a NOT NULL column without default added to a table with rows, after a createTable',
    files: [next(`${table('made')}\nawait m.addColumn('items', 'n', { type: 'integer', nullable: false });`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'OPERATION_INVALID',
    message: /addColumn items\.n: NOT NULL without a default, and items has rows/, hint: /give it a default/,
    fix: next(`${table('made')}\nawait m.addColumn('items', 'n', { type: 'integer', nullable: false, default: 0 });`),
  },
  {
    name: 'a referential action with SQL after it (onDelete: \'cascade; drop table victim\')',
    setup: async (p) => {
      await p.exec('CREATE TABLE p (id INTEGER PRIMARY KEY)');
      await p.exec('CREATE TABLE d (id INTEGER PRIMARY KEY, p_id INTEGER)');
      await p.exec('CREATE TABLE victim (id INTEGER PRIMARY KEY)');
    },
    files: [next(`await m.addForeignKey('d', ['p_id'], 'p', ['id'], { onDelete: 'cascade; drop table victim' });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/addForeignKey d\.\S+: options: onDelete is "cascade; drop table victim", not one of 'no action', 'restrict', 'cascade', 'set null', 'set default'/],
    hint: /./,
    check: async (p) => {
      const tables = Object.keys(JSON.parse(await p.fingerprint()) as Record<string, unknown>);
      assert.ok(tables.includes('victim'), `victim is still there: ${tables.join(', ')}`);
    },
  },
  {
    name: 'an unknown onUpdate in a createTable foreign key',
    files: [next(`await m.createTable('made', { id: { type: 'integer', primaryKey: true }, item_id: { type: 'integer' } },
  { foreignKeys: [{ columns: ['item_id'], references: { table: 'items', columns: ['id'] }, onUpdate: 'nullify' }] });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/createTable made: options\.foreignKeys\[0\]: onUpdate is "nullify", not one of .*'set null'/], hint: /./,
  },
  {
    name: 'a referential action that is not text (onDelete: true)',
    files: [next(`await m.addForeignKey('items', ['id'], 'items', ['id'], { onDelete: true });`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: [/onDelete is .*true.*, not one of .*'cascade'/], hint: /./,
  },
  {
    name: 'renaming a column when both names exist',
    files: [next(`await m.renameColumn('items', 'name', 'title');`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'OPERATION_FAILED',
    message: /renameColumn items\.name -> title: both items\.name and items\.title exist/, hint: /cannot tell which one holds the data/,
  },
  {
    name: 'a condition query that returns several rows',
    files: [next(`await m.executeIf({ description: 'fill', sql: "UPDATE items SET title = 'x'", condition: 'SELECT id FROM items' });`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'OPERATION_INVALID',
    message: /the condition query returned 2 rows, expected exactly 1/, hint: /return one value/,
  },
  {
    name: 'a condition query that returns several columns',
    files: [next(`await m.executeIf({ description: 'fill', sql: "UPDATE items SET title = 'x'", condition: 'SELECT 1, 2' });`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'OPERATION_INVALID',
    message: /the condition query returned 2 columns, expected exactly 1/, hint: /select a single value/,
  },
  {
    name: 'a condition query that fails, after a createTable',
    files: [next(`${table('made')}\nawait m.executeIf({ description: 'fill', sql: "UPDATE items SET title = 'x'", condition: 'SELECT no_such_column FROM items' });`)],
    args: ['up'], exit: EXIT.migrationFailed, code: 'OPERATION_FAILED',
    message: /the condition query failed/, hint: /fix the condition query/,
    cause: /no_such_column/,
    fix: next(`${table('made')}\nawait m.executeIf({ description: 'fill', sql: "UPDATE items SET title = 'x'", condition: "SELECT COUNT(*) > 0 FROM items WHERE title IS NULL" });`),
  },
  {
    name: 'an identifier over PostgreSQL\'s 63 bytes / MariaDB\'s 64 characters',
    only: { engines: ['postgres', 'mariadb'], why: 'SQLite has no practical limit: see the next case' },
    // Found before the run: `made_first` is not created either, on MariaDB neither.
    files: [next(`${table('made_first')}\n${table('x'.repeat(65))}`)],
    args: ['up'], exit: EXIT.usage, code: 'VALIDATION_FAILED',
    message: (e) => pick(e, { sqlite: /never/, postgres: /0001_r1\.ts:9:11  r1 > createTable x{65}: the name "x{65}" is 65 bytes long; PostgreSQL keeps only 63 \(give it a shorter name/, mariadb: /is 65 characters long; MySQL and MariaDB allow at most 64/ }),
    hint: /re-run/,
  },
  {
    name: 'a 300-character identifier on SQLite is created as written',
    only: { engines: ['sqlite'], why: 'the servers refuse it: see the previous case' },
    files: [next(table('y'.repeat(300)))],
    args: ['up'], exit: 0,
    message: new RegExp(`applied +createTable y{300}\\b`),
    check: async (p) => {
      const rows = await p.query<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?`, ['y'.repeat(300)]);
      assert.equal(rows.length, 1);
    },
  },
  {
    name: 'identifiers with quotes, a semicolon and spaces are created literally, not run',
    files: [next(`await m.createTable(${JSON.stringify(ODD_TABLE)}, { id: { type: 'integer', primaryKey: true }, ${JSON.stringify(ODD_COLUMN)}: { type: 'string', length: 20 } });
await m.createIndex(${JSON.stringify(ODD_TABLE)}, [${JSON.stringify(ODD_COLUMN)}], { name: 'odd; idx' });`)],
    args: ['up'], exit: 0,
    message: /applied +createTable it's "odd"; DROP TABLE items; --/,
    check: async (p, _c, beforeRun) => {
      const before = JSON.parse(beforeRun) as Record<string, unknown>;
      const now = JSON.parse(await p.fingerprint()) as Record<string, { columns: Array<[string]>; rows: unknown[] }>;
      assert.deepEqual(Object.keys(now).sort(), [...Object.keys(before), ODD_TABLE].filter((t) => t !== 'idem_version').sort(),
        'exactly one table more, under its exact name; nothing dropped');
      assert.deepEqual(now[ODD_TABLE]!.columns.map((c) => c[0]), ['id', ODD_COLUMN]);
      assert.equal(now.items!.rows.length, 2, 'items kept its rows');
      await p.exec(`INSERT INTO ${quoted(p.engine, ODD_TABLE)} (id, ${quoted(p.engine, ODD_COLUMN)}) VALUES (1, 'ok')`);
      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, show(again));
    },
  },
];

/**
 * A version table someone damaged: each kind, read by every command that
 * reads it. A revision recorded twice needs the table rebuilt without its
 * primary key (as a copy made by hand would be); a column dropped is one
 * `up` with nothing to do does not select.
 */
const VERSION_DAMAGE: Array<{ name: string; damage: (p: TestProject) => Promise<void>; message: RegExp; hint: RegExp }> = [
  {
    name: 'a revision recorded twice (the table rebuilt without its primary key)',
    damage: async (p) => {
      await p.exec('CREATE TABLE idem_version_copy AS SELECT * FROM idem_version');
      await p.exec('DROP TABLE idem_version');
      await p.exec('ALTER TABLE idem_version_copy RENAME TO idem_version');
      await p.exec(`INSERT INTO idem_version (revision, description, checksum, applied_at, duration_ms, applied, skipped, drift, operations, seq)
        SELECT revision, description, checksum, applied_at, duration_ms, applied, skipped, drift, operations, seq + 1 FROM idem_version`);
    },
    message: /idem_version is damaged: a revision is recorded more than once: r0 \(2 rows, seq 1, 2\)/,
    hint: /DELETE FROM idem_version WHERE revision = 'r0' AND seq <> 1/,
  },
  {
    name: 'an empty revision',
    damage: (p) => p.exec(`INSERT INTO idem_version (revision, description, checksum, applied_at, duration_ms, applied, skipped, drift, operations, seq)
      VALUES ('', 'by hand', 'x', '2020-01-01T00:00:00.000Z', 0, 0, 0, 0, '{}', 2)`),
    message: /idem_version is damaged: a row \(seq 2\) has an empty revision/,
    hint: /DELETE FROM idem_version WHERE revision IS NULL OR TRIM\(revision\) = ''/,
  },
  {
    name: 'a dropped column',
    damage: (p) => p.exec('ALTER TABLE idem_version DROP COLUMN description'),
    message: /idem_version is damaged: it has no column description/,
    hint: /rename idem_version away .*idem up/,
  },
];

const READS_VERSION_TABLE: Array<{ command: string[]; report?: 'doctor' }> = [
  { command: ['up'] }, { command: ['down', '-1'] }, { command: ['status'] }, { command: ['history'] }, { command: ['heads'] },
  { command: ['plan'] }, { command: ['stamp', 'r0'] }, { command: ['doctor'], report: 'doctor' },
];

for (const d of VERSION_DAMAGE) {
  for (const r of READS_VERSION_TABLE) {
    cases.push({
      name: `${d.name}: ${r.command.join(' ')} refuses it`,
      setup: (p) => d.damage(p),
      args: r.command, exit: EXIT.history, code: 'VERSION_TABLE_INVALID', message: d.message, hint: d.hint,
      ...(r.report ? { report: r.report } : {}),
    });
  }
}

after(async () => {
  if (bare) await rm(bare, { recursive: true, force: true });
});

for (const engine of engines) {
  describe(`${engine.name}: bad inputs`, () => {

    for (const c of cases) {
      const skip = c.only && !c.only.engines.includes(engine.name) ? `${c.only.why}` : false;
      test(`${engine.name}: ${c.name}`, { skip }, async () => {
        const p = await TestProject.create(engine);
        const ctx: Ctx = { cleanups: [], vars: {} };
        try {
          await runCase(engine, p, c, ctx);
        } finally {
          for (const cleanup of ctx.cleanups.reverse()) await cleanup();
          await p.dispose();
        }
      });
    }
  });
}

async function runCase(engine: Engine, p: TestProject, c: Case, ctx: Ctx): Promise<void> {
  await p.write(BASE);
  const base = await p.cli(['up']);
  assert.equal(base.code, 0, show(base));
  await p.exec(`INSERT INTO items (id, name, title) VALUES (1, 'one', NULL), (2, 'two', 'II')`);
  for (const f of c.files ?? []) await p.write(f);
  await c.setup?.(p, ctx);

  const before = await p.fingerprint({ includeVersionTable: true });
  const args = typeof c.args === 'function' ? c.args(p, ctx) : c.args;
  const run = c.run
    ? (a: string[]) => c.run!(p, ctx, a)
    : (a: string[]) => p.cli(a, { url: c.url !== false });
  const exit = typeof c.exit === 'function' ? c.exit(engine.name) : c.exit;
  const message = typeof c.message === 'function' ? c.message(engine.name, p) : c.message;

  if (exit === 0) {
    const human = await run(args);
    assert.equal(human.code, 0, show(human));
    for (const m of Array.isArray(message) ? message : [message]) assert.match(human.stdout, m, show(human));
    assertNoStack(human);
    await c.check?.(p, ctx, before);
    return;
  }

  if (c.report === 'doctor') {
    await assertDoctorFails(run, args, exit, (typeof c.code === 'function' ? c.code(engine.name) : c.code)!, message,
      typeof c.hint === 'function' ? c.hint(engine.name) : c.hint ?? /./);
    assert.equal(await p.fingerprint({ includeVersionTable: true }), before, 'doctor changed the database');
    return;
  }

  const { human, json } = await assertFails(run, args, {
    exit,
    code: (typeof c.code === 'function' ? c.code(engine.name) : c.code)!,
    message,
    hint: typeof c.hint === 'function' ? c.hint(engine.name) : c.hint ?? /./,
  });
  const cause = typeof c.cause === 'function' ? c.cause(engine.name) : c.cause;
  if (cause) {
    assert.match(human.stderr, new RegExp(`^ {2}cause: .*${cause.source}`, 'm'), show(human));
    assert.match(String(json.events.at(-1)!.cause), cause);
  }
  await c.check?.(p, ctx, before);

  if (c.fix && !rollsBackDdl(engine)) {
    // DDL before the failure committed: nothing recorded, and the corrected migration converges over it.
    assert.deepEqual(await p.recorded(), ['r0']);
  } else {
    assert.equal(await p.fingerprint({ includeVersionTable: true }), before, 'the failed run changed the database');
  }
  if (c.fix) {
    await writeFile(join(p.migrations, c.fix.file!), migrationSource(c.fix));
    const fixed = await p.cli(['--json', 'up']);
    assert.equal(fixed.code, 0, show(fixed));
    const again = await p.cli(['up']);
    assert.equal(again.code, 0, show(again));
    assert.match(again.stdout, /up: nothing to do/, show(again));
  }
}

/** `idem doctor` names the problem as a FAIL finding with its fix, as typed and under --json, and exits as `up` would. */
async function assertDoctorFails(run: (a: string[]) => Promise<CliResult>, args: string[], exit: number, code: string, messages: RegExp | RegExp[], hint: RegExp): Promise<void> {
  const [message] = Array.isArray(messages) ? messages : [messages];
  if (!message) throw new Error('assertDoctorFails: no message pattern');
  const human = await run(args);
  assert.equal(human.code, exit, show(human));
  const fail = /^FAIL +\S+ +(.+)$/m.exec(human.stdout);
  assert.ok(fail, `no FAIL finding:\n${show(human)}`);
  assert.match(fail[1]!, message, show(human));
  assert.match(human.stdout.slice(fail.index), /^ +fix: (.+)$/m, show(human));
  assert.match(/^ +fix: (.+)$/m.exec(human.stdout.slice(fail.index))![1]!, hint, show(human));
  assertNoStack(human);
  const json = await run(['--json', ...args]);
  assert.equal(json.code, exit, show(json));
  const records = json.events as unknown as Array<Record<string, unknown>>;
  const finding = records.find((e) => e.event === 'finding' && e.level === 'error');
  assert.ok(finding, show(json));
  assert.equal(finding.code, code, show(json));
  assert.match(String(finding.message), message);
  assert.match(String(finding.fix), hint);
  assert.equal(records.at(-1)!.blocking, code, show(json));
}
