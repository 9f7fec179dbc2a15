/**
 * PostgreSQL behind a real PgBouncer in transaction pooling mode
 * (test/support/pgbouncer.ts starts one for this file), with fewer server
 * connections than runners, so they share them as replicas behind a pooler
 * do. idem sees the pooler by itself (no ?pooler= in these URLs) and takes its
 * lock inside each migration's transaction:
 * - 8 `idem up` processes at once through it, on a fresh database and on a
 *   `?schema=` target, converge exactly as one direct run: all exit 0, every
 *   revision run and recorded once, every row once, the same schema;
 * - status, plan, doctor, stamp and down work through it (search_path set per
 *   transaction, nothing left on the pooler's server sessions);
 * - a migration that opts out of its transaction is refused, nothing applied;
 * - the session lock through the same pooler (forced with ?pooler=session) is
 *   shown unsafe: two runners both "hold" it, and the guard that notices the
 *   server session changing under it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { doctor } from '../../src/api/doctor.ts';
import { down } from '../../src/api/down.ts';
import { plan } from '../../src/api/plan.ts';
import { stamp } from '../../src/api/stamp.ts';
import { status } from '../../src/api/status.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { openPostgresSession, type PostgresSession } from '../../src/dialect/postgres/postgres-session.ts';
import { IdemError } from '../../src/errors.ts';
import type { Engine } from '../engines.ts';
import { assertNoStack, show } from '../support/cli-checks.ts';
import { readState, stateDifferences } from '../support/database-state.ts';
import { startPgbouncer, withoutPgbouncer, type Pgbouncer } from '../support/pgbouncer.ts';
import { migrationSource, runCli, TestProject, type CliResult, type MigrationSource } from '../support/project.ts';
import { POSTGRES_URL, postgresAdmin } from '../support/servers.ts';

const RUNNERS = 8;
/** Server connections PgBouncer opens per database: fewer than the runners. */
const POOL_SIZE = 4;

/** A fresh database per project; with `schema`, the URL targets that schema (created first). */
function postgresEngine(schema?: string): Engine {
  return {
    name: 'postgres',
    async createDatabase() {
      const name = `idem_pool_${process.pid}_${randomBytes(4).toString('hex')}`;
      await postgresAdmin(`CREATE DATABASE "${name}"`);
      const url = new URL(POSTGRES_URL);
      url.pathname = `/${name}`;
      if (schema !== undefined) {
        const session = await openPostgresSession({ url: url.toString() }, []);
        await session.driver.execute(`CREATE SCHEMA "${schema}"`).finally(() => session.close());
        url.searchParams.set('schema', schema);
      }
      return { url: url.toString(), drop: () => postgresAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
    },
  };
}

/**
 * Four migrations that sleep so the runners overlap, change schema and data,
 * and each insert a row into `runs` unguarded: a migration run twice shows
 * there twice.
 */
const CHAIN: MigrationSource[] = [
  {
    revision: 'b1',
    up: `await m.createTable('accounts', {
           id: { type: 'integer', primaryKey: true, autoIncrement: true },
           email: { type: 'string', length: 100, nullable: false, unique: true },
           plan: { type: 'string', length: 20 },
         });
         await m.createTable('runs', { id: { type: 'integer', primaryKey: true, autoIncrement: true }, revision: { type: 'string', length: 10, nullable: false } });
         await m.sql("INSERT INTO runs (revision) VALUES ('b1')");`,
  },
  {
    revision: 'b2', revises: 'b1',
    up: `await new Promise((r) => setTimeout(r, 150));
         await m.addColumn('accounts', 'created_at', { type: 'timestamp', nullable: true });
         await m.createIndex('accounts', ['plan'], { name: 'ix_accounts_plan' });
         await m.sql("INSERT INTO runs (revision) VALUES ('b2')");`,
  },
  {
    revision: 'b3', revises: 'b2',
    up: `await m.executeIf({
           description: 'seed accounts',
           sql: "INSERT INTO accounts (email, plan) VALUES ('a@example.com', 'free'), ('b@example.com', 'pro')",
           condition: 'SELECT COUNT(*) = 0 FROM accounts',
         });
         await m.sql("INSERT INTO runs (revision) VALUES ('b3')");`,
  },
  {
    revision: 'b4', revises: 'b3',
    up: `await new Promise((r) => setTimeout(r, 150));
         await m.createTable('plans', { id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 20, nullable: false } });
         await m.executeIf({
           description: 'seed plans',
           sql: "INSERT INTO plans (id, name) VALUES (1, 'free'), (2, 'pro')",
           condition: 'SELECT COUNT(*) = 0 FROM plans',
         });
         await m.sql("INSERT INTO runs (revision) VALUES ('b4')");`,
  },
];
const REVISIONS = CHAIN.map((m) => m.revision);

async function project(schema?: string, chain: MigrationSource[] = CHAIN): Promise<TestProject> {
  const p = await TestProject.create(postgresEngine(schema));
  for (const m of chain) await p.write(m);
  return p;
}

const open: PostgresSession[] = [];
async function session(url: string): Promise<PostgresSession> {
  const s = await openPostgresSession({ url }, ['idem_version']);
  open.push(s);
  return s;
}

/**
 * Closes the test's sessions, then drops its databases: a session left on
 * PgBouncer after its database is gone would wait for a server connection
 * that can no longer be made.
 */
async function cleanUp(...projects: TestProject[]): Promise<void> {
  for (const s of open.splice(0)) await s.close().catch(() => undefined);
  for (const p of projects) await p.dispose();
}

function withParameter(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

/** Which revisions each run reports having run. */
function ranBy(runs: CliResult[]): string[][] {
  return runs.map((r) => r.events.filter((e) => e.event === 'migration').map((e) => String(e.revision)));
}

describe('PostgreSQL behind PgBouncer (transaction pooling)', { skip: withoutPgbouncer }, () => {
  let bouncer: Pgbouncer;
  before(async () => {
    bouncer = await startPgbouncer({
      poolMode: 'transaction', poolSize: POOL_SIZE,
      aliases: { idem_statement_pool: { dbname: 'postgres', poolMode: 'statement' } },
    });
  });
  after(async () => {
    await bouncer?.stop();
  });

  /** 8 `idem up` through the pooler at once, then 8 more; checked against one direct run on a database of its own. */
  async function convergesAsDirect(schema?: string): Promise<void> {
    const direct = await project(schema);
    const pooled = await project(schema);
    try {
      const alone = await direct.cli(['--json', 'up']);
      assert.equal(alone.code, EXIT.ok, show(alone));
      const expected = await readState(direct);

      const url = bouncer.through(pooled.url);
      assert.equal((await session(url)).lockScope, 'transaction', 'idem sees the pooler and takes its lock per transaction');
      const runs = await Promise.all(Array.from({ length: RUNNERS }, () => runCli(['--url', url, '--json', 'up'], pooled.dir)));
      for (const r of runs) {
        assert.equal(r.code, EXIT.ok, show(r));
        assert.equal(r.stderr, '', show(r));
        assert.equal(r.events.at(-1)!.event, 'done', show(r));
      }
      // Each revision ran in exactly one process (which one may differ per revision: the lock is taken per migration).
      const ran = ranBy(runs).flat().sort();
      assert.deepEqual(ran, REVISIONS, JSON.stringify(ranBy(runs)));

      const actual = await readState(pooled);
      assert.deepEqual(stateDifferences(expected, actual), []);
      assert.deepEqual(actual.revisions, REVISIONS, 'every revision recorded once');
      assert.deepEqual(actual.tables.get('runs')!.rows.map((row) => JSON.parse(row).revision), REVISIONS, 'every migration body ran once');

      const again = await Promise.all(Array.from({ length: RUNNERS }, () => runCli(['--url', url, '--json', 'up'], pooled.dir)));
      for (const r of again) {
        assert.equal(r.code, EXIT.ok, show(r));
        assert.deepEqual(r.events.map((e) => [e.event, e.migrations]), [['done', 0]], show(r));
      }
      assert.deepEqual(stateDifferences(expected, await readState(pooled)), []);
    } finally {
      await cleanUp(direct, pooled);
    }
  }

  test(`${RUNNERS} idem up through PgBouncer on a fresh database converge exactly as one direct run`, () => convergesAsDirect());

  test(`${RUNNERS} idem up through PgBouncer on a ?schema= target converge exactly as one direct run, and leave public and the pooler's sessions alone`, async () => {
    await convergesAsDirect('tenant_a');
    // The search_path was set per transaction: a client of the same pool without ?schema= gets the server's own.
    const plain = await openPostgresSession({ url: bouncer.through(POSTGRES_URL) }, []);
    try {
      const rows = await plain.driver.query<{ path: string }>('SELECT current_setting(\'search_path\') AS path');
      assert.deepEqual(rows, [{ path: '"$user", public' }]);
    } finally {
      await plain.close();
    }
  });

  test('through PgBouncer on a ?schema= target: status, plan, doctor, stamp and down read and write that schema', async () => {
    const chain: MigrationSource[] = [
      { revision: 's1', up: `await m.createTable('items', { id: { type: 'integer', primaryKey: true } });`, down: `await m.dropTable('items');` },
      { revision: 's2', revises: 's1', up: `await m.addColumn('items', 'label', { type: 'string', length: 40, nullable: true });`, down: `await m.dropColumn('items', 'label');` },
    ];
    const p = await project('tenant_b', chain);
    try {
      const url = bouncer.through(p.url);
      const options = { url, dir: p.migrations, cwd: p.dir };
      // Nothing yet: the version table is not even there.
      assert.deepEqual((await status(options)).pending, ['s1', 's2']);
      assert.deepEqual((await plan(options)).operations.map((o) => `${o.outcome} ${o.op} ${o.target}`), ['applied createTable items', 'applied addColumn items.label']);

      assert.deepEqual(await stamp({ ...options, revision: 's1' }), { recorded: ['s1'], removed: [] });
      assert.deepEqual((await status(options)).applied, ['s1']);
      assert.deepEqual(await stamp({ ...options, revision: 'base' }), { recorded: [], removed: ['s1'] });

      const up = await runCli(['--url', url, '--json', 'up'], p.dir);
      assert.equal(up.code, EXIT.ok, show(up));
      const after = await status(options);
      assert.deepEqual([after.applied, after.pending], [['s1', 's2'], []]);
      assert.deepEqual((await plan(options)).operations, []);
      const health = await doctor(options);
      assert.equal(health.blocking, undefined, JSON.stringify(health.findings));
      assert.equal(health.findings.find((f) => f.check === 'lock')?.level, 'ok');
      assert.equal(health.findings.find((f) => f.check === 'drift')?.level, 'ok', JSON.stringify(health.findings));

      const reverted = await down({ ...options, target: '-1' });
      assert.deepEqual(reverted.migrations.map((m) => m.revision), ['s2']);
      assert.deepEqual((await status(options)).applied, ['s1']);

      // All of it happened in tenant_b, read directly: nothing in public.
      const where = await p.query<{ schema: string; table: string }>(
        `SELECT schemaname AS schema, tablename AS table FROM pg_tables WHERE schemaname IN ('public', 'tenant_b') ORDER BY 1, 2`);
      assert.deepEqual(where.map((r) => `${r.schema}.${r.table}`), ['tenant_b.idem_version', 'tenant_b.items']);
      assert.deepEqual(await p.recorded(), ['s1']);
    } finally {
      await cleanUp(p);
    }
  });

  test('a migration that opts out of its transaction is refused through the pooler, nothing applied; a direct connection runs it', async () => {
    const p = await project(undefined, CHAIN.slice(0, 2));
    try {
      await p.writeRaw('0003_c3.ts', `${migrationSource({
        revision: 'c3', revises: 'b2', up: `await m.sql('CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_accounts_email_plan ON accounts (email, plan)', [], { idempotent: true });`,
      })}\nexport const transaction = false;\n`);
      const url = bouncer.through(p.url);
      for (const args of [['up'], ['--json', 'up'], ['plan']]) {
        const r = await runCli(['--url', url, ...args], p.dir);
        assert.equal(r.code, EXIT.usage, show(r));
        const text = args.includes('--json') ? String(r.events.at(-1)!.message) + String(r.events.at(-1)!.hint) : r.stderr;
        assert.match(text, /migration 0003_c3\.ts runs outside a transaction \(export const transaction = false\), but a connection pooler answers for PostgreSQL here/, show(r));
        assert.match(text, /it would run unlocked; nothing was applied/, show(r));
        assert.match(text, /run it over a direct connection to PostgreSQL/, show(r));
        assertNoStack(r);
      }
      assert.deepEqual(await p.recorded(), [], 'refused before anything ran: not even b1');

      const direct = await p.cli(['--json', 'up']);
      assert.equal(direct.code, EXIT.ok, show(direct));
      assert.deepEqual(await p.recorded(), ['b1', 'b2', 'c3']);
      const through = await runCli(['--url', url, '--json', 'up'], p.dir);
      assert.equal(through.code, EXIT.ok, show(through));
      assert.deepEqual(through.events.map((e) => [e.event, e.migrations]), [['done', 0]]);
    } finally {
      await cleanUp(p);
    }
  });

  test('a statement pool allows no transaction: a clear error, not a crash', async () => {
    const p = await project(undefined, CHAIN.slice(0, 1));
    try {
      const url = new URL(bouncer.through(POSTGRES_URL));
      url.pathname = '/idem_statement_pool';
      for (const args of [['up'], ['--json', 'up']]) {
        const r = await runCli(['--url', url.toString(), ...args], p.dir);
        assert.equal(r.code, EXIT.usage, show(r));
        const text = args.includes('--json') ? `${String(r.events.at(-1)!.message)} ${String(r.events.at(-1)!.hint)}` : r.stderr;
        assert.match(text, /goes through a pooler in statement pooling mode, which allows no transaction/, show(r));
        assert.match(text, /pool_mode = transaction/, show(r));
        assertNoStack(r);
      }
    } finally {
      await cleanUp(p);
    }
  });

  test('the transaction lock through the pooler: a second runner waits and times out naming the holder; a direct session lock excludes it too', async () => {
    const p = await project();
    try {
      const url = bouncer.through(p.url);
      const holder = await session(url);
      const waiter = await session(url);
      await holder.lock.acquire(1000);
      // Held inside the open transaction, on the server session the pooler lent for it.
      const [{ pid }] = await holder.driver.query<{ pid: number }>('SELECT pg_backend_pid() AS pid') as [{ pid: number }];
      const seen = await waiter.lock.holder();
      assert.equal(seen?.session, pid);
      assert.match(seen!.description, new RegExp(`^pid ${pid}, application_name "idem", .*in a transaction since `));
      const lock = (await doctor({ url, dir: p.migrations, cwd: p.dir })).findings.find((f) => f.check === 'lock');
      assert.equal(lock?.level, 'warning');
      assert.match(lock!.message, new RegExp(`^held by pid ${pid}, .*in a transaction since .*; \`idem up\` waits`));
      await assert.rejects(waiter.lock.acquire(300), (e: unknown) => {
        assert.ok(e instanceof IdemError && e.code === 'LOCK_TIMEOUT', String(e));
        assert.match(e.message, new RegExp(`held by pid ${pid}`));
        return true;
      });
      await holder.lock.release();
      assert.equal(await waiter.lock.holder(), null, 'released with its transaction');
      await waiter.lock.acquire(1000);
      await waiter.lock.release();

      // A runner connected directly (session lock, same key) and one through the pooler take turns.
      const direct = await session(p.url);
      assert.equal(direct.lockScope, 'session');
      await direct.lock.acquire(1000);
      await assert.rejects(waiter.lock.acquire(300), (e: unknown) => e instanceof IdemError && e.code === 'LOCK_TIMEOUT');
      await direct.lock.release();
      await waiter.lock.acquire(1000);
      await waiter.lock.release();
    } finally {
      await cleanUp(p);
    }
  });

  test('the session lock through the pooler (forced with ?pooler=session) is unsafe: two runners hold it at once; the guard catches a changed server session', async () => {
    const p = await project();
    try {
      const forced = withParameter(bouncer.through(p.url), 'pooler', 'session');
      const a = await session(forced);
      const b = await session(forced);
      assert.deepEqual([a.lockScope, b.lockScope], ['session', 'session']);
      // a's lock stays with the server session that ran its statement; the pooler lends that
      // session to b next (PgBouncer reuses the most recently freed one), where the
      // advisory lock is re-entrant: b "takes" it at once. This is why idem does not use it here.
      await a.lock.acquire(0);
      await b.lock.acquire(0);
      assert.equal(a.lock.held && b.lock.held, true, 'both runners believe they hold the one lock');
      await b.lock.release();
      await a.lock.release();

      // The guard: a's migration transaction runs on another server session than its lock.
      const c = await session(forced);
      const d = await session(forced);
      await c.lock.acquire(0);
      await d.driver.begin(); // d now has the server session c's lock lives in
      // The BEGIN and its pid go with the transaction's first statement: that statement runs, then is rolled back.
      await c.transactions.begin();
      await assert.rejects(c.driver.execute('CREATE TABLE guard_probe (id integer)'), (e: unknown) => {
        assert.ok(e instanceof IdemError && e.code === 'CONFIG', String(e));
        assert.match(e.message, /the server session changed under idem's run lock on schema "public" \(taken by pid \d+, this transaction runs in pid \d+\)/);
        assert.match(e.hint ?? '', /remove \?pooler=session/);
        return true;
      });
      await d.driver.rollback();
      assert.equal(c.driver.inTransaction, false);
      const direct = await session(p.url);
      assert.equal(await direct.catalog.hasTable('guard_probe'), false, 'the statement sent with the refused BEGIN was rolled back');
      await direct.close();
    } finally {
      await cleanUp(p);
    }
  });
});
