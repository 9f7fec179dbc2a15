/**
 * The fleet block: many tenants migrated by one `idem up --targets` process
 * (bench/fleet-tenants.ts says what a tenant is on each engine). A first
 * pass at concurrency 8 brings every tenant from empty to the workload's head
 * at N=10, checked tenant by tenant; then whole-process no-op passes, nothing
 * pending, are timed at concurrency 1 and 8, in rotating order. Every pass
 * runs with --json so that its events can be checked: one `done` per tenant,
 * and the closing `fleet` event with every tenant ok.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServerUrls } from './databases.ts';
import { createTenants, TENANT_COUNTS, TENANT_KINDS, type FleetTenants } from './fleet-tenants.ts';
import { measure, RunTimedOut, WrongOutcome, type Measurement } from './measure.ts';
import { median } from './report/figures.ts';
import type { FleetBlock, FleetPass } from './results.ts';
import { checkWorkload } from './scenarios.ts';
import { BIN_IN_DIST, idemTool } from './tools/idem.ts';
import { operationCount, type Invocation } from './tools/tool.ts';
import type { BenchDialect } from './workload.ts';

/** The standard workload at its smallest size: a tenant's schema, not a stress test of one database. */
export const FLEET_N = 10;
export const FLEET_CONCURRENCIES: readonly number[] = [1, 8];
/** The concurrency the goals are stated at, and the first pass runs at. */
export const FLEET_GOAL_CONCURRENCY = 8;
const FLEET_RUNS = 3;

export interface FleetContext {
  dialect: BenchDialect;
  servers: ServerUrls;
  /** The copy of idem's build the bench runs. */
  dist: string;
  /** A folder for the generated migrations (removed with the bench's work folder). */
  dir: string;
  limitMs: number;
  log(line: string): void;
}

/** What a pass must report for every tenant: how many migrations ran and how many operations were applied. */
interface Expected {
  migrations: number;
  applied: number;
}

/** The fleet block on one engine; a failure is recorded in the block, never thrown, and the tenants are dropped either way. */
export async function measureFleet(ctx: FleetContext): Promise<FleetBlock> {
  const { dialect, log } = ctx;
  const block: FleetBlock = { dialect, tenants: TENANT_COUNTS[dialect], n: FLEET_N, runs: FLEET_RUNS, noop: [] };
  let tenants: FleetTenants | undefined;
  try {
    await mkdir(ctx.dir, { recursive: true });
    await idemTool(ctx.dist).prepare(ctx.dir, dialect, FLEET_N);
    tenants = await createTenants(dialect, ctx.servers);
    const count = tenants.urls.length;
    const targets = join(tenants.dir, 'targets.txt');
    await writeFile(targets, `# the bench's fleet: ${tenants.urls.length} ${TENANT_KINDS[dialect]}\n${tenants.urls.join('\n')}\n`);
    log(`${dialect} fleet: ${count} ${TENANT_KINDS[dialect]} created`);

    const first = await pass(ctx, targets, FLEET_GOAL_CONCURRENCY, { migrations: FLEET_N, applied: operationCount(FLEET_N) }, count);
    block.first = { concurrency: FLEET_GOAL_CONCURRENCY, ms: first.ms, peakMb: first.peakMb };
    // What every tenant holds must be the workload's schema and data, whatever the events said.
    for (const [i, db] of tenants.databases.entries()) {
      const wrong = await checkWorkload(db, FLEET_N);
      if (wrong) throw new Error(`after the first fleet pass, tenant ${i + 1} of ${count}: ${wrong}`);
    }
    log(`${dialect} fleet: first pass ${Math.round(first.ms)} ms at concurrency ${FLEET_GOAL_CONCURRENCY}, every tenant at head`);

    block.noop = FLEET_CONCURRENCIES.map((concurrency) => ({ concurrency, samples: [] }));
    for (let run = 0; run < FLEET_RUNS; run++) {
      // Each run starts with another concurrency, so neither always follows the other.
      const order = [...block.noop.slice(run % block.noop.length), ...block.noop.slice(0, run % block.noop.length)];
      const line: string[] = [];
      for (const noop of order) {
        if (noop.failure) continue;
        try {
          const m = await withRetry(ctx, () => pass(ctx, targets, noop.concurrency, { migrations: 0, applied: 0 }, count));
          noop.samples.push({ ms: m.ms, peakMb: m.peakMb });
          line.push(`c=${noop.concurrency} ${Math.round(m.ms)}`);
        } catch (error) {
          noop.failure = (error as Error).message;
          log(`  ${dialect} fleet no-op at concurrency ${noop.concurrency}: ${noop.failure}`);
        }
      }
      if (line.length > 0) log(`${dialect} fleet no-op run ${run + 1}/${FLEET_RUNS} (ms, whole pass): ${line.join(', ')}`);
    }
    for (const noop of block.noop) summarize(noop, count);
  } catch (error) {
    block.failure = (error as Error).message;
    log(`  ${dialect} fleet: ${block.failure}`);
  } finally {
    await tenants?.drop().catch((error: Error) => log(`could not drop the ${dialect} fleet's tenants: ${error.message}`));
  }
  return block;
}

/** As for the other measurements: a failed pass is tried once more (a shared server can hiccup); a second failure is the pass's. */
async function withRetry<T>(ctx: FleetContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RunTimedOut) throw error;
    ctx.log(`  ${ctx.dialect} fleet pass failed, trying once more: ${(error as Error).message.split('\n').slice(-2).join(' ')}`);
    return run();
  }
}

function summarize(noop: FleetPass, tenants: number): void {
  if (noop.samples.length === 0) return;
  noop.medianMs = median(noop.samples.map((s) => s.ms));
  noop.perTenantMs = noop.medianMs / tenants;
  const peaks = noop.samples.map((s) => s.peakMb).filter((v): v is number => v !== null);
  noop.peakMb = peaks.length > 0 ? median(peaks) : null;
}

/** One whole `idem up --targets` process, timed; it must exit 0 and report every tenant as expected. */
async function pass(ctx: FleetContext, targets: string, concurrency: number, expected: Expected, tenants: number): Promise<Measurement> {
  const invocation: Invocation = {
    command: process.execPath,
    args: [join(ctx.dist, BIN_IN_DIST), '--json', '--dir', join(ctx.dir, 'migrations'), 'up', '--targets', targets, '--concurrency', String(concurrency)],
  };
  const measurement = await measure(invocation, ctx.dir, ctx.limitMs);
  const problem = checkFleetEvents(measurement.stdout, expected, tenants);
  if (problem) throw new WrongOutcome(invocation, `fleet pass at concurrency ${concurrency}: ${problem}`);
  return measurement;
}

interface FleetEvent {
  event: string;
  db?: string;
  migrations?: number;
  applied?: number;
  skipped?: number;
  drift?: number;
  targets?: number;
  ok?: number;
  failed?: number;
  notRun?: number;
}

/** What is wrong with a fleet pass's --json output, or null: the closing fleet event, and one `done` per tenant as expected. */
export function checkFleetEvents(stdout: string, expected: Expected, tenants: number): string | null {
  const events: FleetEvent[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    try {
      events.push(JSON.parse(line) as FleetEvent);
    } catch {
      return `a line of its output is not JSON: ${line.slice(0, 200)}`;
    }
  }
  const fleet = events.at(-1);
  if (fleet?.event !== 'fleet') return `its last event is not the fleet summary: ${JSON.stringify(fleet ?? null).slice(0, 200)}`;
  if (fleet.targets !== tenants || fleet.ok !== tenants) {
    return `expected ${tenants} tenants, all ok; the fleet event says ${fleet.targets} targets, ${fleet.ok} ok, ${fleet.failed} failed, ${fleet.notRun} not run`;
  }
  const done = events.filter((e) => e.event === 'done');
  if (done.length !== tenants) return `expected a "done" event per tenant (${tenants}), got ${done.length}`;
  const wrong = done.find((e) => e.migrations !== expected.migrations || e.applied !== expected.applied || e.skipped !== 0 || e.drift !== 0);
  if (wrong) {
    return `expected ${expected.migrations} migration(s), ${expected.applied} applied, 0 skipped, 0 drift on every tenant; ${wrong.db}: `
      + `${wrong.migrations} migration(s), ${wrong.applied} applied, ${wrong.skipped} skipped, ${wrong.drift} drift`;
  }
  return null;
}
