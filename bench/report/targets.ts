/**
 * The targets, judged on one run's figures, per engine: met, missed,
 * or not measured (an engine or a tool that did not run).
 */
import { FLEET_GOAL_CONCURRENCY, FLEET_N } from '../fleet.ts';
import type { BenchResults } from '../results.ts';
import type { ToolName } from '../tools/tool.ts';
import type { BenchDialect } from '../workload.ts';
import { Figures, formatRatio, ratio, speedup, type Figure } from './figures.ts';

/** `undecided`: only a lower bound was measured (a run hit the time limit), and it does not settle the target. */
export type Verdict = 'met' | 'missed' | 'not measured' | 'undecided';

export interface Judgement {
  verdict: Verdict;
  /** The figure the verdict rests on, as shown in the table. */
  shown: string;
}

export interface Target {
  title: string;
  /** Engines the target applies to. */
  dialects: readonly BenchDialect[];
  judge(dialect: BenchDialect): Judgement;
}

export const PEERS: readonly ToolName[] = ['knex', 'kysely', 'alembic'];
const ALL: readonly BenchDialect[] = ['sqlite', 'postgres', 'mariadb'];
export const PEAK_MB_LIMIT = 150;
/** The fleet goal: what one tenant may cost in a no-op pass at concurrency 8, start-up shared out. */
export const FLEET_MS_PER_TENANT: Record<BenchDialect, number> = { sqlite: 5, postgres: 15, mariadb: 15 };

function atMost(figure: Figure | undefined, limit: number, shown: (f: Figure) => string): Judgement {
  if (!figure) return { verdict: 'not measured', shown: '—' };
  const verdict: Verdict = figure.atLeast ? (figure.value > limit ? 'missed' : 'undecided') : figure.value <= limit ? 'met' : 'missed';
  return { verdict, shown: shown(figure) };
}

/** The fastest peer's median in a scenario, and which peer that is. */
export function fastestPeer(f: Figures, dialect: BenchDialect, n: number, scenario: 'fresh' | 'noop' | 'adopt'): { tool: ToolName; figure: Figure } | undefined {
  let best: { tool: ToolName; figure: Figure } | undefined;
  for (const tool of PEERS) {
    const figure = f.time(dialect, n, tool, scenario);
    if (!figure) continue;
    const better = !best || (best.figure.atLeast && !figure.atLeast) || (best.figure.atLeast === figure.atLeast && figure.value < best.figure.value);
    if (better) best = { tool, figure };
  }
  return best;
}

export function targetsFor(results: BenchResults): { n: number; targets: Target[] } {
  const f = new Figures(results);
  const ns = results.config.ns;
  // The targets are stated at N = 1000; a shorter run judges them at its largest N and says so.
  const n = ns.includes(1000) ? 1000 : Math.max(...ns);
  const small = Math.min(...ns);
  const idemTime = (d: BenchDialect, scenario: 'fresh' | 'noop' | 'adopt', at = n) => f.time(d, at, 'idem', scenario);

  const targets: Target[] = [
    {
      title: `noop at N=${n}: idem ≤ 1.0× the fastest peer`,
      dialects: ALL,
      judge(d) {
        const peer = fastestPeer(f, d, n, 'noop');
        const r = ratio(idemTime(d, 'noop'), peer?.figure);
        return atMost(r, 1.0, (x) => `${formatRatio(x)} (${peer!.tool})`);
      },
    },
    {
      title: `noop at N=${n}: idem ≤ 1.5× the floor (bare node, open + read one row)`,
      dialects: ALL,
      judge: (d) => atMost(ratio(idemTime(d, 'noop'), f.time(d, n, 'floor', 'noop')), 1.5, formatRatio),
    },
    {
      title: `noop flat: idem at N=${n} ≤ 1.5× idem at N=${small}`,
      dialects: ALL,
      judge: (d) => atMost(ratio(idemTime(d, 'noop'), idemTime(d, 'noop', small)), 1.5, formatRatio),
    },
    {
      title: `adopt: idem's catalog queries do not grow with N (N=${ns.join('/')})`,
      dialects: ALL,
      judge(d) {
        const counts = ns.map((k) => f.cell(d, k, 'idem', 'adopt')?.statements?.catalog);
        if (counts.some((c) => c === undefined)) return { verdict: 'not measured', shown: '—' };
        const flat = counts.every((c) => c! <= counts[0]!);
        return { verdict: flat ? 'met' : 'missed', shown: counts.join(' / ') };
      },
    },
    {
      title: `adopt at N=${n}: idem ≥ 10× faster than Alembic with per-call inspection`,
      dialects: ALL,
      judge(d) {
        const s = speedup(idemTime(d, 'adopt'), f.time(d, n, 'alembic', 'adopt'));
        if (!s) return { verdict: 'not measured', shown: '—' };
        return { verdict: s.value >= 10 ? 'met' : s.atLeast ? 'undecided' : 'missed', shown: `${formatRatio(s)} faster` };
      },
    },
    {
      title: `fresh at N=${n}: idem ≤ 1.3× the raw SQL script through the same driver`,
      dialects: ['postgres', 'mariadb'],
      judge: (d) => atMost(ratio(idemTime(d, 'fresh'), f.time(d, n, 'raw', 'fresh')), 1.3, formatRatio),
    },
    {
      title: `peak memory at N=${n}: idem ≤ ${PEAK_MB_LIMIT} MB (largest of fresh, noop, adopt)`,
      dialects: ALL,
      judge(d) {
        const peaks = (['fresh', 'noop', 'adopt'] as const).map((s) => f.memory(d, n, 'idem', s)).filter((v): v is number => v !== undefined);
        if (peaks.length === 0) return { verdict: 'not measured', shown: '—' };
        const peak = Math.max(...peaks);
        return { verdict: peak <= PEAK_MB_LIMIT ? 'met' : 'missed', shown: `${Math.round(peak)} MB` };
      },
    },
    {
      title: `fleet no-op at concurrency ${FLEET_GOAL_CONCURRENCY} (N=${FLEET_N}): ≤ ${FLEET_MS_PER_TENANT.sqlite} ms per SQLite tenant, ≤ ${FLEET_MS_PER_TENANT.postgres} ms per server tenant`,
      dialects: ALL,
      judge(d) {
        const block = results.fleet?.find((b) => b.dialect === d);
        const pass = block?.noop.find((p) => p.concurrency === FLEET_GOAL_CONCURRENCY);
        const perTenant = pass?.failure ? undefined : pass?.perTenantMs;
        return atMost(perTenant === undefined ? undefined : { value: perTenant, atLeast: false }, FLEET_MS_PER_TENANT[d],
          (x) => `${x.value.toFixed(1)} ms per tenant (${block!.tenants} tenants)`);
      },
    },
  ];
  return { n, targets };
}
