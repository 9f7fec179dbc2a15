/**
 * What one bench run measured, as data: written to bench/results.json, from
 * which the Markdown and the charts are rendered.
 */
import type { StatementCounts, StatementKind } from './count/statements.ts';
import type { Scenario, ToolName } from './tools/tool.ts';
import type { BenchDialect } from './workload.ts';

export interface Sample {
  ms: number;
  peakMb: number | null;
}

/** One tool, one scenario, one engine, one N. */
export interface Cell {
  dialect: BenchDialect;
  n: number;
  tool: ToolName;
  scenario: Scenario;
  samples: Sample[];
  /** noop only: its database was brought to head by adopting the raw script's schema, because fresh went past the limit. */
  viaAdopt?: boolean;
  /** Set when a run went past the time limit: the figure is at least this. */
  timedOutAfterMs?: number;
  /** Set when a run failed twice in a row: what went wrong. */
  failure?: string;
  /** Runs that failed once and were tried again: what went wrong the first time. */
  retries?: string[];
  /** From the counting pass (one run through the proxy or tracer). */
  statements?: StatementCounts;
  /** Time per kind of statement, as the counter saw it (approximate; includes the proxy's own hop). */
  statementMs?: Record<StatementKind, number>;
}

/** The no-op fleet pass at one concurrency: one `idem up --targets` process over every tenant, nothing pending. */
export interface FleetPass {
  concurrency: number;
  samples: Sample[];
  /** Median wall time of the whole process. */
  medianMs?: number;
  /** medianMs ÷ tenants: what one tenant costs in the pass, start-up included. */
  perTenantMs?: number;
  /** Median peak memory of the whole process; null where GNU time is not installed. */
  peakMb?: number | null;
  /** Set when a pass failed (non-zero exit, a tenant not ok, something applied, or past the time limit). */
  failure?: string;
}

/** The fleet block of one engine: its tenants migrated by one first pass, then timed no-op passes. */
export interface FleetBlock {
  dialect: BenchDialect;
  tenants: number;
  /** The workload size every tenant was migrated to. */
  n: number;
  /** Timed no-op runs planned per concurrency. */
  runs: number;
  /** The first pass, every tenant from empty to head (one run, checked, not part of any target). */
  first?: Sample & { concurrency: number };
  noop: FleetPass[];
  /** Set when the block stopped before its no-op passes (tenants not created, the first pass failed). */
  failure?: string;
}

export interface Skip {
  dialect: BenchDialect;
  tool?: ToolName;
  reason: string;
}

export interface Machine {
  /** The idem measured: its commit, and whether src/ had uncommitted changes. */
  idem: string;
  /** 1-minute load average when each N began, per engine: other work on the machine shows here. */
  load: Array<{ dialect: BenchDialect; n: number; load: number }>;
  cpu: string;
  cpus: number;
  memoryGb: number;
  os: string;
  node: string;
  engines: Partial<Record<BenchDialect, string>>;
  peers: Record<string, string>;
}

export interface BenchConfig {
  ns: number[];
  dialects: BenchDialect[];
  tools: ToolName[];
  /** Timed runs per cell, by N. */
  runs: Record<number, number>;
  limitSeconds: number;
  /** A measurement stops repeating once its runs took this long (keeping at least one). */
  cellBudgetSeconds: number;
  counted: Scenario[];
  /** fresh and noop are counted up to this N; adopt at every N. */
  countFreshUpTo: number;
  /** Free text for the head of results.md. */
  note: string;
  /** Whether the fleet block was asked for (it runs only where idem is among the tools). */
  fleet: boolean;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  machine: Machine;
  config: BenchConfig;
  skipped: Skip[];
  cells: Cell[];
  /** idem's adopt run, statement by statement, at the largest N: the catalog queries it sent, by text. */
  idemCatalogQueries?: Partial<Record<BenchDialect, Array<{ sql: string; count: number }>>>;
  /** The fleet block, per engine (absent from runs made before it existed, or with --no-fleet). */
  fleet?: FleetBlock[];
}
