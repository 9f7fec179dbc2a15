/**
 * What a run reports, as data. The CLI prints these (one line per operation,
 * or one JSON object per line under --json); the API hands them to a
 * caller's `onEvent`. The same facts either way.
 */
import type { Difference, Outcome, TableSummary } from '../plan/migration-context.ts';

export type Direction = 'up' | 'down';

export interface OutcomeCounts {
  applied: number;
  skipped: number;
  drift: number;
}

/**
 * In a fleet (`--targets`), every event also names its database: `db` is the
 * target's URL with the password masked.
 */
export type IdemEvent = RunEvent & { db?: string };

type RunEvent =
  | {
    event: 'begin'; revision: string; direction: Direction; description: string; file: string; transaction: boolean; planned?: true;
    /** An applied migration run again on request (`idem up --reapply`): its operations say what the edit changed. */
    reapply?: true;
  }
  | {
    event: 'op'; revision: string; direction: Direction; op: string; target: string; outcome: Outcome;
    detail?: string; differences?: Difference[]; rows?: number; sql?: string[]; ms: number; planned?: true;
    /** Raw `m.sql` not marked idempotent: nothing checked before it ran. */
    unguarded?: true;
  }
  | ({ event: 'migration'; revision: string; direction: Direction; description: string; ms: number; planned?: true; reapply?: true } & OutcomeCounts)
  | ({ event: 'summary'; revision: string } & TableSummary)
  | { event: 'log'; revision: string; message: string }
  | { event: 'warning'; code: string; message: string; hint?: string; revision?: string }
  | { event: 'stamp'; revision: string; description: string; action: 'recorded' | 'removed' }
  | ({ event: 'done'; command: string; migrations: number; ms: number; planned?: true } & OutcomeCounts)
  | { event: 'fleet'; targets: number; ok: number; failed: number; notRun: number; ms: number }
  | {
    event: 'error'; code: string; message: string; revision?: string; op?: string; target?: string;
    sql?: string; cause?: string; hint?: string;
    /** VALIDATION_FAILED: each problem the check before the run found, with its file and line. */
    problems?: Array<Record<string, unknown>>;
  };

export type EventSink = (event: IdemEvent) => void;

export function emptyCounts(): OutcomeCounts {
  return { applied: 0, skipped: 0, drift: 0 };
}

/** The counts of several migrations added up: a run's summary. */
export function totals(results: readonly OutcomeCounts[]): OutcomeCounts {
  const counts = emptyCounts();
  for (const r of results) {
    counts.applied += r.applied;
    counts.skipped += r.skipped;
    counts.drift += r.drift;
  }
  return counts;
}

export function addCount(counts: OutcomeCounts, outcome: Outcome): void {
  counts[outcome]++;
}
