/**
 * A Galera node killed mid-run (SIGKILL of its mariadbd: a crash) on a
 * 3-node cluster of its own (test/support/galera.ts, SQL on
 * 127.0.0.1:3331-3333). The runner migrating through it held the lease and
 * dies with it; the runners on the other two nodes wait for that lease to
 * lapse, take over, and converge. The node, restarted, rejoins by a state
 * transfer and has the same schema (fingerprint of src/api/schema.ts), the
 * same version rows and the same data.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { GaleraCluster, galeraMissing } from '../support/galera.ts';
import { assertConverged, migrationsRun, showRuns, startRunner, writeGaleraProject } from '../support/galera-runs.ts';

describe('MariaDB Galera: a node fails mid-run', { skip: galeraMissing() }, () => {
  let cluster: GaleraCluster;
  let dir: string;

  before(async () => {
    cluster = await GaleraCluster.start({ sqlPortBase: 3330 });
    dir = await writeGaleraProject();
  });
  after(async () => {
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('galera: node 3 killed while its runner migrates: the runners on nodes 1 and 2 converge; node 3 rejoins with the same schema', async () => {
    const db = await cluster.createDatabase();
    const lease = ['--lock-lease', '4'];
    try {
      // Node 3's runners start first; the one that takes the lease stops in g2 (its gate never opens) until the crash.
      const onNode3 = [0, 1, 2].map(() => startRunner(cluster, 3, db.name, dir, lease, { IDEM_TEST_GATE: join(dir, `never-${db.name}`) }));
      await Promise.any(onNode3.map((r) => r.waitFor(/"event":"op","revision":"g2"/)));
      const others = [1, 2].flatMap((n) => [0, 1, 2].map(() => startRunner(cluster, n, db.name, dir, lease)));

      await cluster.kill(3);
      const runs = await Promise.all(others.map((r) => r.done));
      for (const r of runs) {
        assert.equal(r.code, EXIT.ok, showRuns([r]));
        assert.deepEqual(r.events.filter((e) => e.event === 'error'), [], showRuns([r]));
      }
      // g1 committed through node 3 before the crash; of the rest, each ran exactly once on nodes 1 and 2.
      assert.deepEqual(migrationsRun(runs), { g2: 1, g3: 1, g4: 1 }, showRuns(runs));
      assert.ok(runs.some((r) => r.events.some((e) => e.event === 'warning' && e.code === 'LOCK_LEASE_LAPSED')),
        `the lease of the runner on the dead node lapsed and was taken over:\n${showRuns(runs)}`);
      await assertConverged(cluster, db.name, [1, 2]);

      // Node 3's runners lost their server; whatever they still do, they are ended here.
      for (const r of onNode3) r.kill();
      for (const r of await Promise.all(onNode3.map((x) => x.done))) assert.notEqual(r.code, EXIT.ok, showRuns([r]));

      await cluster.startNode(3);
      await cluster.waitForSize(3);
      await assertConverged(cluster, db.name, [1, 2, 3]);
    } finally {
      await db.drop();
    }
  });
});
