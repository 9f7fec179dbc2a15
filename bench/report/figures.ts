/**
 * Figures from the samples of one run: medians, and lower bounds where a run
 * went past the time limit (a lower bound still decides a target when it
 * already misses it).
 */
import type { BenchResults, Cell } from '../results.ts';
import type { Scenario, ToolName } from '../tools/tool.ts';
import type { BenchDialect } from '../workload.ts';

export interface Figure {
  value: number;
  /** The true value is at least this (a run was stopped at the limit). */
  atLeast: boolean;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export class Figures {
  readonly #results: BenchResults;

  constructor(results: BenchResults) {
    this.#results = results;
  }

  cell(dialect: BenchDialect, n: number, tool: ToolName, scenario: Scenario): Cell | undefined {
    return this.#results.cells.find((c) => c.dialect === dialect && c.n === n && c.tool === tool && c.scenario === scenario);
  }

  /** Median wall time in ms; a lower bound when a run timed out; undefined when not measured or failed. */
  time(dialect: BenchDialect, n: number, tool: ToolName, scenario: Scenario): Figure | undefined {
    const cell = this.cell(dialect, n, tool, scenario);
    if (!cell || cell.failure) return undefined;
    if (cell.timedOutAfterMs !== undefined) return { value: cell.timedOutAfterMs, atLeast: true };
    if (cell.samples.length === 0) return undefined;
    return { value: median(cell.samples.map((s) => s.ms)), atLeast: false };
  }

  /** Median peak memory in MB. */
  memory(dialect: BenchDialect, n: number, tool: ToolName, scenario: Scenario): number | undefined {
    const cell = this.cell(dialect, n, tool, scenario);
    const values = (cell?.samples ?? []).map((s) => s.peakMb).filter((v): v is number => v !== null);
    return values.length > 0 ? median(values) : undefined;
  }
}

/** a / b, where a lower bound on a gives a lower bound on the ratio; a lower bound on b gives no ratio. */
export function ratio(a: Figure | undefined, b: Figure | undefined): Figure | undefined {
  if (!a || !b || b.atLeast || b.value === 0) return undefined;
  return { value: a.value / b.value, atLeast: a.atLeast };
}

/** b / a: how many times faster a is than b. */
export function speedup(a: Figure | undefined, b: Figure | undefined): Figure | undefined {
  if (!a || !b || a.atLeast || a.value === 0) return undefined;
  return { value: b.value / a.value, atLeast: b.atLeast };
}

export function formatMs(figure: Figure | undefined): string {
  if (!figure) return '—';
  const v = figure.value;
  const text = v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${Math.round(v)} ms`;
  return figure.atLeast ? `> ${text}` : text;
}

export function formatRatio(figure: Figure | undefined): string {
  if (!figure) return '—';
  const text = `${figure.value >= 10 ? figure.value.toFixed(0) : figure.value.toFixed(2)}×`;
  return figure.atLeast ? `≥ ${text}` : text;
}
