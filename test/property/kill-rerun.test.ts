/**
 * The crash guarantee as a property, per engine: a random chain of valid
 * migrations (random-chain.ts), applied by the real CLI and SIGKILLed at
 * random points (once or several times), then re-run to completion, ends
 * exactly where a clean run of the same chain on a fresh database ends: the
 * same schema fingerprint, the same rows in every table, each revision
 * recorded once. On SQLite and PostgreSQL the killed migration rolled back;
 * on MariaDB its DDL stayed, and the re-run resumes after what it completed
 * (src/runner/progress-journal.ts). What this found before is kept as fixed
 * reproductions: test/engine/half-applied-rerun.test.ts and
 * rename-into-freed-name.test.ts.
 *
 * Most kills land right after a chosen operation (deterministic: the case
 * replays); some land after a random delay (anywhere, within a statement or a
 * commit). A failure prints the seed, the shrunk chain as migration files, the
 * kills and what differed, and writes the files to a folder to replay by hand.
 *
 *   IDEM_FUZZ_RUNS    cases per engine (default 6; `npm run fuzz` runs many more)
 *   IDEM_FUZZ_SEED    the seed (default fixed, so CI replays the same cases)
 *   IDEM_FUZZ_PATH    with the seed, replays one counterexample (printed on failure)
 *   IDEM_FUZZ_SHRINK_SECONDS  time spent shrinking a failure (default 300)
 *   IDEM_FUZZ_VERBOSE=1  prints every case (chain and kills) to stderr
 *   IDEM_FUZZ_SERVER_WAIT_SECONDS  how long a case waits for a server that went away (default 120)
 *   IDEM_FUZZ_CLI        the CLI to run (default dist/cli/bin.js; scripts/fuzz.sh builds its own)
 */
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { engines } from '../engines.ts';
import { chainFiles, chainListing, PAUSE_ENV, writeChainTo } from '../support/chain-files.ts';
import { emptyStats, killedRerunConverges, Unavailable, type ChooseKill } from '../support/kill-rerun-check.ts';
import { buildChain, chainChoices, type Chain, type ChainChoices } from '../support/random-chain.ts';

const RUNS = Number(process.env.IDEM_FUZZ_RUNS ?? 6);
const SEED = Number(process.env.IDEM_FUZZ_SEED ?? 20_240_601);
const PATH = process.env.IDEM_FUZZ_PATH;
const SHRINK_MS = Number(process.env.IDEM_FUZZ_SHRINK_SECONDS ?? 300) * 1000;
const VERBOSE = process.env.IDEM_FUZZ_VERBOSE === '1';

/** Where to kill: `at` picks one of the operations still pending; one kill in four waits `fraction` of a clean run instead. */
interface KillChoice {
  at: number;
  delay: boolean;
  fraction: number;
}

const killChoices: fc.Arbitrary<KillChoice[]> = fc.array(
  fc.record({ at: fc.nat({ max: 999 }), delay: fc.nat({ max: 3 }).map((n) => n === 3), fraction: fc.nat({ max: 999 }) }),
  { minLength: 1, maxLength: 3 },
);

function chooseKill(k: KillChoice): ChooseKill {
  return (pending, cleanRunMs) => (k.delay ? { delayMs: Math.round((k.fraction / 1000) * cleanRunMs) } : { after: pending[k.at % pending.length]! });
}

for (const engine of engines) {
  describe(`${engine.name}: kill and re-run (property)`, () => {
    test(`${engine.name}: a random chain, killed at random points and re-run, ends equal to a clean run (${RUNS} cases, seed ${SEED})`, async (t) => {
      const stats = emptyStats();
      let failingSince: number | undefined;
      // A server that goes away under a case (restarted by someone else) skips that case; three in a row end the run.
      let unavailable: Unavailable | undefined;
      let unavailableInARow = 0;
      let skipped = 0;
      let passed = 0;
      let lastFailure = { chain: [] as Chain, log: [] as string[], message: '' };
      const property = fc.asyncProperty(chainChoices(), killChoices, async (choices: ChainChoices, kills: KillChoice[]) => {
        // Shrinking has had its time: call the remaining candidates passing, so it ends with the smallest failure so far.
        if (failingSince !== undefined && Date.now() - failingSince > SHRINK_MS) return;
        if (unavailable) return;
        const chain = buildChain(choices);
        const log: string[] = [];
        try {
          await killedRerunConverges(engine, chain, kills.map(chooseKill), log, stats);
          unavailableInARow = 0;
          if (failingSince === undefined) passed++;
          if (VERBOSE) console.error(`${engine.name} case ${stats.cases}:\n${chainListing(chain)}\n${log.map((l) => `  ${l}`).join('\n')}\n`);
        } catch (error) {
          if (error instanceof Unavailable) {
            if (++unavailableInARow >= 3) unavailable = error;
            skipped++;
            fc.pre(false);
          }
          unavailableInARow = 0;
          failingSince ??= Date.now();
          lastFailure = { chain, log, message: error instanceof Error ? error.message : String(error) };
          throw error;
        }
      });
      const details = await fc.check(property, { numRuns: RUNS, seed: SEED, ...(PATH ? { path: PATH } : {}) });
      t.diagnostic(`${engine.name}: seed ${SEED}, ${passed} case(s) passed${details.failed ? `, then one failed (${details.numShrinks} shrink(s))` : ''}; `
        + `${stats.migrations} migrations, ${stats.operations} operations; kills: ${stats.killedAfterOperation} after an operation, `
        + `${stats.killedAfterDelay} after a delay, ${stats.delayOutlasted} delays outlasted by the run`
        + `${skipped ? `; ${skipped} case(s) skipped: the server was unavailable` : ''}`);
      if (unavailable) throw unavailable;
      if (!details.failed) return;
      const replay = await mkdtemp(join(tmpdir(), `idem-fuzz-${engine.name}-`));
      await writeChainTo(replay, lastFailure.chain);
      assert.fail([
        `${engine.name}: kill and re-run did not converge (seed ${SEED}, path ${details.counterexamplePath}; replay with IDEM_FUZZ_SEED=${SEED} IDEM_FUZZ_PATH=${details.counterexamplePath} IDEM_TEST_ENGINES=${engine.name})`,
        '', ...chainFiles(lastFailure.chain).map((f) => `--- migrations/${f.file}\n${f.text}`),
        '', 'kills:', ...lastFailure.log.map((l) => `  ${l}`),
        '', lastFailure.message,
        '', `the files are in ${replay}/migrations, with the pause hook beside them (${PAUSE_ENV}=<revision>:<n> makes a run wait after that operation)`,
      ].join('\n'));
    });
  });
}
