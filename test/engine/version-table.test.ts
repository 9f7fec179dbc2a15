/**
 * The version table's batch write (VersionTable.insertMany), on every engine:
 * the rows of an adopting run go in a few statements, and `seq` keeps their
 * order after what was recorded before, across the chunks the engines'
 * parameter limits impose.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConnectionUrl } from '../../src/dialect/connection-url.ts';
import { openSession } from '../../src/dialect/connect.ts';
import { IDEM_TABLES } from '../../src/runner/idem-tables.ts';
import { VersionTable } from '../../src/runner/version-table.ts';
import { engines } from '../engines.ts';

for (const engine of engines) {
  test(`${engine.name}: insertMany writes 450 rows in order after the recorded ones, seq continuing`, async () => {
    const db = await engine.createDatabase();
    const session = await openSession(parseConnectionUrl(db.url), IDEM_TABLES);
    try {
      const versions = new VersionTable(session);
      await versions.ensure();
      const row = (revision: string) => ({
        revision, description: `step ${revision}`, checksum: 'c'.repeat(64), durationMs: 1.4,
        counts: { applied: 0, skipped: 3, drift: 0 }, how: 'applied' as const, declared: {},
      });
      await versions.insert(row('first'));
      const many = Array.from({ length: 450 }, (_, i) => row(`r${String(i).padStart(3, '0')}`));
      await versions.insertMany(many);
      const read = await versions.read();
      assert.deepEqual(read.map((r) => r.revision), ['first', ...many.map((r) => r.revision)]);
      assert.deepEqual(read[1]!.counts, { applied: 0, skipped: 3, drift: 0 });
      const seqs = await session.driver.query<{ seq: unknown }>('SELECT seq FROM idem_version ORDER BY seq');
      assert.deepEqual(seqs.map((s) => Number(s.seq)), Array.from({ length: 451 }, (_, i) => i + 1));
      await assert.rejects(versions.insertMany([row('r449')]), 'a revision already recorded is refused, not written twice');
    } finally {
      await session.close();
      await db.drop();
    }
  });
}
