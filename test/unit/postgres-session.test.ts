/**
 * A PostgreSQL session against the real server: the run lock (timeout naming
 * its holder, per-schema keys, a killed runner leaves nothing behind),
 * transactions, "already exists" classification, placeholders, and the
 * one-line connection errors that never show a password.
 * The server: IDEM_TEST_POSTGRES_URL, else the local one.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadPg } from '../../src/dialect/postgres/postgres-driver.ts';
import { openPostgresSession, type PostgresSession } from '../../src/dialect/postgres/postgres-session.ts';
import { IdemError } from '../../src/errors.ts';
import { POSTGRES_URL, postgresAdmin, withoutPostgres } from '../support/servers.ts';

const ADMIN_URL = POSTGRES_URL;
const name = `idem_t_${randomBytes(6).toString('hex')}`;
const withPath = (base: string, path: string, password?: string): string => {
  const u = new URL(base);
  u.pathname = `/${path}`;
  if (password !== undefined) u.password = password;
  return u.toString();
};
const url = withPath(ADMIN_URL, name);
const SESSION_MODULE = fileURLToPath(new URL('../../src/dialect/postgres/postgres-session.ts', import.meta.url));

const open: PostgresSession[] = [];
async function session(suffix = ''): Promise<PostgresSession> {
  const s = await openPostgresSession({ url: url + suffix }, ['idem_version']);
  open.push(s);
  return s;
}

function isIdemError(code: string, pattern?: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof IdemError, `an IdemError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

describe('PostgreSQL server', { skip: withoutPostgres }, () => {
  before(async () => {
    await postgresAdmin(`CREATE DATABASE "${name}"`);
    const s = await session();
    await s.driver.execute('CREATE SCHEMA tenant_a; CREATE SCHEMA tenant_b');
  });

  after(async () => {
    for (const s of open) await s.close();
    await postgresAdmin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  });

  describe('PostgresRunLock', () => {
    it('a second runner times out with LOCK_TIMEOUT naming the lock and its holder', async () => {
      const first = await session();
      const second = await session();
      await first.lock.acquire(1000);
      const [{ pid }] = await first.driver.query<{ pid: number }>('SELECT pg_backend_pid() AS pid') as [{ pid: number }];
      const started = performance.now();
      await assert.rejects(second.lock.acquire(300), isIdemError('LOCK_TIMEOUT', new RegExp(`schema "public".*held by pid ${pid}, application_name "idem"`)));
      assert.ok(performance.now() - started >= 280, 'waited for the timeout');
      // lock_timeout is restored after the attempt.
      assert.deepEqual(await second.driver.query(`SELECT current_setting('lock_timeout') AS v`), [{ v: '0' }]);
      await first.lock.release();
      await second.lock.acquire(1000);
      await second.lock.release();
    });

    it('a zero timeout tries once', async () => {
      const first = await session();
      const second = await session();
      await first.lock.acquire(0);
      await assert.rejects(second.lock.acquire(0), isIdemError('LOCK_TIMEOUT'));
      await first.lock.release();
    });

    it('two schemas of one database lock independently', async () => {
      const a = await session('?schema=tenant_a');
      const b = await session('?schema=tenant_b');
      const a2 = await session('?schema=tenant_a');
      await a.lock.acquire(500);
      await b.lock.acquire(500);
      await assert.rejects(a2.lock.acquire(200), isIdemError('LOCK_TIMEOUT', /schema "tenant_a"/));
      await a.lock.release();
      await b.lock.release();
    });

    it('a killed runner holding the lock leaves nothing behind: the next one proceeds at once', async () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', `
        const { openPostgresSession } = await import(${JSON.stringify(SESSION_MODULE)});
        const s = await openPostgresSession({ url: ${JSON.stringify(url)} }, []);
        await s.lock.acquire(5000);
        console.log('locked');
        setInterval(() => {}, 1000);
      `], { stdio: ['ignore', 'pipe', 'inherit'] });
      try {
        const [line] = await once(createInterface({ input: child.stdout! }), 'line') as [string];
        assert.equal(line, 'locked');
        const next = await session();
        await assert.rejects(next.lock.acquire(200), isIdemError('LOCK_TIMEOUT', /held by pid \d+/));
        child.kill('SIGKILL');
        await once(child, 'exit');
        const started = performance.now();
        await next.lock.acquire(10_000);
        assert.ok(performance.now() - started < 2000, `acquired after ${Math.round(performance.now() - started)}ms`);
        await next.lock.release();
      } finally {
        child.kill('SIGKILL');
      }
    });

    it('closing the session releases the lock', async () => {
      const first = await openPostgresSession({ url }, []);
      await first.lock.acquire(500);
      await first.close();
      const second = await session();
      await second.lock.acquire(0);
      await second.lock.release();
    });
  });

  describe('PostgresTransactions', () => {
    it('DDL rolls back with the transaction', async () => {
      const s = await session();
      await s.transactions.begin();
      await s.driver.execute('CREATE TABLE rolled_back (id int)');
      assert.equal(await s.catalog.hasTable('rolled_back'), true);
      await s.transactions.rollback();
      assert.equal(await s.catalog.hasTable('rolled_back'), false);
    });

    it('attempt keeps the transaction usable after a failed statement, with or without parameters', async () => {
      const s = await session();
      await s.driver.execute('CREATE TABLE taken (id int)');
      await s.transactions.begin();
      const error = await s.transactions.attempt!('CREATE TABLE taken (id int)', []).then(() => undefined, (e: unknown) => e);
      assert.equal(s.isAlreadyExistsError(error), true);
      assert.equal(await s.catalog.hasTable('taken'), true, 'the catalog can still be read');
      await s.driver.execute('INSERT INTO taken VALUES (1)');
      const withParams = await s.transactions.attempt!('INSERT INTO taken VALUES ($1::int / 0)', [1]).then(() => undefined, (e: unknown) => e);
      assert.match(String(withParams), /division by zero/);
      assert.equal((await s.transactions.attempt!('INSERT INTO taken VALUES ($1)', [2])).rowsAffected, 1);
      await s.transactions.commit();
      assert.deepEqual(await s.driver.query('SELECT id FROM taken ORDER BY id'), [{ id: 1 }, { id: 2 }], 'what succeeded around the failures committed');
    });
  });

  describe('PostgreSQL session', () => {
    it('classifies the "already exists" errors of a race, and only those', async () => {
      const s = await session();
      await s.driver.execute('CREATE TABLE dup (id int, CONSTRAINT uq_dup UNIQUE (id))');
      const fail = (sql: string) => s.driver.execute(sql).then(() => assert.fail(`${sql} succeeded`), (e: unknown) => e);
      assert.equal(s.isAlreadyExistsError(await fail('CREATE TABLE dup (id int)')), true);
      assert.equal(s.isAlreadyExistsError(await fail('ALTER TABLE dup ADD COLUMN id int')), true);
      assert.equal(s.isAlreadyExistsError(await fail('ALTER TABLE dup ADD CONSTRAINT uq_dup UNIQUE (id)')), true);
      assert.equal(s.isAlreadyExistsError(await fail('CREATE INDEX uq_dup ON dup (id)')), true);
      await s.driver.execute('INSERT INTO dup VALUES (1)');
      assert.equal(s.isAlreadyExistsError(await fail('INSERT INTO dup VALUES (1)')), false, 'a user table\'s unique violation is not a race');
      assert.equal(s.isAlreadyExistsError(await fail('SELECT * FROM no_such_table')), false);
    });

    it('binds the portable ? placeholders', async () => {
      const s = await session();
      const rows = await s.driver.query(s.bindPlaceholders(`SELECT ?::int + ? AS n, '?' AS q, '{"a":1}'::jsonb ?| array[?] AS has`), [1, 2, 'a']);
      assert.deepEqual(rows, [{ n: 3, q: '?', has: true }]);
    });

    it('execute counts affected rows; COUNT(*) is a string for Number()', async () => {
      const s = await session();
      await s.driver.execute('CREATE TABLE counted (v text)');
      assert.deepEqual(await s.driver.execute('INSERT INTO counted VALUES ($1), ($2)', ['a', 'b']), { rowsAffected: 2 });
      assert.deepEqual(await s.driver.execute('CREATE INDEX ix_counted ON counted (v)'), { rowsAffected: 0 });
      const [row] = await s.driver.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM counted');
      assert.equal(Number(row?.n), 2);
    });

    it('capabilities: transactional DDL, transactions a migration may opt out of, 63-byte identifiers', async () => {
      const s = await session();
      assert.equal(s.dialect, 'postgres');
      assert.deepEqual(s.capabilities, { transactionalDdl: true, optionalTransactions: true, maxIdentifierLength: 63 });
      assert.equal(s.quoteIdentifier('a "b"'), '"a ""b"""');
    });
  });

  describe('PostgreSQL connection errors', () => {
    const secret = 's3cret';
    const noSecret = (e: unknown): void => {
      const error = e as IdemError;
      for (const text of [error.message, error.hint ?? '', String(error.cause), JSON.stringify(error), JSON.stringify(error.cause), String(error.stack)]) {
        assert.ok(!text.includes(secret), `the password shows in: ${text}`);
      }
    };

    it('a refused connection: one line with the URL masked', async () => {
      const bad = withPath('postgres://postgres@127.0.0.1:1/x', 'test', secret);
      const error = await openPostgresSession({ url: bad }, []).then(() => assert.fail('connected'), (e: unknown) => e);
      isIdemError('CONNECTION', /^cannot reach postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:1\/test: connection refused — is the server up\?$/)(error);
      noSecret(error);
    });

    it('an unknown database', async () => {
      const bad = withPath(ADMIN_URL, 'idem_no_such_database', secret);
      const error = await openPostgresSession({ url: bad }, []).then(() => assert.fail('connected'), (e: unknown) => e);
      isIdemError('CONFIG', /database "idem_no_such_database" does not exist/)(error);
      assert.match((error as IdemError).message, /:\*\*\*@/);
      assert.match((error as IdemError).hint ?? '', /create the database/);
      noSecret(error);
    });

    it('an unknown schema in ?schema= creates nothing and says so', async () => {
      await assert.rejects(openPostgresSession({ url: `${url}?schema=nope` }, []), isIdemError('CONFIG', /schema "nope" does not exist/));
      const s = await session();
      assert.deepEqual(await s.driver.query(`SELECT nspname FROM pg_namespace WHERE nspname = 'nope'`), []);
    });

    it('a missing pg package names the package to install', async () => {
      const missing = Object.assign(new Error("Cannot find package 'pg'"), { code: 'ERR_MODULE_NOT_FOUND' });
      await assert.rejects(loadPg(() => Promise.reject(missing)), (e: unknown) => {
        isIdemError('DRIVER_MISSING', /PostgreSQL needs the pg package/)(e);
        assert.equal((e as IdemError).hint, 'npm install pg');
        return true;
      });
    });
  });
});
