/**
 * The steps of `idem verify` as data, and the rules that judge them: which
 * operation outcomes count as "not idempotent", and how a difference between
 * two states of the scratch database becomes a line a person reads.
 */
import { describeDifference, diffData, diffSchema, type StateDifference } from '../catalog/schema-diff.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import type { OperationEvent, VerifyError } from './verify-run.ts';
import type { DatabaseState } from './verify-state.ts';

export type VerifyStepName = 'up' | 'up-again' | 'down' | 'down-again' | 'up-after-down' | 'adoption';

/** An operation that did something where verify expected it to find everything already done. */
export interface OperationDifference {
  object: 'operation';
  revision: string;
  op: string;
  target: string;
  expected: string;
  actual: 'applied' | 'drift';
  detail?: string;
}

export type VerifyDifference = (StateDifference | OperationDifference) & { message: string };

export interface VerifyStep {
  /** null for adoption, which runs every migration. */
  revision: string | null;
  file: string | null;
  description: string;
  step: VerifyStepName;
  /** false when the step found a fault. A step not run is ok, with `skipped` saying why. */
  ok: boolean;
  skipped?: string;
  /** What the step found, in a few words. */
  detail: string;
  differences: VerifyDifference[];
  /** The error the step's run ended with: the engine's message, the operation and its SQL. */
  error?: VerifyError;
  ms: number;
}

export type Report = (step: VerifyStep) => void;

const ADOPTION = 'every migration, version table emptied';

/** Records one migration's (or adoption's) steps, each timed from the end of the one before. */
export function stepRecorder(file: MigrationFile | null, report: Report) {
  let since = performance.now();
  const base = () => ({ revision: file?.revision ?? null, file: file?.file ?? null, description: file?.description ?? ADOPTION });
  const ms = () => {
    const now = performance.now();
    const elapsed = Math.round(now - since);
    since = now;
    return elapsed;
  };
  return {
    checked(step: VerifyStepName, passed: string, differences: VerifyDifference[]): void {
      report({ ...base(), step, ok: differences.length === 0, detail: differences.length === 0 ? passed : summarize(differences), differences, ms: ms() });
    },
    failed(step: VerifyStepName, error: VerifyError, differences: VerifyDifference[] = []): void {
      const what = error.op ? `${error.op} ${error.target} failed` : error.message;
      // Adoption runs every migration: say in which one.
      const where = file === null && error.revision ? `${error.revision}: ${what}` : what;
      report({ ...base(), step, ok: false, detail: where, differences, error, ms: ms() });
    },
  };
}

export function notRun(file: MigrationFile | null, step: VerifyStepName, reason: string): VerifyStep {
  return {
    revision: file?.revision ?? null, file: file?.file ?? null, description: file?.description ?? ADOPTION,
    step, ok: true, skipped: reason, detail: reason, differences: [], ms: 0,
  };
}

function summarize(differences: VerifyDifference[]): string {
  const operations = differences.filter((d) => d.object === 'operation').length;
  const state = differences.length - operations;
  return [
    operations ? `${operations} operation(s) not skipped` : '',
    state ? `${state} difference(s) in schema or data` : '',
  ].filter(Boolean).join(', ');
}

export function countsOf(operations: OperationEvent[]): string {
  const count = (outcome: string) => operations.filter((o) => o.outcome === outcome).length;
  return `${count('applied')} applied, ${count('skipped')} skipped, ${count('drift')} drift`;
}

/**
 * Operations that did something where everything should already hold. On
 * the first `up` only drift counts (applying is its job). Raw SQL marked
 * idempotent may run again (its effect is judged by the state comparison);
 * so may an `executeIf` whose condition held but that changed no row.
 */
export function notSkipped(operations: OperationEvent[], step: VerifyStepName): VerifyDifference[] {
  const differences: VerifyDifference[] = [];
  for (const o of operations) {
    if (o.outcome === 'skipped') continue;
    if (o.outcome === 'applied') {
      if (step === 'up') continue;
      // Raw SQL marked `{ idempotent: true }` may run again; unguarded raw SQL may not.
      if (o.op === 'sql' && !o.unguarded) continue;
      if (o.op === 'executeIf' && (o.rows ?? 0) === 0) continue;
    }
    const expected = step === 'up' ? 'applied or skipped' : 'skipped';
    const prefix = step === 'adoption' ? `${o.revision}: ` : '';
    differences.push({
      object: 'operation', revision: o.revision, op: o.op, target: o.target, expected, actual: o.outcome,
      ...(o.detail ? { detail: o.detail } : {}),
      message: `${prefix}${o.op} ${o.target} ${o.outcome} (expected ${expected})${o.detail ? `: ${o.detail}` : ''}`,
    });
  }
  return differences;
}

export function stateDifferences(expected: DatabaseState, actual: DatabaseState, when: string, data: boolean): VerifyDifference[] {
  const differences = [...diffSchema(expected.schema, actual.schema), ...(data ? diffData(expected.data, actual.data) : [])];
  return differences.map((d) => ({ ...d, message: describeDifference(d, when) }));
}
