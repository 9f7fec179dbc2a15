/**
 * `npm run bench`: idem against its peers and against the floors, whole
 * processes, in one run, so that every ratio compares figures taken on the
 * same machine at the same time. Writes bench/results.json, results.md and
 * one chart per engine. See bench/README.md.
 */
import { existsSync } from 'node:fs';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCounting } from './count/counting.ts';
import { countStatements, timeByKind, type SentStatement } from './count/statements.ts';
import { dropDeferred, serverProblem, serverUrlsFromEnv, type ServerUrls } from './databases.ts';
import { measureFleet } from './fleet.ts';
import { describeMachine } from './machine.ts';
import { peakMemoryAvailable, RunTimedOut, stopRunningProcesses } from './measure.ts';
import { HelpRequested, parseOptions, UsageError, type BenchOptions } from './options.ts';
import { writeReport } from './report/write-report.ts';
import type { BenchResults, Cell, FleetBlock, Machine, Sample, Skip } from './results.ts';
import { adopt, adoptTemplate, adoptThenNoop, freshThenNoop, type RunOutcome, type ScenarioContext } from './scenarios.ts';
import { alembic, alembicPython } from './tools/alembic.ts';
import { floor, floorFiles, NOOP_FLOORS, raw, writeRawScript } from './tools/floors.ts';
import { BIN_IN_DIST, BUILT_DIST, idemTool } from './tools/idem.ts';
import { knex } from './tools/knex.ts';
import { kysely } from './tools/kysely.ts';
import type { BenchTool, Scenario, ToolName } from './tools/tool.ts';
import type { BenchDialect } from './workload.ts';

const BENCH = dirname(fileURLToPath(import.meta.url));
/** Generated migrations live inside the repository so that they resolve `kysely` and `knex` from its node_modules. */
const WORK = join(BENCH, '.work');
/**
 * idem runs from a copy of dist taken when the bench starts: others may
 * rebuild dist meanwhile, and every figure of a run must be of one build.
 */
const IDEM_DIST = join(WORK, 'idem-dist');
const TOOLS: Record<ToolName, BenchTool> = { idem: idemTool(IDEM_DIST), raw, floor, 'floor-files': floorFiles, knex, kysely, alembic };

const clock = performance.now();
function log(line: string): void {
  const s = Math.round((performance.now() - clock) / 1000);
  process.stderr.write(`[${String(Math.floor(s / 60)).padStart(2, ' ')}m${String(s % 60).padStart(2, '0')}s] ${line}\n`);
}

class Cells {
  readonly all: Cell[] = [];

  get(dialect: BenchDialect, n: number, tool: ToolName, scenario: Scenario): Cell {
    let cell = this.all.find((c) => c.dialect === dialect && c.n === n && c.tool === tool && c.scenario === scenario);
    if (!cell) {
      cell = { dialect, n, tool, scenario, samples: [] };
      this.all.push(cell);
    }
    return cell;
  }
}

/** A cell that failed or went past the limit is not run again: its figure is known to be missing or a lower bound. */
function settled(cell: Cell): boolean {
  return cell.failure !== undefined || cell.timedOutAfterMs !== undefined;
}

/** Enough runs of a cell: its runs together took the budget (it keeps at least one). */
function spent(cell: Cell, budgetMs: number): boolean {
  return cell.samples.length > 0 && cell.samples.reduce((sum, s) => sum + s.ms, 0) >= budgetMs;
}

/**
 * A run that fails is tried once more before its cell is marked failed: on a
 * shared machine a server can hiccup (a temp file removed under it, a
 * restart); a failure that repeats is the tool's.
 */
async function withRetry<T>(cell: Cell, ctx: ScenarioContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RunTimedOut) throw error;
    await checkServer(ctx);
    const message = (error as Error).message;
    log(`  ${cell.tool} ${cell.scenario} failed, trying once more: ${message.split('\n').slice(-2).join(' ')}`);
    cell.retries = [...(cell.retries ?? []), message];
    return run();
  }
}

/** The server stopped answering mid-run (restarted or stopped by someone else): the engine's remaining figures are missing. */
class ServerGone extends Error {}

async function checkServer(ctx: ScenarioContext): Promise<void> {
  if (ctx.dialect === 'sqlite') return;
  const problem = await serverProblem(ctx.dialect, ctx.servers);
  if (problem) throw new ServerGone(problem);
}

function recordFailure(cell: Cell, error: unknown): void {
  if (error instanceof ServerGone) throw error;
  if (error instanceof RunTimedOut) cell.timedOutAfterMs = error.limitMs;
  else cell.failure = error instanceof Error ? error.message : String(error);
  log(`  ${cell.tool} ${cell.scenario}: ${cell.failure ?? `past the ${cell.timedOutAfterMs! / 1000} s limit`}`);
}

function sample(outcome: RunOutcome): Sample {
  return { ms: outcome.measurement.ms, peakMb: outcome.measurement.peakMb };
}

async function timedRuns(ctx: ScenarioContext, tools: BenchTool[], runs: number, budgetMs: number, cells: Cells): Promise<void> {
  const { dialect, n } = ctx;
  for (let run = 0; run < runs; run++) {
    // Each run starts with another tool, so no tool always follows the same one.
    const order = [...tools.slice(run % tools.length), ...tools.slice(0, run % tools.length)];
    const line: string[] = [];
    for (const tool of order) {
      const fresh = cells.get(dialect, n, tool.name, 'fresh');
      const noop = tool.scenarios.includes('noop') ? cells.get(dialect, n, tool.name, 'noop') : undefined;
      const floorCells = tool.name === 'idem' ? ctx.floors.map((floor) => cells.get(dialect, n, floor.name, 'noop')) : [];
      if (tool.scenarios.includes('fresh') && !settled(fresh) && !spent(fresh, budgetMs)) {
        try {
          const result = await withRetry(fresh, ctx, () => freshThenNoop(tool, ctx, { noop: noop !== undefined && !settled(noop), floors: floorCells.length > 0 }));
          fresh.samples.push(sample(result.fresh));
          if (noop && result.noop) noop.samples.push(sample(result.noop));
          result.floors?.forEach((floor, i) => floorCells[i]!.samples.push(sample(floor)));
          line.push(`${tool.name} ${Math.round(result.fresh.measurement.ms)}${result.noop ? `/${Math.round(result.noop.measurement.ms)}` : ''}`);
        } catch (error) {
          recordFailure(fresh, error);
        }
      }
      // A fresh run past the limit leaves no database at head: noop gets one by adoption instead.
      if (noop && fresh.timedOutAfterMs !== undefined && !settled(noop) && !spent(noop, budgetMs)) {
        try {
          const result = await withRetry(noop, ctx, () => adoptThenNoop(tool, ctx, { floors: floorCells.length > 0 }));
          noop.viaAdopt = true;
          if (result.noop) noop.samples.push(sample(result.noop));
          result.floors?.forEach((floor, i) => floorCells[i]!.samples.push(sample(floor)));
          line.push(`${tool.name} noop (after adopt) ${Math.round(result.noop!.measurement.ms)}`);
        } catch (error) {
          recordFailure(noop, error);
        }
      }
      if (tool.scenarios.includes('adopt')) {
        const cell = cells.get(dialect, n, tool.name, 'adopt');
        if (settled(cell) || spent(cell, budgetMs)) continue;
        try {
          const result = await withRetry(cell, ctx, () => adopt(tool, ctx));
          cell.samples.push(sample(result));
          line.push(`${tool.name} adopt ${Math.round(result.measurement.ms)}`);
        } catch (error) {
          recordFailure(cell, error);
        }
      }
    }
    if (line.length === 0) break;
    log(`${dialect} N=${n} run ${run + 1}/${runs} (ms, fresh/noop): ${line.join(', ')}`);
  }
}

function recordStatements(cell: Cell, statements: SentStatement[] | undefined): void {
  if (!statements) return;
  cell.statements = countStatements(statements);
  cell.statementMs = timeByKind(statements);
}

/** One more run of each tool through the counter: never timed, only counted. */
async function countingRuns(ctx: ScenarioContext, tools: BenchTool[], options: BenchOptions, servers: ServerUrls, cells: Cells)
  : Promise<SentStatement[] | undefined> {
  const { dialect, n } = ctx;
  const counted = new Set(options.counted.filter((s) => s === 'adopt' || n <= options.countFreshUpTo));
  const counting = await startCounting(dialect, servers);
  let idemAdopt: SentStatement[] | undefined;
  try {
    for (const tool of tools) {
      const fresh = cells.get(dialect, n, tool.name, 'fresh');
      const noop = cells.get(dialect, n, tool.name, 'noop');
      const wantsNoop = counted.has('noop') && tool.scenarios.includes('noop') && !settled(noop);
      if (tool.scenarios.includes('fresh') && !settled(fresh) && (counted.has('fresh') || wantsNoop)) {
        try {
          const result = await freshThenNoop(tool, ctx, { noop: wantsNoop, floors: false }, counting);
          if (counted.has('fresh')) recordStatements(fresh, result.fresh.statements);
          if (wantsNoop) recordStatements(noop, result.noop?.statements);
        } catch (error) {
          await checkServer(ctx);
          log(`  ${tool.name} fresh/noop not counted: ${(error as Error).message}`);
        }
      }
      const adoptCell = cells.get(dialect, n, tool.name, 'adopt');
      if (counted.has('adopt') && tool.scenarios.includes('adopt') && !settled(adoptCell)) {
        try {
          const result = await adopt(tool, ctx, counting);
          recordStatements(adoptCell, result.statements);
          if (tool.name === 'idem') idemAdopt = result.statements;
        } catch (error) {
          await checkServer(ctx);
          log(`  ${tool.name} adopt not counted: ${(error as Error).message}`);
        }
      }
    }
  } finally {
    await counting.close();
  }
  log(`${dialect} N=${n} statements counted`);
  return idemAdopt;
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env, BENCH);
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${error.message}\n`);
      return 0;
    }
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return 2;
  }
  if (!existsSync(join(BUILT_DIST, BIN_IN_DIST))) {
    process.stderr.write(`error: ${join(BUILT_DIST, BIN_IN_DIST)} is missing\n  hint: run \`npm run build\` first (\`npm run bench\` does)\n`);
    return 2;
  }
  const started = new Date();
  const servers = serverUrlsFromEnv();
  const skipped: Skip[] = [];
  const cells = new Cells();
  const dialects: BenchDialect[] = [];
  for (const dialect of options.dialects) {
    const problem = dialect === 'sqlite' ? null : await serverProblem(dialect, servers);
    if (problem) {
      skipped.push({ dialect, reason: problem });
      log(`skipping ${dialect}: ${problem}`);
    } else {
      dialects.push(dialect);
    }
  }
  if (!peakMemoryAvailable()) log('peak memory not measured: /usr/bin/time (GNU time) is not installed');
  await rm(WORK, { recursive: true, force: true });
  await cp(BUILT_DIST, IDEM_DIST, { recursive: true });
  const load: Machine['load'] = [];

  const idemCatalogQueries: BenchResults['idemCatalogQueries'] = {};
  const fleet: FleetBlock[] = [];
  for (const dialect of dialects) {
    const tools: BenchTool[] = [];
    for (const name of options.tools) {
      const reason = await TOOLS[name].unavailable(dialect);
      if (reason) {
        skipped.push({ dialect, tool: name, reason });
        log(`skipping ${TOOLS[name].label} on ${dialect}: ${reason}`);
      } else {
        tools.push(TOOLS[name]);
      }
    }
    const measured = tools.filter((t) => !NOOP_FLOORS.includes(t.name));
    let serverStopped = false;
    for (const n of options.ns) {
      const base = join(WORK, `${dialect}-${n}`);
      await mkdir(base, { recursive: true });
      for (const tool of measured) {
        await mkdir(join(base, tool.name));
        await tool.prepare(join(base, tool.name), dialect, n);
      }
      const ctx: ScenarioContext = {
        dialect, n, servers, limitMs: options.limitSeconds * 1000,
        dirOf: (tool) => join(base, NOOP_FLOORS.includes(tool.name) ? 'idem' : tool.name),
        adoptScript: await writeRawScript(base, dialect, n),
        // They run after idem's noop, on its database and folder: without idem, there are none.
        floors: tools.some((t) => t.name === 'idem') ? tools.filter((t) => NOOP_FLOORS.includes(t.name)) : [],
      };
      load.push({ dialect, n, load: Math.round(loadavg()[0]! * 100) / 100 });
      let template: Awaited<ReturnType<typeof adoptTemplate>>;
      try {
        await checkServer(ctx);
        template = await adoptTemplate(ctx);
        if (template) ctx.adoptTemplate = template;
        await timedRuns(ctx, measured, options.runs[n]!, options.cellBudgetSeconds * 1000, cells);
        if (options.counted.length > 0) {
          const idemAdopt = await countingRuns(ctx, measured, options, servers, cells);
          if (idemAdopt && n === Math.max(...options.ns)) idemCatalogQueries[dialect] = catalogQueryTexts(idemAdopt);
        }
      } catch (error) {
        const gone = error instanceof ServerGone ? error.message : dialect === 'sqlite' ? null : await serverProblem(dialect, servers);
        if (!gone) throw error;
        const reason = `the server stopped answering during N=${n} (${gone}); the figures from there on are missing`;
        skipped.push({ dialect, reason });
        log(`stopping ${dialect}: ${reason}`);
        serverStopped = true;
        break;
      } finally {
        await template?.drop().catch((error: Error) => log(`could not drop the adopt template: ${error.message}`));
      }
    }
    if (options.fleet && !serverStopped && tools.some((t) => t.name === 'idem')) {
      fleet.push(await measureFleet({
        dialect, servers, dist: IDEM_DIST, dir: join(WORK, `${dialect}-fleet`), limitMs: options.limitSeconds * 1000, log,
      }));
    }
  }

  for (const error of await dropDeferred()) log(`could not drop a scratch database: ${error}`);
  const finished = new Date();
  const results: BenchResults = {
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationSeconds: Math.round((finished.getTime() - started.getTime()) / 1000),
    machine: await describeMachine(dialects, servers, alembicPython(), load),
    config: {
      ns: options.ns, dialects: options.dialects, tools: options.tools, runs: options.runs, limitSeconds: options.limitSeconds,
      cellBudgetSeconds: options.cellBudgetSeconds, counted: options.counted, countFreshUpTo: options.countFreshUpTo, note: options.note,
      fleet: options.fleet,
    },
    skipped,
    cells: cells.all,
    idemCatalogQueries,
    fleet,
  };
  await mkdir(options.out, { recursive: true });
  await writeFile(join(options.out, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  const written = await writeReport(results, options.out);
  log(`done in ${results.durationSeconds} s: ${['results.json', ...written].map((f) => join(options.out, f)).join(', ')}`);
  await rm(WORK, { recursive: true, force: true });
  return 0;
}

/** idem's catalog queries of one run, grouped by text (parameters are bound, so equal texts are the same query). */
function catalogQueryTexts(statements: SentStatement[]): Array<{ sql: string; count: number }> {
  const counts = new Map<string, number>();
  for (const s of statements) {
    if (countStatements([s]).catalog === 0) continue;
    // MySQL's driver binds on the client, so names arrive as literals: fold them to group equal queries.
    const text = s.sql.replace(/\s+/g, ' ').replace(/'(?:[^'\\]|\\.|'')*'/g, '?').trim();
    counts.set(text, (counts.get(text) ?? 0) + 1);
  }
  return [...counts].map(([sql, count]) => ({ sql, count })).sort((a, b) => b.count - a.count);
}

process.on('SIGINT', () => {
  stopRunningProcesses();
  process.stderr.write('\ninterrupted: scratch databases named idem_bench_* are left on the servers (a run drops them only at its end)\n');
  process.exit(130);
});

try {
  process.exitCode = await main();
} finally {
  // A run that failed still drops what it made.
  for (const error of await dropDeferred()) log(`could not drop a scratch database: ${error}`);
}
