/**
 * The pooler choice (`?pooler=`, and what idem sees without it), then the
 * transaction-scoped lock on a direct connection (`?pooler=transaction`),
 * where every step can be watched from a second session: taken right after
 * BEGIN, released by COMMIT, taken again by the next transaction, with
 * lock_timeout back to the default for the migration's own statements and
 * nothing left open after a failed take. PgBouncer itself is in
 * test/pooler/pgbouncer.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { up } from '../../src/api/up.ts';
import { chooseLockScope, parsePoolerParameter } from '../../src/dialect/postgres/postgres-pooler.ts';
import { openPostgresSession, splitIdemParameters, type PostgresSession } from '../../src/dialect/postgres/postgres-session.ts';
import { IdemError } from '../../src/errors.ts';
import { migrationSource } from '../support/project.ts';
import { POSTGRES_URL, postgresAdmin, withoutPostgres } from '../support/servers.ts';

function isIdemError(code: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof IdemError, `an IdemError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

describe('the lock scope for a connection', () => {
  it('?pooler= is taken out of the URL with ?schema=, and only its two values are accepted', () => {
    assert.deepEqual(splitIdemParameters('postgres://u:pw@h:6432/db?pooler=transaction&schema=t&sslmode=disable'), {
      connectionString: 'postgres://u:pw@h:6432/db?sslmode=disable', schema: 't', pooler: 'transaction',
    });
    assert.deepEqual(splitIdemParameters('postgres://h/db'), { connectionString: 'postgres://h/db', schema: undefined, pooler: undefined });
    assert.throws(() => parsePoolerParameter('pgbouncer', 'postgres://h/db'), isIdemError('URL_INVALID', /pooler=pgbouncer; idem knows pooler=transaction and pooler=session/));
    assert.throws(() => splitIdemParameters('postgres://u:secret@h/db?pooler='), (e: unknown) => {
      isIdemError('URL_INVALID')(e);
      assert.doesNotMatch((e as Error).message, /secret/);
      return true;
    });
  });

  it('a pid announced at start-up equal to the server\'s: a direct connection, the session lock', () => {
    assert.deepEqual(chooseLockScope(undefined, 4242, 4242), { scope: 'session' });
  });

  it('a pid that differs, or none announced: a pooler, the transaction lock, and why', () => {
    for (const announced of [1592216684, null]) {
      const choice = chooseLockScope(undefined, announced, 4242);
      assert.equal(choice.scope, 'transaction');
      if (choice.scope !== 'transaction') return;
      assert.match(choice.why.reason, /^a connection pooler answers for PostgreSQL here \(the connection (announced server process 1592216684|announced no server process), the server runs it as 4242\)/);
      assert.match(choice.why.hint, /direct connection to PostgreSQL.*add \?pooler=session to the URL instead/);
    }
  });

  it('the URL decides over what idem sees', () => {
    assert.deepEqual(chooseLockScope('session', 1, 2), { scope: 'session' });
    const said = chooseLockScope('transaction', 7, 7);
    assert.equal(said.scope, 'transaction');
    if (said.scope === 'transaction') {
      assert.match(said.why.reason, /^the URL says \?pooler=transaction/);
      assert.doesNotMatch(said.why.hint, /\?pooler=session/);
    }
  });
});

describe('PostgreSQL server: the transaction-scoped lock', { skip: withoutPostgres }, () => {
  const name = `idem_t_${randomBytes(6).toString('hex')}`;
  const url = (() => {
    const u = new URL(POSTGRES_URL);
    u.pathname = `/${name}`;
    return u.toString();
  })();
  const open: PostgresSession[] = [];
  async function session(suffix = '?pooler=transaction'): Promise<PostgresSession> {
    const s = await openPostgresSession({ url: url + suffix }, ['idem_version']);
    open.push(s);
    return s;
  }

  before(async () => {
    await postgresAdmin(`CREATE DATABASE "${name}"`);
    const s = await session('');
    await s.driver.execute('CREATE SCHEMA tenant; CREATE TABLE tenant.marks (v int); CREATE TABLE public.marks (v int)');
  });

  after(async () => {
    for (const s of open) await s.close().catch(() => undefined);
    await postgresAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  it('a direct connection is seen as one; ?pooler=transaction says otherwise', async () => {
    assert.equal((await session('')).lockScope, 'session');
    assert.equal((await session()).lockScope, 'transaction');
    assert.equal((await session('?pooler=session')).lockScope, 'session');
  });

  it('the catalog read is a named prepared statement on a direct connection, and never behind a transaction pooler', async () => {
    const prepared = async (s: PostgresSession) => {
      await s.catalog.readAll();
      await s.catalog.readTables(['marks']);
      return (await s.driver.query<{ name: string }>('SELECT name FROM pg_prepared_statements ORDER BY name')).map((r) => r.name);
    };
    assert.deepEqual(await prepared(await session('')), ['idem_catalog_all', 'idem_catalog_some']);
    assert.deepEqual(await prepared(await session()), [], 'the next transaction may reach a server connection that never saw it');
  });

  it('acquire() opens a transaction holding the lock; the first migration continues it, COMMIT releases it, the next BEGIN takes it again', async () => {
    const runner = await session();
    const other = await session();
    const watcher = await session('');
    assert.equal(runner.driver.inTransaction, false);
    await runner.lock.acquire(1000);
    assert.equal(runner.driver.inTransaction, true);
    assert.equal(await runner.changedByOthers(), false, 'the first call answers false');
    const pid = Number((await runner.driver.query<{ pid: number }>('SELECT pg_backend_pid() AS pid'))[0]!.pid);
    assert.equal((await watcher.lock.holder())?.session, pid);
    // lock_timeout was only for the wait: the migration's statements wait for table locks as they would directly.
    assert.deepEqual(await runner.driver.query('SHOW lock_timeout'), [{ lock_timeout: '0' }]);

    await runner.transactions.begin();
    assert.equal(await runner.changedByOthers(), false, 'still the transaction acquire() opened');
    await runner.driver.execute('INSERT INTO marks VALUES (1)');
    await runner.transactions.commit();
    assert.equal(await watcher.lock.holder(), null, 'released by COMMIT');

    // Between two migrations another runner gets in...
    await other.lock.acquire(1000);
    const waiting = (async () => {
      await runner.transactions.begin();
      return performance.now();
    })();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const released = performance.now();
    await other.lock.release();
    // ...and the runner's next BEGIN waited for it, then knows the catalog may have changed.
    assert.ok((await waiting) >= released, 'the next migration waited for the other runner');
    assert.equal(await runner.changedByOthers(), true);
    assert.equal((await watcher.lock.holder())?.session, pid);
    await runner.transactions.rollback();
    await runner.lock.release();
    assert.deepEqual(await watcher.driver.query('SELECT v FROM marks'), [{ v: 1 }]);
  });

  it('release() commits what ran under the lock before any migration (stamp, the version table)', async () => {
    const runner = await session('?pooler=transaction&schema=tenant');
    const watcher = await session('');
    await runner.lock.acquire(1000);
    await runner.driver.execute('INSERT INTO marks VALUES (7)');
    assert.deepEqual(await watcher.driver.query('SELECT v FROM tenant.marks'), [], 'not visible before release');
    await runner.lock.release();
    assert.equal(runner.driver.inTransaction, false);
    assert.deepEqual(await watcher.driver.query('SELECT v FROM tenant.marks'), [{ v: 7 }], 'in the ?schema= schema, committed');
    assert.equal(await watcher.lock.holder(), null);
  });

  it('?schema= is set LOCAL in every transaction, also for statements sent outside one', async () => {
    const runner = await session('?pooler=transaction&schema=tenant');
    assert.equal(runner.schema, 'tenant');
    assert.deepEqual(await runner.driver.query('SELECT current_schema() AS s'), [{ s: 'tenant' }]);
    assert.equal(await runner.catalog.hasTable('marks'), true);
    await runner.transactions.begin();
    assert.deepEqual(await runner.driver.query('SELECT current_schema() AS s'), [{ s: 'tenant' }]);
    await runner.transactions.commit();
    // The session itself was never changed: a transaction without the SET LOCAL sees the server's search_path.
    runner.driver.setPerTransaction('SELECT 1');
    assert.deepEqual(await runner.driver.query('SELECT current_schema() AS s'), [{ s: 'public' }]);
  });

  it('a runner that waited for the lock sees what the holder committed, even where transactions default to SERIALIZABLE', async () => {
    const holder = await session();
    const waiter = await session('?pooler=transaction&options=-c%20default_transaction_isolation%3Dserializable');
    assert.deepEqual(await waiter.driver.query('SHOW default_transaction_isolation'), [{ default_transaction_isolation: 'serializable' }]);
    await holder.lock.acquire(1000);
    const waiting = waiter.lock.acquire(5000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await holder.driver.execute('INSERT INTO marks VALUES (42)');
    await holder.lock.release();
    await waiting;
    assert.deepEqual(await waiter.driver.query('SELECT v FROM marks WHERE v = 42'), [{ v: 42 }]);
    await waiter.lock.release();
  });

  it('a runner whose next migration waited for another runner knows what that runner\'s migrations declared', async () => {
    // An init script made t with its unique key under its own name; k2 adopts it as uq_t_code (skipped,
    // the shape recorded), k3 drops uq_t_code, found by that shape. Runner y runs k2 between runner x's
    // k1 and k3: x must learn k2's declaration from the version table, or k3 would skip the key as absent.
    const admin = await session('');
    await admin.driver.execute('CREATE SCHEMA gate; CREATE TABLE gate.t (id int PRIMARY KEY, code text, CONSTRAINT t_init_uq UNIQUE (code))');
    const dir = await mkdtemp(join(tmpdir(), 'idem-pooler-'));
    const gate = globalThis as { idemGate?: { entered: () => void; open: Promise<void> } };
    try {
      await mkdir(join(dir, 'migrations'));
      const write = (file: string, m: Parameters<typeof migrationSource>[0]) => writeFile(join(dir, 'migrations', file), migrationSource(m));
      // m.query stops the look-ahead pass before the gate: only the live run of k1 waits at it.
      await write('0001_k1.ts', { revision: 'k1', up: `await m.query('SELECT 1 AS one', []);
        const gate = (globalThis as { idemGate?: { entered: () => void; open: Promise<void> } }).idemGate;
        gate?.entered();
        await gate?.open;
        await m.addColumn('t', 'note', { type: 'text', nullable: true });` });
      await write('0002_k2.ts', { revision: 'k2', revises: 'k1', up: `await m.addUnique('t', ['code'], { name: 'uq_t_code' });` });
      await write('0003_k3.ts', { revision: 'k3', revises: 'k2', up: `await m.dropUnique('t', 'uq_t_code');` });
      const options = { url: `${url}?pooler=transaction&schema=gate`, dir: join(dir, 'migrations'), cwd: dir };
      let open!: () => void;
      const entered = new Promise<void>((resolve) => {
        gate.idemGate = { entered: resolve, open: new Promise<void>((release) => { open = release; }) };
      });
      const x = up(options);
      await entered;
      const y = up({ ...options, target: 'k2' });
      // y waits in the server's lock queue, ahead of x's next migration. pg_locks is the whole server's:
      // only this database's waits count (other test files' runners wait on the same server).
      const watcher = await session('');
      const waiting = `SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
      while (Number((await watcher.driver.query<{ n: string }>(waiting))[0]!.n) === 0) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      open();
      const [ranX, ranY] = await Promise.all([x, y]);
      assert.deepEqual([ranX.migrations.map((m) => m.revision), ranY.migrations.map((m) => m.revision)], [['k1', 'k3'], ['k2']]);
      assert.deepEqual(await watcher.driver.query(`SELECT conname FROM pg_constraint WHERE conrelid = 'gate.t'::regclass AND contype = 'u'`), [], 'the key is dropped');
    } finally {
      delete gate.idemGate;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a lock not free in time: LOCK_TIMEOUT naming the holder and its transaction, no transaction left open, and the session still usable', async () => {
    const holder = await session();
    const waiter = await session();
    await holder.lock.acquire(1000);
    for (const ms of [0, 200]) {
      await assert.rejects(waiter.lock.acquire(ms), isIdemError('LOCK_TIMEOUT', /on schema "public".*held by pid \d+, application_name "idem", .*in a transaction since /));
      assert.equal(waiter.driver.inTransaction, false);
      assert.equal(waiter.lock.held, false);
    }
    assert.deepEqual(await waiter.driver.query('SELECT 1 AS one'), [{ one: 1 }]);
    await holder.lock.release();
    await waiter.lock.acquire(0);
    await waiter.lock.release();
  });
});
