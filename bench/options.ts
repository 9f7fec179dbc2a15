/**
 * `npm run bench [-- options]`: what to measure. Every option has an
 * environment equivalent, for CI. The default is the full run.
 */
import type { BenchConfig } from './results.ts';
import { SCENARIOS, type ToolName } from './tools/tool.ts';
import type { BenchDialect } from './workload.ts';

export const ALL_TOOLS: readonly ToolName[] = ['idem', 'raw', 'floor', 'floor-files', 'knex', 'kysely', 'alembic'];
export const ALL_DIALECTS: readonly BenchDialect[] = ['sqlite', 'postgres', 'mariadb'];

export const USAGE = `usage: npm run bench [-- options]

  --quick               N = 10,200; 3 runs each; statements counted for adopt only
  --n <list>            workload sizes (default 10,200,1000)                  env IDEM_BENCH_N
  --runs <k>            timed runs per measurement (default 5, 3 at N >= 1000)  env IDEM_BENCH_RUNS
  --cell-budget <s>     stop repeating a measurement once its runs took this long
                        (default 45; it keeps at least one run)               env IDEM_BENCH_CELL_BUDGET
  --dialects <list>     sqlite,postgres,mariadb (default: all)                env IDEM_BENCH_DIALECTS
  --tools <list>        idem,raw,floor,floor-files,knex,kysely,alembic (default: all)
                                                                              env IDEM_BENCH_TOOLS
  --limit <s>           stop a run past this; reported as "> limit" (default 180)  env IDEM_BENCH_LIMIT
  --count <list>        scenarios whose statements are counted (default fresh,noop,adopt; none)
  --count-up-to <N>     count fresh and noop only up to this N (default 200; adopt: every N)
  --out <dir>           where results.md, results.json and the charts go (default bench/)
  --note <text>         a line for the head of results.md (how the servers were set up, say)  env IDEM_BENCH_NOTE
  --no-fleet            skip the fleet block (idem up --targets over 200 SQLite files, 50 PostgreSQL
                        schemas, 50 MariaDB databases; it runs only when idem is among --tools)
                                                                              env IDEM_BENCH_FLEET=0

servers: IDEM_BENCH_POSTGRES_URL, IDEM_BENCH_MARIADB_URL (else IDEM_TEST_POSTGRES_URL,
IDEM_TEST_MARIADB_URL); an engine without a URL is skipped with a message.`;

export interface BenchOptions extends BenchConfig {
  out: string;
  quick: boolean;
}

export class UsageError extends Error {}

/** `--help`: the usage on stdout, exit 0. */
export class HelpRequested extends Error {}

function list<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!allowed.includes(item as T)) throw new UsageError(`${flag}: unknown "${item}", expected ${allowed.join(', ')}`);
  }
  if (items.length === 0) throw new UsageError(`${flag} needs at least one of ${allowed.join(', ')}`);
  return items as T[];
}

function positiveInteger(value: string, what: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${what} must be a positive integer, got "${value}"`);
  return n;
}

export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, defaultOut: string): BenchOptions {
  const given = new Map<string, string>();
  let quick = env.IDEM_BENCH_QUICK === '1';
  let fleet = env.IDEM_BENCH_FLEET !== '0';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') {
      quick = true;
      continue;
    }
    if (arg === '--no-fleet') {
      fleet = false;
      continue;
    }
    if (arg === '--help' || arg === '-h') throw new HelpRequested(USAGE);
    const [flag, inline] = arg.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!['--n', '--runs', '--cell-budget', '--dialects', '--tools', '--limit', '--count', '--count-up-to', '--out', '--note'].includes(flag)) {
      throw new UsageError(`unknown option ${arg}\n\n${USAGE}`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value`);
    given.set(flag, value);
  }
  const pick = (flag: string, envName: string): string | undefined => given.get(flag) ?? env[envName];

  const nText = pick('--n', 'IDEM_BENCH_N');
  const ns = nText ? nText.split(',').map((s) => positiveInteger(s.trim(), 'N')) : quick ? [10, 200] : [10, 200, 1000];
  const runsText = pick('--runs', 'IDEM_BENCH_RUNS');
  const runs: Record<number, number> = {};
  for (const n of ns) runs[n] = runsText ? positiveInteger(runsText, '--runs') : quick ? 3 : n >= 1000 ? 3 : 5;
  const dialectsText = pick('--dialects', 'IDEM_BENCH_DIALECTS');
  const toolsText = pick('--tools', 'IDEM_BENCH_TOOLS');
  const countText = pick('--count', 'IDEM_BENCH_COUNT');
  const limitText = pick('--limit', 'IDEM_BENCH_LIMIT');
  const budgetText = pick('--cell-budget', 'IDEM_BENCH_CELL_BUDGET');
  const countUpToText = pick('--count-up-to', 'IDEM_BENCH_COUNT_UP_TO');
  return {
    ns: [...new Set(ns)].sort((a, b) => a - b),
    runs,
    dialects: dialectsText ? list(dialectsText, ALL_DIALECTS, '--dialects') : [...ALL_DIALECTS],
    tools: toolsText ? list(toolsText, ALL_TOOLS, '--tools') : [...ALL_TOOLS],
    limitSeconds: limitText ? positiveInteger(limitText, '--limit') : 180,
    cellBudgetSeconds: budgetText ? positiveInteger(budgetText, '--cell-budget') : 45,
    countFreshUpTo: countUpToText ? positiveInteger(countUpToText, '--count-up-to') : 200,
    counted: countText === 'none' ? [] : countText ? list(countText, SCENARIOS, '--count') : quick ? ['adopt'] : [...SCENARIOS],
    out: given.get('--out') ?? env.IDEM_BENCH_OUT ?? defaultOut,
    note: pick('--note', 'IDEM_BENCH_NOTE') ?? '',
    fleet,
    quick,
  };
}
