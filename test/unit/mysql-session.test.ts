/**
 * The MySQL-family session against a real server (IDEM_TEST_MARIADB_URL,
 * default the local MariaDB): the driver, the run lock, transactions, and
 * the one-line connection errors that never show a password.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { loadMysql2, MysqlDriver } from '../../src/dialect/mysql/mysql-driver.ts';
import { openMysqlSession, type MysqlSession } from '../../src/dialect/mysql/mysql-session.ts';
import { IdemError } from '../../src/errors.ts';
import { MARIADB_URL, withoutMariadb } from '../support/servers.ts';

const ADMIN_URL = MARIADB_URL;

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

async function failure(promise: Promise<unknown>): Promise<IdemError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof IdemError, `an IdemError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected a failure');
}

/** Nothing a person or a log could see carries the password. */
function assertNoSecret(error: IdemError, secret: string): void {
  const seen = [error.message, error.hint ?? '', JSON.stringify(error.data ?? {}), inspect(error, { depth: 6 })].join('\n');
  assert.ok(!seen.includes(secret), `the password leaked:\n${seen}`);
  assert.ok(!seen.includes(encodeURIComponent(secret)), `the encoded password leaked:\n${seen}`);
}

describe('MariaDB server', { skip: withoutMariadb }, () => {
  describe('MySQL/MariaDB session on a real server', () => {
    const database = `idem_t_${process.pid}_${randomBytes(4).toString('hex')}`;
    const url = withDatabase(ADMIN_URL, database);
    let admin: MysqlDriver;
    const open: MysqlSession[] = [];
    const session = async (): Promise<MysqlSession> => {
      const s = await openMysqlSession({ url, variant: 'mariadb' }, ['idem_version']);
      open.push(s);
      return s;
    };

    before(async () => {
      admin = await MysqlDriver.connect(ADMIN_URL);
      await admin.execute(`CREATE DATABASE \`${database}\``);
    });

    after(async () => {
      for (const s of open) await s.close().catch(() => undefined);
      await admin?.execute(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin?.close();
    });

    it('learns the server and binds values through mysql2, never by pasting', async () => {
      const s = await session();
      assert.equal(s.dialect, 'mysql');
      assert.deepEqual(s.capabilities, { transactionalDdl: false, optionalTransactions: false, maxIdentifierLength: 64 });
      assert.equal(s.driver.server.database, database);
      assert.match(s.driver.server.version, /\d+\.\d+/);
      const tricky = "it's \\ a ? -- `x`";
      assert.deepEqual(await s.driver.query('SELECT ? AS v, ? AS j, ? AS n', [tricky, { a: 1 }, null]), [{ v: tricky, j: '{"a":1}', n: null }]);
      await s.driver.execute('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))');
      assert.deepEqual(await s.driver.execute('INSERT INTO t VALUES (?, ?), (?, ?)', [1, 'a', 2, 'b']), { rowsAffected: 2 });
      const [count] = await s.driver.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM t');
      assert.equal(count?.n, 2, 'COUNT(*) is a number');
      assert.deepEqual(await s.driver.query('UPDATE t SET v = ? WHERE id = ?', ['c', 1]), [], 'no rows from a statement that returns none');
      // Every statement of a text runs; the rows are the last statement's.
      assert.deepEqual(await s.driver.execute('INSERT INTO t VALUES (3, ?); INSERT INTO t VALUES (4, ?)', ['x;y', "z'"]), { rowsAffected: 2 });
      assert.deepEqual(await s.driver.query('SELECT 1 AS a; SELECT v FROM t WHERE id > ? ORDER BY id', [2]), [{ v: 'x;y' }, { v: "z'" }]);
      // A DATETIME is the wall-clock text the server holds, not a Date shifted by the client's time zone.
      assert.deepEqual(await s.driver.query("SELECT CAST('2024-03-31 02:30:00' AS DATETIME) AS d"), [{ d: '2024-03-31 02:30:00' }]);
    });

    it('creates the version table, which a second call leaves alone', async () => {
      const s = await session();
      for (let i = 0; i < 2; i++) for (const st of s.ddl.createVersionTable('idem_version')) await s.driver.execute(st.sql, st.params);
      assert.equal(await s.catalog.hasTable('idem_version'), true);
      assert.equal((await s.catalog.readAll()).tables.has('idem_version'), false, 'idem\'s table is not part of the snapshot');
    });

    it('rolls back data changes since the last DDL statement, and keeps autocommit outside a migration', async () => {
      const s = await session();
      const other = await session();
      await s.driver.execute('CREATE TABLE tx (id INT PRIMARY KEY)');
      const ids = async (): Promise<number[]> => (await other.driver.query<{ id: number }>('SELECT id FROM tx ORDER BY id')).map((r) => r.id);

      await s.transactions.begin();
      await s.driver.execute('INSERT INTO tx VALUES (1)');
      assert.deepEqual(await ids(), [], 'not visible before commit');
      await s.transactions.rollback();
      assert.deepEqual(await ids(), []);

      await s.transactions.begin();
      await s.driver.execute('INSERT INTO tx VALUES (2)');
      await s.driver.execute('CREATE TABLE tx_side (id INT)'); // commits implicitly
      await s.driver.execute('INSERT INTO tx VALUES (3)');
      await s.transactions.rollback();
      assert.deepEqual(await ids(), [2], 'DDL committed what came before it; the rest rolled back');

      await s.transactions.begin();
      await s.driver.execute('INSERT INTO tx VALUES (4)');
      await s.transactions.commit();
      await s.driver.execute('INSERT INTO tx VALUES (5)');
      assert.deepEqual(await ids(), [2, 4, 5], 'committed, then autocommit again');
    });

    it('lets one runner hold the lock: a second times out naming the holder, then takes it at once when the holder dies', async () => {
      const first = await session();
      const second = await session();
      await first.lock.acquire(1000);
      const started = performance.now();
      const error = await failure(second.lock.acquire(1000));
      assert.ok(performance.now() - started >= 900, 'it waited for the timeout');
      assert.equal(error.code, 'LOCK_TIMEOUT');
      assert.match(error.message, new RegExp(`"idem:${database}"`));
      assert.match(error.message, new RegExp(`connection ${first.driver.server.connectionId} \\(root@`));
      assert.match(error.hint ?? '', /idem up/);

      first.driver.destroy(); // as a SIGKILLed runner: no RELEASE_LOCK, no goodbye
      const again = performance.now();
      await second.lock.acquire(1000);
      assert.ok(performance.now() - again < 900, `took ${Math.round(performance.now() - again)} ms`);
      assert.equal(second.lock.held, true);
      await second.lock.release();
      assert.equal(second.lock.held, false);
    });

    it('reports a refused connection in one line, the URL masked', async () => {
      const secret = 's3cr@t-Pa55';
      const target = withPassword(withDatabase('mysql://root@127.0.0.1:1/x', database), secret);
      const error = await failure(openMysqlSession({ url: target, variant: 'mysql' }, []));
      assert.equal(error.code, 'CONNECTION');
      assert.equal(error.data?.reason, 'refused');
      assert.match(error.message, /^cannot connect to MySQL\/MariaDB at 127\.0\.0\.1:1: connection refused \(mysql:\/\/root:\*\*\*@127\.0\.0\.1:1\//);
      assert.ok(!error.message.includes('\n'));
      assertNoSecret(error, secret);
    });

    it('reports a wrong password without showing it', async () => {
      const secret = 'definitely-not-Th3-password';
      const error = await failure(openMysqlSession({ url: withPassword(url, secret), variant: 'mariadb' }, []));
      assert.equal(error.code, 'CONFIG');
      assert.equal(error.data?.reason, 'access-denied');
      assert.match(error.message, /^access denied for user "root" at .*\(mysql:\/\/root:\*\*\*@/);
      assertNoSecret(error, secret);
    });

    it('reports an unknown database by name', async () => {
      const error = await failure(openMysqlSession({ url: withDatabase(ADMIN_URL, `${database}_missing`), variant: 'mariadb' }, []));
      assert.equal(error.code, 'CONFIG');
      assert.equal(error.data?.reason, 'unknown-database');
      assert.match(error.message, new RegExp(`database "${database}_missing" does not exist`));
      assert.match(error.hint ?? '', /CREATE DATABASE/);
    });

    it('refuses a URL without a database', async () => {
      const error = await failure(MysqlDriver.connect('mysql://root:pw@127.0.0.1:3306'));
      assert.equal(error.code, 'URL_INVALID');
    });
  });
});

describe('MySQL driver without a server', () => {
  /** A stand-in for mysql2 whose connection answers the connect-time query with `info`. */
  function fakeMysql2(info: Record<string, unknown>, sent: unknown[][] = [], variables: Array<{ Variable_name: string; Value: string }> = []): Parameters<typeof MysqlDriver.connect>[1] {
    const connection = {
      async query(sql: string, params?: unknown[]) {
        sent.push([sql, params]);
        // The connect text is two statements: the server facts, then the wsrep variables.
        return [sql.startsWith('SELECT VERSION()') ? [[info], variables] : { affectedRows: 0 }, []];
      },
      destroy() {},
      on() { return connection; },
    };
    return { createConnection: async () => connection } as unknown as Parameters<typeof MysqlDriver.connect>[1];
  }

  it('refuses a read-only server (a replica) with a clear message', async () => {
    const error = await failure(MysqlDriver.connect('mysql://app:hunter2x@db.internal:3306/app', fakeMysql2({ version: '8.0.36', db: 'app', id: 9, read_only: 1, sql_mode: '' })));
    assert.equal(error.code, 'CONNECTION');
    assert.equal(error.data?.reason, 'read-only');
    assert.match(error.message, /^the server at db\.internal:3306 is read-only .*replica.*\(mysql:\/\/app:\*\*\*@db\.internal:3306\/app\)$/);
    assertNoSecret(error, 'hunter2x');
  });

  it('tells MySQL from MariaDB and keeps backslash escapes on for its own session', async () => {
    const sent: unknown[][] = [];
    const driver = await MysqlDriver.connect('mysql://app@db:3306/app', fakeMysql2({ version: '8.0.36', db: 'app', id: 9, read_only: 0, sql_mode: 'STRICT_TRANS_TABLES,NO_BACKSLASH_ESCAPES' }, sent));
    assert.deepEqual(driver.server, { flavor: 'mysql', version: '8.0.36', database: 'app', connectionId: 9, variables: new Map() });
    assert.deepEqual(sent[1], ['SET SESSION sql_mode = ?', ['STRICT_TRANS_TABLES']]);
    const maria = await MysqlDriver.connect('mysql://app@db:3306/app', fakeMysql2({ version: '10.11.6-MariaDB', db: 'app', id: 3, read_only: 0, sql_mode: '' }));
    assert.equal(maria.server.flavor, 'mariadb');
  });

  it('says which package to install when mysql2 is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package 'mysql2' imported from idem"), { code: 'ERR_MODULE_NOT_FOUND' });
    const error = await failure(loadMysql2(() => Promise.reject(missing)));
    assert.equal(error.code, 'DRIVER_MISSING');
    assert.equal(error.message, 'MySQL/MariaDB needs the mysql2 package');
    assert.equal(error.hint, 'npm install mysql2');
  });
});
