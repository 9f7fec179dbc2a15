/**
 * One case of the crash guarantee, shared by the property test
 * (test/property/kill-rerun.test.ts) and the fixed reproductions: a chain of
 * migrations run clean on one fresh database and, side by side, killed at
 * given points and re-run to the end on another; both must end equal (schema
 * fingerprint, rows, each revision recorded once). Anything else throws a
 * Divergence saying what happened.
 */
import assert from 'node:assert/strict';
import type { Engine } from '../engines.ts';
import { writeChain } from './chain-files.ts';
import { readState, stateDifferences, type DatabaseState } from './database-state.ts';
import { describeKill, up, upKilledAt, type KillPoint } from './kill-run.ts';
import { TestProject, type CliResult } from './project.ts';
import type { Chain } from './random-chain.ts';

/** An operation of a migration not recorded yet: where a kill can still land. */
export interface PendingOperation {
  revision: string;
  operations: number;
}

/** Picks the next kill from what is still pending and how long a clean run takes. */
export type ChooseKill = (pending: PendingOperation[], cleanRunMs: number) => KillPoint;

/** What the cases covered, reported after the run: a property that passes should say what it exercised. */
export interface KillStats {
  cases: number;
  migrations: number;
  operations: number;
  killedAfterOperation: number;
  killedAfterDelay: number;
  /** Delay kills whose run ended first. */
  delayOutlasted: number;
}

export function emptyStats(): KillStats {
  return { cases: 0, migrations: 0, operations: 0, killedAfterOperation: 0, killedAfterDelay: 0, delayOutlasted: 0 };
}

/** A broken property: what happened, with everything needed to see why. */
export class Divergence extends Error {}

/** The engine could not give a scratch database: no case can run, and shrinking would only repeat it. */
export class Unavailable extends Error {}

/** How long a case waits for a server that went away (restarted, crashed) to come back. */
const SERVER_WAIT_MS = Number(process.env.IDEM_FUZZ_SERVER_WAIT_SECONDS ?? 120) * 1000;

export async function scratchProject(engine: Engine): Promise<TestProject> {
  const deadline = Date.now() + SERVER_WAIT_MS;
  for (;;) {
    try {
      return await TestProject.create(engine);
    } catch (error) {
      if (Date.now() >= deadline) throw new Unavailable(`${engine.name}: no scratch database: ${error instanceof Error ? error.message : String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
}

/**
 * A failure while the server was down (restarted under the test) says nothing
 * about idem: if a fresh scratch database cannot be had now, report that
 * instead of the failure, so it is not shrunk as a counterexample.
 */
export async function unlessUnavailable(engine: Engine, error: unknown): Promise<unknown> {
  try {
    await (await engine.createDatabase()).drop();
    return error;
  } catch (probe) {
    const why = probe instanceof Error ? probe.message : String(probe);
    return new Unavailable(`${engine.name}: the server went away during a case (${why}); the case had failed with: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The test's own read of a database after idem is done with it. A failure
 * there is the server's (a temp file removed under it, a restart), not idem's:
 * tried three times, then reported as Unavailable, never as a divergence.
 */
export async function stateOf(p: TestProject): Promise<DatabaseState> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await readState(p);
    } catch (error) {
      if (attempt === 3) throw new Unavailable(`${p.engine.name}: reading the database state failed 3 times: ${error instanceof Error ? error.message : String(error)}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}

export function output(run: CliResult | { stdout: string; stderr: string }): string {
  const text = `${run.stdout}${run.stderr}`.trim().split('\n');
  return text.slice(-15).join('\n');
}

/** The revision and place of each operation still pending, in run order. */
async function pendingOperations(p: TestProject, chain: Chain): Promise<PendingOperation[]> {
  const recorded = new Set(await p.recorded());
  return chain.filter((m) => !recorded.has(m.revision)).flatMap((m) => m.steps.map((_, i) => ({ revision: m.revision, operations: i + 1 })));
}

/**
 * How long a clean run of this engine takes, on average so far in this
 * process: the scale of the delay kills. (The clean run and the crashed one
 * run side by side, so a case cannot wait for its own clean run's time.)
 */
const cleanRunMs = new Map<string, { total: number; runs: number }>();

function delayScale(engine: Engine): number {
  const seen = cleanRunMs.get(engine.name);
  return seen ? seen.total / seen.runs : 1000;
}

/** The clean run: must apply every schema operation (else the generator's model is wrong). Returns its state. */
export async function cleanRun(p: TestProject, chain: Chain): Promise<DatabaseState> {
  const started = performance.now();
  const run = await up(p);
  const seen = cleanRunMs.get(p.engine.name) ?? { total: 0, runs: 0 };
  cleanRunMs.set(p.engine.name, { total: seen.total + performance.now() - started, runs: seen.runs + 1 });
  if (run.code !== 0) throw new Divergence(`the clean run failed (exit ${run.code}):\n${output(run)}`);
  const ops = run.events.filter((e) => e.event === 'op');
  assert.equal(ops.length, chain.reduce((n, m) => n + m.steps.length, 0), 'one op event per operation in the clean run');
  const notApplied = ops.filter((e) => e.op !== 'executeIf' && e.outcome !== 'applied');
  if (notApplied.length) {
    throw new Divergence(`the clean run did not apply ${notApplied.map((e) => `${e.revision} ${e.op} ${e.target} (${e.outcome}: ${e.detail})`).join('; ')}`);
  }
  const state = await stateOf(p);
  assert.deepEqual(state.revisions, chain.map((m) => m.revision).sort(), 'the clean run records each revision once');
  return state;
}

/** The crashed run: killed at each kill point in turn, then re-run to the end. Returns its state. */
async function killedAndRerun(p: TestProject, chain: Chain, kills: ChooseKill[], log: string[], stats: KillStats): Promise<DatabaseState> {
  for (const choose of kills) {
    const pending = await pendingOperations(p, chain);
    if (pending.length === 0) break;
    const kill = choose(pending, delayScale(p.engine));
    const run = await upKilledAt(p, kill);
    if ('after' in kill) stats.killedAfterOperation++;
    else if (run.killed) stats.killedAfterDelay++;
    else stats.delayOutlasted++;
    log.push(`killed ${describeKill(kill)}: ${run.killed
      ? `killed after ${run.reported.length} reported operation(s)${run.reported.length ? ` (last: ${run.reported.at(-1)})` : ''}`
      : `ran to the end first (exit ${run.code})`}`);
    if (!run.killed && run.code !== 0) throw new Divergence(`a re-run before the kill failed (exit ${run.code}):\n${output(run)}`);
    if ('after' in kill && !run.killed) throw new Divergence(`the run ended without reaching ${describeKill(kill)}:\n${output(run)}`);
  }
  const rerun = await up(p);
  log.push(`final re-run: exit ${rerun.code}`);
  if (rerun.code !== 0) throw new Divergence(`the final re-run failed (exit ${rerun.code}):\n${output(rerun)}`);
  return stateOf(p);
}

/** Throws Divergence (or an assertion) unless the killed and re-run database ends equal to the clean one; `log` says where the kills landed. */
export async function killedRerunConverges(engine: Engine, chain: Chain, kills: ChooseKill[], log: string[], stats: KillStats = emptyStats()): Promise<void> {
  stats.cases++;
  stats.migrations += chain.length;
  stats.operations += chain.reduce((n, m) => n + m.steps.length, 0);
  const clean = await scratchProject(engine);
  const crashed = await scratchProject(engine).catch(async (error: unknown) => {
    await clean.dispose();
    throw error;
  });
  let failure: { error: unknown } | undefined;
  try {
    await writeChain(clean, chain);
    await writeChain(crashed, chain);
    // Side by side (different databases); both settle before either database is dropped.
    const [expected, actual] = await Promise.allSettled([cleanRun(clean, chain), killedAndRerun(crashed, chain, kills, log, stats)]);
    if (expected.status === 'rejected') throw expected.reason;
    if (actual.status === 'rejected') throw actual.reason;
    const differences = stateDifferences(expected.value, actual.value);
    if (differences.length) throw new Divergence(`the killed and re-run database differs from the clean run:\n  ${differences.join('\n  ')}`);
  } catch (error) {
    failure = { error: await unlessUnavailable(engine, error) };
  }
  // Dropped whatever happened; a drop that fails (the server went away) must not hide the case's own failure.
  const dropped = await Promise.allSettled([clean.dispose(), crashed.dispose()]);
  if (failure) throw failure.error;
  const notDropped = dropped.find((d) => d.status === 'rejected');
  if (notDropped) throw new Unavailable(`${engine.name}: the scratch databases could not be dropped: ${String(notDropped.reason)}`);
}

