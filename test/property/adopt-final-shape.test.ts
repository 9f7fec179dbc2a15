/**
 * Adoption as a property, per engine: a random chain of migrations in which
 * objects are created and dropped again and the data between breaks the keys
 * that went (random-chain.ts, profile `transient`), run clean on a fresh
 * database; then its version table is emptied (the version table lost, or a
 * schema an init script made in its newest shape) and `idem up` runs again.
 * It must exit 0 having applied no schema operation and reported no drift,
 * and leave schema, rows and version table as the clean run left them. Data
 * operations run as their own guards decide (an insert the chain later
 * deleted is guarded by the data, so it may run and be deleted again), and
 * the rows must still end equal.
 *
 *   IDEM_FUZZ_ADOPT_RUNS  cases per engine (default 6; `npm run fuzz` runs 300)
 *   IDEM_FUZZ_SEED        the seed (default fixed, so CI replays the same cases)
 *   IDEM_FUZZ_PATH        with the seed, replays one counterexample (printed on failure)
 *   IDEM_FUZZ_SHRINK_SECONDS  time spent shrinking a failure (default 300)
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { engines, type Engine } from '../engines.ts';
import { chainFiles, writeChain, writeChainTo } from '../support/chain-files.ts';
import { stateDifferences } from '../support/database-state.ts';
import { cleanRun, Divergence, output, scratchProject, stateOf, Unavailable, unlessUnavailable } from '../support/kill-rerun-check.ts';
import { up } from '../support/kill-run.ts';
import { buildChain, chainChoices, type Chain } from '../support/random-chain.ts';

const RUNS = Number(process.env.IDEM_FUZZ_ADOPT_RUNS ?? 6);
const SEED = Number(process.env.IDEM_FUZZ_SEED ?? 20_240_601);
const PATH = process.env.IDEM_FUZZ_PATH;
const SHRINK_MS = Number(process.env.IDEM_FUZZ_SHRINK_SECONDS ?? 300) * 1000;

interface AdoptStats {
  cases: number;
  operations: number;
  /** Schema operations the adoption skipped because a later migration removes their object. */
  leftAbsent: number;
  dataRuns: number;
}

async function adoptsUnchanged(engine: Engine, chain: Chain, stats: AdoptStats): Promise<void> {
  stats.cases++;
  stats.operations += chain.reduce((n, m) => n + m.steps.length, 0);
  const p = await scratchProject(engine);
  let failure: { error: unknown } | undefined;
  try {
    await writeChain(p, chain);
    const clean = await cleanRun(p, chain);
    await p.exec('DELETE FROM idem_version');
    const run = await up(p);
    if (run.code !== 0) throw new Divergence(`adoption failed (exit ${run.code}):\n${output(run)}`);
    const ops = run.events.filter((e) => e.event === 'op');
    const schemaChanged = ops.filter((e) => e.op !== 'executeIf' && e.outcome !== 'skipped');
    if (schemaChanged.length > 0) {
      throw new Divergence(`adoption did not skip ${schemaChanged.map((e) => `${e.revision} ${e.op} ${e.target} (${e.outcome}: ${e.detail ?? ''})`).join('; ')}`);
    }
    stats.leftAbsent += ops.filter((e) => / dropped later by /.test(String(e.detail ?? ''))).length;
    stats.dataRuns += ops.filter((e) => e.op === 'executeIf' && e.outcome === 'applied').length;
    const differences = stateDifferences(clean, await stateOf(p));
    if (differences.length) throw new Divergence(`adoption changed the database:\n  ${differences.join('\n  ')}`);
  } catch (error) {
    failure = { error: await unlessUnavailable(engine, error) };
  }
  await p.dispose().catch(() => undefined);
  if (failure) throw failure.error;
}

for (const engine of engines) {
  describe(`${engine.name}: adoption of a clean run's final shape (property)`, () => {
    test(`${engine.name}: a random chain run clean, its version table emptied, adopts with nothing applied (${RUNS} cases, seed ${SEED})`, async (t) => {
      const stats: AdoptStats = { cases: 0, operations: 0, leftAbsent: 0, dataRuns: 0 };
      let unavailable: Unavailable | undefined;
      let failingSince: number | undefined;
      let last = { chain: [] as Chain, message: '' };
      const property = fc.asyncProperty(chainChoices({ migrations: 6, steps: 6 }), async (choices) => {
        // Shrinking has had its time: the remaining candidates pass, so it ends with the smallest failure so far.
        if (unavailable || (failingSince !== undefined && Date.now() - failingSince > SHRINK_MS)) return;
        const chain = buildChain(choices, 'transient');
        try {
          await adoptsUnchanged(engine, chain, stats);
        } catch (error) {
          if (error instanceof Unavailable) {
            unavailable = error;
            fc.pre(false);
          }
          failingSince ??= Date.now();
          last = { chain, message: error instanceof Error ? error.message : String(error) };
          throw error;
        }
      });
      const details = await fc.check(property, { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}) });
      t.diagnostic(`${engine.name}: seed ${SEED}, ${stats.cases} case(s), ${stats.operations} operations; `
        + `${stats.leftAbsent} left absent (dropped later), ${stats.dataRuns} data operation(s) ran again by their guards`);
      if (unavailable) throw unavailable;
      if (!details.failed) return;
      const replay = await mkdtemp(join(tmpdir(), `idem-adopt-${engine.name}-`));
      await writeChainTo(replay, last.chain);
      assert.fail([
        `${engine.name}: adoption of the final shape failed (seed ${SEED}, path ${details.counterexamplePath}; replay with IDEM_FUZZ_SEED=${SEED} IDEM_FUZZ_PATH=${details.counterexamplePath} IDEM_TEST_ENGINES=${engine.name})`,
        '', ...chainFiles(last.chain).map((f) => `--- migrations/${f.file}\n${f.text}`),
        '', last.message,
        '', `the files are in ${replay}/migrations`,
      ].join('\n'));
    });
  });
}
