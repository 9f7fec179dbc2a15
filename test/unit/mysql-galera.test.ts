/**
 * The Galera pieces that need no cluster: what the wsrep variables say, the
 * settings that are reported, which errors are races, the retry of idem's own
 * statements, the lease option. The cluster proofs are in test/galera/; here
 * a plain MariaDB server (IDEM_TEST_MARIADB_URL) must keep GET_LOCK.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { resolveConfig } from '../../src/api/config.ts';
import type { CatalogReader } from '../../src/dialect/dialect.ts';
import { MysqlDriver } from '../../src/dialect/mysql/mysql-driver.ts';
import { enableCausalReads, galeraSettings, galeraWarnings } from '../../src/dialect/mysql/mysql-galera.ts';
import { isGaleraRaceError, mysqlErrno, raceRetryingCatalog, retryLoneReads, retryRaces } from '../../src/dialect/mysql/mysql-galera-races.ts';
import { MysqlLeaseLock } from '../../src/dialect/mysql/mysql-lease-lock.ts';
import { LEASE_TABLE, LeaseTable } from '../../src/dialect/mysql/mysql-lease-table.ts';
import { MysqlRunLock, MysqlTransactions } from '../../src/dialect/mysql/mysql-lock.ts';
import { openMysqlSession } from '../../src/dialect/mysql/mysql-session.ts';
import { IdemError } from '../../src/errors.ts';
import { MARIADB_URL, withoutMariadb } from '../support/servers.ts';

const vars = (entries: Record<string, string>) => new Map(Object.entries(entries));
const mysqlError = (errno: number, message = `error ${errno}`) => Object.assign(new Error(message), { errno });

describe('Galera detection', () => {
  it('is Galera only with wsrep_on and a provider loaded', () => {
    const provider = '/usr/lib/galera/libgalera_smm.so';
    assert.deepEqual(galeraSettings(vars({ wsrep_on: 'ON', wsrep_provider: provider, wsrep_osu_method: 'TOI', wsrep_sync_wait: '0' })), { osuMethod: 'TOI', syncWait: 0 });
    assert.deepEqual(galeraSettings(vars({ wsrep_on: 'ON', wsrep_provider: provider, wsrep_osu_method: 'rsu', wsrep_sync_wait: '8' })), { osuMethod: 'RSU', syncWait: 8 });
    // MariaDB without a cluster, a provider loaded but this session not replicating, and MySQL (no such variables).
    assert.equal(galeraSettings(vars({ wsrep_on: 'OFF', wsrep_provider: 'none', wsrep_osu_method: 'TOI', wsrep_sync_wait: '0' })), undefined);
    assert.equal(galeraSettings(vars({ wsrep_on: 'OFF', wsrep_provider: provider })), undefined);
    assert.equal(galeraSettings(vars({ wsrep_on: 'ON', wsrep_provider: 'none' })), undefined);
    assert.equal(galeraSettings(new Map()), undefined);
  });

  it('reports RSU, which does not replicate DDL, and says what to set; TOI is fine', () => {
    const [rsu, ...more] = galeraWarnings({ osuMethod: 'RSU', syncWait: 0 });
    assert.equal(more.length, 0);
    assert.equal(rsu?.code, 'GALERA_RSU');
    assert.match(rsu!.message, /not replicated/);
    assert.match(rsu!.hint!, /wsrep_osu_method = 'TOI'/);
    assert.deepEqual(galeraWarnings({ osuMethod: 'TOI', syncWait: 0 }), []);
  });

  it('asks for causal reads before reads, updates/deletes and inserts, keeping the bits the server sets', async () => {
    const sent: unknown[][] = [];
    const driver = { execute: async (sql: string, params: unknown[]) => { sent.push([sql, params]); return { rowsAffected: 0 }; } } as never;
    await enableCausalReads(driver, { osuMethod: 'TOI', syncWait: 0 });
    await enableCausalReads(driver, { osuMethod: 'TOI', syncWait: 8 });
    assert.deepEqual(sent, [['SET SESSION wsrep_sync_wait = ?', [1 | 2 | 4]], ['SET SESSION wsrep_sync_wait = ?', [8 | 1 | 2 | 4]]]);
  });
});

describe('Galera races', () => {
  it('a certification failure or a node outside the primary component is a race wherever it surfaces', () => {
    assert.equal(isGaleraRaceError(mysqlError(1213)), true);
    assert.equal(isGaleraRaceError(mysqlError(1047)), true);
    const wrapped = new IdemError('OPERATION_FAILED', 'sql failed', { cause: mysqlError(1213) });
    assert.equal(mysqlErrno(wrapped), 1213);
    assert.equal(isGaleraRaceError(wrapped), true);
  });

  it('a duplicate key is a race on idem\'s own rows only, not in a migration\'s own statement', () => {
    assert.equal(isGaleraRaceError(mysqlError(1062, "Duplicate entry 'g2' for key 'PRIMARY'")), true);
    assert.equal(isGaleraRaceError(new IdemError('OPERATION_FAILED', 'the statement failed', { cause: mysqlError(1062) })), false);
    assert.equal(isGaleraRaceError(mysqlError(1050)), false);
    assert.equal(isGaleraRaceError(new Error('no errno')), false);
  });

  it('retries idem\'s own statement while it loses races, a bounded number of times, and nothing else', async () => {
    let calls = 0;
    assert.equal(await retryRaces(async () => (++calls < 3 ? Promise.reject(mysqlError(1213)) : 'done')), 'done');
    assert.equal(calls, 3);
    calls = 0;
    await assert.rejects(retryRaces(async () => { calls++; throw mysqlError(1213); }, 4), { errno: 1213 });
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(retryRaces(async () => { calls++; throw mysqlError(1146); }), { errno: 1146 });
    assert.equal(calls, 1);
  });

  it('idem\'s own reads run again when the cluster aborted them, except inside a migration\'s transaction', async () => {
    const driver = {
      sendWithNext: () => undefined,
      dropHeld: () => false,
      settle: async () => false,
      execute: async (sql: string) => { if (sql.startsWith('FAIL')) throw mysqlError(1062); return { rowsAffected: 1 }; },
    } as unknown as MysqlDriver;
    const transactions = new MysqlTransactions(driver);
    let calls = 0;
    const flaky: CatalogReader = {
      hasTable: async () => { if (++calls < 3) throw mysqlError(1213); return true; },
      readAll: async () => { calls++; throw mysqlError(1047); },
      readTables: async () => { calls++; throw mysqlError(1146); },
    };
    const catalog = raceRetryingCatalog(flaky, retryLoneReads(transactions));

    assert.equal(await catalog.hasTable('idem_version'), true);
    assert.equal(calls, 3, 'two aborted reads, then the answer');
    calls = 0;
    await assert.rejects(catalog.readTables(['t']), { errno: 1146 });
    assert.equal(calls, 1, 'an error that is not a race is not retried');

    // From begin() to the end of the transaction a read belongs to it: once, whatever it meets.
    await transactions.begin();
    assert.equal(transactions.open, true);
    calls = 0;
    await assert.rejects(catalog.hasTable('t'), { errno: 1213 });
    await assert.rejects(catalog.readAll(), { errno: 1047 });
    assert.equal(calls, 2);
    await assert.rejects(transactions.executeThenCommit('FAIL', []), { errno: 1062 });
    assert.equal(transactions.open, true, 'a version row that failed leaves the transaction for rollback()');
    await transactions.rollback();
    assert.equal(transactions.open, false);
    await transactions.begin();
    await transactions.keep();
    await transactions.begin();
    assert.equal(transactions.open, true, 'a kept transaction is still open');
    await transactions.executeThenCommit('INSERT', []);
    assert.equal(transactions.open, false);
    await transactions.begin();
    await transactions.commit();
    assert.equal(transactions.open, false);
    calls = 0;
    assert.equal(await catalog.hasTable('t'), true);
    assert.equal(calls, 3);
  });
});

describe('the lease option', () => {
  it('defaults to 15 s and takes seconds; under a second is a usage error', async () => {
    assert.equal((await resolveConfig({ env: {} })).lockLeaseMs, 15_000);
    assert.equal((await resolveConfig({ env: {}, lockLease: 2.5 })).lockLeaseMs, 2500);
    await assert.rejects(resolveConfig({ env: {}, lockLease: 0.2 }), (e: unknown) => e instanceof IdemError && e.code === 'USAGE' && /lockLease/.test(e.message));
    await assert.rejects(resolveConfig({ env: {}, lockLease: Number.NaN }), (e: unknown) => e instanceof IdemError && e.code === 'USAGE');
    assert.throws(() => new MysqlLeaseLock({ driver: {} as never, connect: async () => ({}) as never, leaseMs: 500 }),
      (e: unknown) => e instanceof IdemError && e.code === 'USAGE');
  });

  it('offers a statement that frees a stuck lease, its values quoted', () => {
    const table = new LeaseTable({} as never, 'run');
    assert.equal(table.removeStatement("db1 pid 42 ab'cd"), "DELETE FROM `idem_lock` WHERE name = 'run' AND owner = 'db1 pid 42 ab''cd'");
  });
});

describe('MariaDB server', { skip: withoutMariadb }, () => {
  it('a server that is not a Galera node keeps GET_LOCK, and idem_lock stays out of the catalog', async () => {
    const name = `idem_t_${process.pid}_${randomBytes(4).toString('hex')}`;
    const admin = await MysqlDriver.connect(MARIADB_URL);
    await admin.execute(`CREATE DATABASE \`${name}\``);
    const url = new URL(MARIADB_URL);
    url.pathname = `/${name}`;
    const session = await openMysqlSession({ url: url.toString(), variant: 'mariadb' }, ['idem_version']);
    try {
      assert.equal(session.galera, undefined);
      assert.ok(session.lock instanceof MysqlRunLock);
      assert.equal(session.isRaceError, undefined);
      await session.driver.execute(`CREATE TABLE \`${LEASE_TABLE}\` (id int PRIMARY KEY)`);
      await session.driver.execute('CREATE TABLE visible (id int PRIMARY KEY)');
      assert.deepEqual([...(await session.catalog.readAll()).tables.keys()], ['visible']);
    } finally {
      await session.close();
      await admin.execute(`DROP DATABASE \`${name}\``);
      await admin.close();
    }
  });
});
