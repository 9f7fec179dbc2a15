/**
 * The three scenarios for one tool on one engine and workload size, each on
 * a database of its own:
 * - fresh: an empty database to head; then noop: the same again, nothing
 *   pending (and, after idem's, the floor reads one row of it);
 * - adopt: the raw script builds the schema first (not timed; built once and
 *   copied where the engine can copy a database), the tool's version table is
 *   empty, and every operation must be skipped.
 * After every run, the bench checks what the tool left: all N tables, the
 * last column, and exactly three seed rows (none duplicated).
 */
import { dirname } from 'node:path';
import { adminQuery, canCopy, createDatabase, settle, type BenchDatabase, type ServerUrls } from './databases.ts';
import type { CountingSession } from './count/counting.ts';
import type { SentStatement } from './count/statements.ts';
import { measure, WrongOutcome, type Measurement } from './measure.ts';
import { NOOP_FLOORS, rawScriptInvocation } from './tools/floors.ts';
import type { BenchTool, Invocation, Scenario } from './tools/tool.ts';
import type { BenchDialect } from './workload.ts';

export interface ScenarioContext {
  dialect: BenchDialect;
  n: number;
  servers: ServerUrls;
  limitMs: number;
  /** Each tool's prepared folder. */
  dirOf(tool: BenchTool): string;
  /** The raw script that builds the schema for adopt. */
  adoptScript: string;
  /** The schema the raw script built, once, to copy for each adopt run where the engine can copy a database. */
  adoptTemplate?: BenchDatabase;
  /** The noop floors, run on the database idem's noop just found at head. */
  floors: BenchTool[];
}

/** One run's outcome: a measurement when timed, statements when counted. */
export interface RunOutcome {
  measurement: Measurement;
  statements?: SentStatement[];
}

export interface FreshRuns {
  fresh: RunOutcome;
  noop?: RunOutcome;
  /** One per ctx.floors, in that order. */
  floors?: RunOutcome[];
}

async function withDatabase<T>(ctx: ScenarioContext, work: (db: BenchDatabase) => Promise<T>, copyOf?: BenchDatabase): Promise<T> {
  const db = await createDatabase(ctx.dialect, ctx.servers, copyOf);
  try {
    return await work(db);
  } finally {
    await db.drop();
  }
}

async function runOnce(tool: BenchTool, scenario: Scenario, ctx: ScenarioContext, db: BenchDatabase, counting?: CountingSession): Promise<RunOutcome> {
  const target = counting ? counting.database(db) : db;
  const base = tool.invocation(ctx.dirOf(tool), target);
  const invocation: Invocation = counting ? { ...base, env: { ...base.env, ...counting.env } } : base;
  await settle(db);
  const measurement = await measure(invocation, ctx.dirOf(tool), ctx.limitMs);
  const problem = tool.checkOutput?.(scenario, measurement.stdout, ctx.n);
  if (problem) throw new WrongOutcome(invocation, `${tool.label} ${scenario}: ${problem}`);
  // What the tool left must be the workload's schema and data, whatever it printed.
  if (!NOOP_FLOORS.includes(tool.name)) {
    const wrong = await checkWorkload(db, ctx.n);
    if (wrong) throw new WrongOutcome(invocation, `after ${tool.label} ${scenario} at N=${ctx.n}, ${wrong}`);
  }
  return counting ? { measurement, statements: await counting.take() } : { measurement };
}

export function freshThenNoop(tool: BenchTool, ctx: ScenarioContext, options: { noop: boolean; floors: boolean }, counting?: CountingSession): Promise<FreshRuns> {
  return withDatabase(ctx, async (db) => {
    const fresh = await runOnce(tool, 'fresh', ctx, db, counting);
    if (!options.noop) return { fresh };
    const noop = await runOnce(tool, 'noop', ctx, db, counting);
    return options.floors ? { fresh, noop, floors: await runFloors(ctx, db) } : { fresh, noop };
  });
}

async function runFloors(ctx: ScenarioContext, db: BenchDatabase): Promise<RunOutcome[]> {
  const outcomes: RunOutcome[] = [];
  for (const floor of ctx.floors) outcomes.push(await runOnce(floor, 'noop', ctx, db));
  return outcomes;
}

export function adopt(tool: BenchTool, ctx: ScenarioContext, counting?: CountingSession): Promise<RunOutcome> {
  return withDatabase(ctx, async (db) => {
    if (!ctx.adoptTemplate) await buildSchema(ctx, db);
    return runOnce(tool, 'adopt', ctx, db, counting);
  }, ctx.adoptTemplate);
}

/**
 * noop for a tool whose fresh run went past the limit: the database it
 * migrates to head by adopting the raw script's schema (not timed), then the
 * timed run with nothing pending, and the floor on the same database.
 */
export function adoptThenNoop(tool: BenchTool, ctx: ScenarioContext, options: { floors: boolean }): Promise<Omit<FreshRuns, 'fresh'>> {
  return withDatabase(ctx, async (db) => {
    if (!ctx.adoptTemplate) await buildSchema(ctx, db);
    await runOnce(tool, 'adopt', ctx, db);
    const noop = await runOnce(tool, 'noop', ctx, db);
    return options.floors ? { noop, floors: await runFloors(ctx, db) } : { noop };
  }, ctx.adoptTemplate);
}

/** The workload's schema and data, as the raw script builds them: what adopt finds. */
export async function buildSchema(ctx: ScenarioContext, db: BenchDatabase): Promise<void> {
  await measure(rawScriptInvocation(ctx.adoptScript, db), dirname(ctx.adoptScript), ctx.limitMs);
}

/** A database with the schema built once, for adopt runs to copy; undefined where the engine cannot copy one. */
export async function adoptTemplate(ctx: ScenarioContext): Promise<BenchDatabase | undefined> {
  if (!canCopy(ctx.dialect)) return undefined;
  const db = await createDatabase(ctx.dialect, ctx.servers);
  try {
    await buildSchema(ctx, db);
    return db;
  } catch (error) {
    await db.drop();
    throw error;
  }
}

/** What is wrong with the database after a run of the workload of n steps, or null. */
export async function checkWorkload(db: BenchDatabase, n: number): Promise<string | null> {
  const tables = db.dialect === 'sqlite'
    ? `SELECT COUNT(*) AS n FROM sqlite_schema WHERE type = 'table' AND name LIKE 't\\_%' ESCAPE '\\'`
    : `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = ${db.dialect === 'postgres' ? 'current_schema()' : 'DATABASE()'} AND table_name LIKE 't\\_%'`;
  const [{ n: count } = { n: 0 }] = await adminQuery(db.dialect, db.target, tables);
  if (Number(count) !== n) return `${count} workload tables, expected ${n}`;
  if (n >= 2) {
    try {
      await adminQuery(db.dialect, db.target, `SELECT c_${n} FROM t_${n - 1} WHERE 1 = 0`);
    } catch {
      return `column t_${n - 1}.c_${n} is missing`;
    }
  }
  if (n >= 10) {
    const [{ n: rows } = { n: 0 }] = await adminQuery(db.dialect, db.target, `SELECT COUNT(*) AS n FROM t_10`);
    if (Number(rows) !== 3) return `t_10 has ${rows} rows, expected the 3 seed rows`;
  }
  return null;
}
