/**
 * What the bench needs from each tool it measures: which scenarios it takes
 * part in, whether it can run here, its migrations for the workload, and the
 * process that runs them, as the tool's users run it.
 */
import { relative, sep } from 'node:path';
import type { BenchDatabase } from '../databases.ts';
import type { BenchDialect } from '../workload.ts';

export type Scenario = 'fresh' | 'noop' | 'adopt';
export const SCENARIOS: readonly Scenario[] = ['fresh', 'noop', 'adopt'];

export type ToolName = 'idem' | 'raw' | 'floor' | 'floor-files' | 'knex' | 'kysely' | 'alembic';

export interface Invocation {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

export interface BenchTool {
  name: ToolName;
  /** How the tables and charts name it. */
  label: string;
  scenarios: readonly Scenario[];
  /** Why it cannot run on this engine here (a missing package, say), or null. */
  unavailable(dialect: BenchDialect): Promise<string | null>;
  /** Writes whatever the tool runs for the workload of n steps into dir (which exists and is empty). */
  prepare(dir: string, dialect: BenchDialect, n: number): Promise<void>;
  /** The process to run in dir against db. */
  invocation(dir: string, db: BenchDatabase): Invocation;
  /**
   * Checks the tool's output of one run where it says more than its exit code
   * (idem: how many operations were applied, skipped, drift); a string says
   * what is wrong.
   */
  checkOutput?(scenario: Scenario, stdout: string, n: number): string | null;
}

/** A relative import specifier from a generated file in `fromDir` to `file` (always starting with `.`, always `/`). */
export function importSpecifier(fromDir: string, file: string): string {
  const spec = relative(fromDir, file).split(sep).join('/');
  return spec.startsWith('.') ? spec : `./${spec}`;
}

/** How many operations the workload of n steps declares: a table, a column (not on the first), an index, and every 10th a seed. */
export function operationCount(n: number): number {
  return n + (n - 1) + n + Math.floor(n / 10);
}
