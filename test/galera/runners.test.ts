/**
 * Many runners on a 3-node MariaDB Galera cluster (test/support/galera.ts,
 * SQL on 127.0.0.1:3321-3323): the real CLI as child processes, three per
 * node, started at once on a fresh database. GET_LOCK would let one runner
 * per node in (it is node-local); idem's lease row lets exactly one in for
 * the whole cluster. Asserted on what every node holds and on which process
 * ran what, never on timing alone.
 *
 * IDEM_GALERA_RUNS sets how many times the 9-runner proof repeats (default
 * 2; `npm run stress:galera` runs it 20 times).
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openSession } from '../../src/dialect/connect.ts';
import { parseConnectionUrl } from '../../src/dialect/connection-url.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { mysqlErrno } from '../../src/dialect/mysql/mysql-galera-races.ts';
import { VERSION_TABLE } from '../../src/runner/version-table.ts';
import { GaleraCluster, galeraMissing } from '../support/galera.ts';
import { assertConverged, migrationsRun, NODES, REVISIONS, showRuns, startRunner, writeGaleraProject } from '../support/galera-runs.ts';
import { runCli } from '../support/project.ts';

const RUNS = Math.max(1, Number(process.env.IDEM_GALERA_RUNS ?? 2));

describe('MariaDB Galera: runners on every node', { skip: galeraMissing() }, () => {
  let cluster: GaleraCluster;
  let dir: string;

  before(async () => {
    cluster = await GaleraCluster.start({ sqlPortBase: 3320 });
    dir = await writeGaleraProject();
  });
  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (let run = 1; run <= RUNS; run++) {
    test(`galera: 9 runners (3 per node) at once on a fresh database converge (${run} of ${RUNS})`, async () => {
      const db = await cluster.createDatabase();
      try {
        const runners = NODES.flatMap((n) => [0, 1, 2].map(() => startRunner(cluster, n, db.name, dir)));
        const runs = await Promise.all(runners.map((r) => r.done));
        for (const r of runs) {
          assert.equal(r.code, EXIT.ok, showRuns([r]));
          assert.equal(r.events.at(-1)?.event, 'done', showRuns([r]));
          assert.deepEqual(r.events.filter((e) => e.event === 'error'), [], showRuns([r]));
        }
        // One runner ran each migration, wherever it was connected; the others found nothing to do.
        assert.deepEqual(migrationsRun(runs), Object.fromEntries(REVISIONS.map((r) => [r, 1])), showRuns(runs));
        await assertConverged(cluster, db.name);
      } finally {
        await db.drop();
      }
    });
  }

  test('galera: a read of idem\'s own aborted by DDL replicated from another node runs again; inside a migration\'s transaction it runs once', async () => {
    const db = await cluster.createDatabase();
    const reader = await openSession(parseConnectionUrl(cluster.url(1, db.name)), [VERSION_TABLE]);
    try {
      await cluster.query(2, 'CREATE TABLE t (id int PRIMARY KEY)', [], db.name);
      await cluster.query(2, 'INSERT INTO t VALUES (1)', [], db.name);
      let attempts = 0;
      // SLEEP keeps the read's metadata lock on t until node 2's ALTER arrives on node 1 and aborts it (1213).
      const slowRead = () => {
        attempts++;
        return reader.driver.query<{ id: number }>('SELECT SLEEP(2) AS slept, id FROM t');
      };
      const alterWhileReading = async (column: string) => {
        await waitUntil(async () => Number((await cluster.query<{ n: number }>(1,
          "SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(2)%'"))[0]?.n) === 1);
        await cluster.query(2, `ALTER TABLE t ADD COLUMN ${column} int`, [], db.name);
      };

      const [alone] = await Promise.all([reader.retryRead!(slowRead), alterWhileReading('a')]);
      assert.deepEqual(alone.map((row) => Number(row.id)), [1]);
      assert.equal(attempts, 2, 'aborted once, then answered');

      attempts = 0;
      await reader.transactions.begin();
      const [inside] = await Promise.allSettled([reader.retryRead!(slowRead), alterWhileReading('b')]);
      assert.equal(inside.status, 'rejected');
      assert.equal(mysqlErrno((inside as PromiseRejectedResult).reason), 1213);
      assert.equal(attempts, 1, 'the transaction went with the read: the migration is what runs again');
      await reader.transactions.rollback();
    } finally {
      await reader.close();
      await db.drop();
    }
  });

  test('galera: a runner killed holding the lease: others wait, see the holder, and proceed once the lease lapses', async () => {
    const db = await cluster.createDatabase();
    const lease = 3;
    try {
      // The holder stops in g2 (its gate never opens) and is killed there: no release, no cleanup.
      const holder = startRunner(cluster, 1, db.name, dir, ['--lock-lease', String(lease)], { IDEM_TEST_GATE: join(dir, `never-${db.name}`) });
      await holder.waitFor(/"event":"op","revision":"g2"/);

      // Through another node the lock is held: a runner with a short timeout gives up, naming the holder.
      const blocked = await startRunner(cluster, 3, db.name, dir, ['--lock-timeout', '1']).done;
      assert.equal(blocked.code, EXIT.unavailable, showRuns([blocked]));
      const error = blocked.events.find((e) => e.event === 'error');
      assert.equal(error?.code, 'LOCK_TIMEOUT', showRuns([blocked]));
      assert.match(String(error?.message), new RegExp(`runner ".* pid ${holder.pid} [0-9a-f]{8}"`));

      // `idem doctor`'s question, from a third session on node 2: who holds it, since when, until when.
      const session = await openSession(parseConnectionUrl(cluster.url(2, db.name)), [VERSION_TABLE]);
      try {
        // Causal reads: bits 1 (reads), 2 (updates, deletes) and 4 (inserts) of wsrep_sync_wait, on top of the server's.
        const [wait] = await session.driver.query<{ w: number }>('SELECT @@session.wsrep_sync_wait AS w');
        assert.equal(Number(wait?.w) & 7, 7);
        const who = await session.lock.holder();
        assert.match(who?.description ?? '', new RegExp(`pid ${holder.pid} `));
        assert.match(who?.since ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC$/);
        assert.match(who?.expires ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+ UTC$/);
        assert.match(who?.end ?? '', /^DELETE FROM `idem_lock` WHERE name = 'run' AND owner = '.* pid \d+ [0-9a-f]{8}'$/);
      } finally {
        await session.close();
      }

      holder.kill();
      const killed = await holder.done;
      assert.equal(killed.signal, 'SIGKILL');
      const killedAt = performance.now();
      const next = await startRunner(cluster, 2, db.name, dir, ['--lock-lease', String(lease)]).done;
      const waited = (performance.now() - killedAt) / 1000;
      assert.equal(next.code, EXIT.ok, showRuns([next]));
      const lapsed = next.events.find((e) => e.event === 'warning' && e.code === 'LOCK_LEASE_LAPSED');
      assert.match(String(lapsed?.message), new RegExp(`from .* pid ${holder.pid} .*lease lapsed`), showRuns([next]));
      // It waited for the lease to lapse (no barging in on a live-looking lease), and not much longer than that.
      assert.ok(waited >= lease * 0.9, `proceeded after ${waited.toFixed(1)}s, before the ${lease}s lease could lapse`);
      assert.ok(waited <= 2 * lease + 5, `proceeded only after ${waited.toFixed(1)}s; a lease of ${lease}s lapses within ${2 * lease}s`);
      // g1 was done by the killed runner; the next one ran g2 (half done: what holds is skipped) to g4.
      assert.deepEqual(migrationsRun([next]), { g2: 1, g3: 1, g4: 1 }, showRuns([next]));
      await assertConverged(cluster, db.name);
      assert.equal(await leaseRows(cluster, db.name), 0, 'the lease was given back');
    } finally {
      await db.drop();
    }
  });

  test('galera: a live holder whose run outlasts its lease keeps it: the heartbeat renews it, nobody takes over', async () => {
    const db = await cluster.createDatabase();
    const lease = ['--lock-lease', '3'];
    try {
      // g2 takes 10 s, over three leases; a waiter on another node watches the whole time.
      const holder = startRunner(cluster, 1, db.name, dir, lease, { IDEM_TEST_SLEEP_MS: '10000' });
      await holder.waitFor(/"event":"op","revision":"g2"/);
      const waiter = startRunner(cluster, 2, db.name, dir, lease);
      const runs = await Promise.all([holder.done, waiter.done]);
      for (const r of runs) assert.equal(r.code, EXIT.ok, showRuns([r]));
      assert.deepEqual(runs.flatMap((r) => r.events.filter((e) => e.event === 'warning')), [], showRuns(runs));
      assert.deepEqual(migrationsRun([runs[0]]), Object.fromEntries(REVISIONS.map((r) => [r, 1])), showRuns(runs));
      assert.deepEqual(migrationsRun([runs[1]]), {}, showRuns(runs));
      await assertConverged(cluster, db.name);
    } finally {
      await db.drop();
    }
  });

  test(`galera: a lease freed by hand mid-migration: the old holder's late duplicate loses the race on the version row, is rolled back, and finds the work done`, async () => {
    const db = await cluster.createDatabase();
    const lease = ['--lock-lease', '3'];
    const gate = join(dir, `gate-${db.name}`);
    try {
      const holder = startRunner(cluster, 1, db.name, dir, lease, { IDEM_TEST_GATE: gate });
      await holder.waitFor(/"event":"op","revision":"g2"/);
      const waiter = startRunner(cluster, 2, db.name, dir, lease);
      // What `idem doctor` offers for a stuck holder: delete its lease row. The waiter takes the lease at once
      // and runs g2 to g4, while the holder, asleep inside g2, still means to finish g2 itself.
      const session = await openSession(parseConnectionUrl(cluster.url(3, db.name)), [VERSION_TABLE]);
      try {
        await waitUntil(async () => (await session.lock.holder()) !== null);
        await session.driver.execute((await session.lock.holder())!.end!);
      } finally {
        await session.close();
      }
      // Only once the waiter has migrated everything does the old holder go on with g2.
      const second = await waiter.done;
      await writeFile(gate, '');
      const first = await holder.done;
      const runs = [first, second];
      for (const r of runs) assert.equal(r.code, EXIT.ok, showRuns([r]));
      assert.deepEqual(migrationsRun([first]), { g1: 1 }, showRuns(runs));
      assert.deepEqual(migrationsRun([second]), { g2: 1, g3: 1, g4: 1 }, showRuns(runs));
      // The old holder's g2 met the version row the waiter had committed (1062, or 1213 at COMMIT): its
      // transaction, with its late insert into runs, was rolled back; run again, g2 was found done. It
      // noticed that it had lost the lease.
      const warnings = first.events.filter((e) => e.event === 'warning').map((e) => String(e.code));
      assert.deepEqual(warnings.filter((w) => w !== 'DONE_ELSEWHERE'), ['RACE_RETRY', 'LOCK_LEASE_LOST'], showRuns([first]));
      assert.ok(warnings.includes('DONE_ELSEWHERE'), showRuns([first]));
      await assertConverged(cluster, db.name);
    } finally {
      await db.drop();
    }
  });

  test('galera: wsrep_osu_method = RSU (DDL not replicated) is reported with what to set', async () => {
    const db = await cluster.createDatabase();
    try {
      await cluster.query(2, "SET GLOBAL wsrep_osu_method = 'RSU'");
      let run;
      try {
        run = await runCli(['--url', cluster.url(2, db.name), '--json', 'plan'], dir);
      } finally {
        await cluster.query(2, "SET GLOBAL wsrep_osu_method = 'TOI'");
      }
      const warning = run.events.find((e) => e.event === 'warning' && e.code === 'GALERA_RSU');
      assert.match(String(warning?.message), /wsrep_osu_method = RSU: DDL runs on the node idem is connected to and is not replicated/, run.stdout);
      assert.match(String(warning?.hint), /SET GLOBAL wsrep_osu_method = 'TOI'/);
      // Through a node with TOI: no warning.
      const toi = await runCli(['--url', cluster.url(1, db.name), '--json', 'plan'], dir);
      assert.deepEqual(toi.events.filter((e) => e.event === 'warning'), [], toi.stdout);
    } finally {
      await db.drop();
    }
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function leaseRows(cluster: GaleraCluster, database: string): Promise<number> {
  const [row] = await cluster.query<{ n: number }>(1, 'SELECT COUNT(*) AS n FROM idem_lock', [], database);
  return Number(row?.n);
}
