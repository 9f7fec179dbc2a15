/**
 * The dry context `idem lint` runs `up` and `down` against: no database at
 * all. Every operation is recorded with the place in the migration's file
 * that called it (the first stack frame in that file: Node's type stripping
 * keeps lines and columns), and its effect on the schema is simulated, so
 * `tableExists` / `columnExists` / `indexExists` answer from the schema the
 * earlier migrations declare. Raw SQL is not simulated, and `m.query` cannot
 * be answered without data: the run stops there, as the look-ahead does.
 */
import { simulateOperation, type SimulationRules } from '../catalog/simulate.ts';
import { findColumn, type CatalogTable } from '../catalog/snapshot.ts';
import { indexByName } from '../catalog/find-by-shape.ts';
import type { DialectName } from '../dialect/dialect.ts';
import { createMigrationContext, type MigrationContext, type OperationExecutor, type OperationResult, type Problem, type TableSummary } from '../plan/migration-context.ts';
import { isIdemError, type OperationRef } from '../errors.ts';
import { operationTarget, type Operation } from '../plan/operations.ts';
import { tableSummary } from './migration-reads.ts';
import { callSite, callSiteIn, type CallSite } from './call-site.ts';

export type { CallSite };
export { callSiteIn };

export interface DryCall {
  op: Operation;
  /** Where the migration's file called it; absent when no frame of the stack lies in the file. */
  at?: CallSite;
}

export interface DryRunResult {
  calls: DryCall[];
  /** Where `m.query` stopped the run: nothing after it was recorded. */
  stoppedAt?: CallSite;
  /** What the function threw (not counting the stop), and where. */
  failure?: { error: unknown; at?: CallSite };
  /** The simulated schema after the run. */
  tables: Map<string, CatalogTable>;
  /** Calls the context refused (their problems, where the file made them): the run went on past each. */
  refused: Array<{ call: OperationRef; problems: Problem[]; at?: CallSite }>;
}

export interface DryRunOptions {
  dialect: DialectName;
  /** The dialect's types and catalog conventions, to simulate the schema. */
  rules: SimulationRules;
  /** The schema as the migrations before this one declare it. */
  tables: ReadonlyMap<string, CatalogTable>;
  /** The migration module's URL, as V8 prints it in stack frames. */
  moduleUrl: string;
  /** Default DRY_RUN_TIMEOUT_MS. */
  timeoutMs?: number;
  /** The engine's count of `?` placeholders, to match them against the values as `idem up` does. */
  countPlaceholders?: (sql: string) => number;
}

/**
 * Every call of a dry run answers at once, so a run still going after this
 * long waits on something outside `m` (a timer, the network) and is given up:
 * lint must end even when a migration does not.
 */
export const DRY_RUN_TIMEOUT_MS = 10_000;

/** Runs `step` (a migration's up or down) against a dry context and returns what it called. */
export async function dryRun(step: (m: MigrationContext) => Promise<void> | void, options: DryRunOptions): Promise<DryRunResult> {
  const executor = new LintExecutor(options);
  let failure: DryRunResult['failure'];
  let timer: NodeJS.Timeout | undefined;
  const limit = options.timeoutMs ?? DRY_RUN_TIMEOUT_MS;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`it did not finish within ${limit / 1000} s; it waits on something other than m`)), limit);
  });
  try {
    await Promise.race([(async () => step(createLintContext(executor)))(), timeout]);
  } catch (error) {
    if (!(error instanceof DryRunStop)) failure = { error, ...siteOf(executor.failedAt ?? callSiteIn(stackOf(error), options.moduleUrl)) };
  } finally {
    clearTimeout(timer);
  }
  return {
    // A copy: a run given up on may still be calling.
    calls: [...executor.calls],
    ...siteOf(executor.stoppedAt, 'stoppedAt'),
    ...(failure ? { failure } : {}),
    tables: executor.tables,
    refused: [...executor.refused],
  };
}

class LintExecutor implements OperationExecutor {
  readonly dialect: DialectName;
  readonly calls: DryCall[] = [];
  tables: Map<string, CatalogTable>;
  stoppedAt: CallSite | undefined;
  /** The call site of an operation that threw inside the executor (an invalid column spec for this engine). */
  failedAt: CallSite | undefined;
  readonly refused: DryRunResult['refused'] = [];
  readonly #rules: SimulationRules;
  readonly #moduleUrl: string;
  readonly countPlaceholders?: (sql: string) => number;

  constructor(options: DryRunOptions) {
    this.dialect = options.dialect;
    this.#rules = options.rules;
    this.#moduleUrl = options.moduleUrl;
    this.tables = new Map(options.tables);
    if (options.countPlaceholders) this.countPlaceholders = options.countPlaceholders;
  }

  /** Reported as `idem up` reports it before its run, and the dry run goes on: every problem at once. */
  async refuse(call: OperationRef, problems: Problem[]): Promise<OperationResult> {
    const at = this.callSite();
    this.refused.push({ call, problems, ...siteOf(at) });
    return { outcome: 'applied', detail: 'refused (lint)' };
  }

  async run(op: Operation): Promise<OperationResult> {
    const at = this.callSite();
    this.calls.push({ op, ...siteOf(at) });
    if (op.kind !== 'executeIf' && op.kind !== 'sql') {
      try {
        this.tables = simulateOperation(this.tables, op, this.#rules).tables;
      } catch (error) {
        this.failedAt = at;
        // Named as the live run names it: which operation, on what.
        throw isIdemError(error) ? error.within(undefined, { kind: op.kind, target: operationTarget(op) }) : error;
      }
    }
    return { outcome: 'applied', detail: 'recorded (lint)' };
  }

  /** The first frame in the migration's file. */
  callSite(): CallSite | undefined {
    return callSite(this.#moduleUrl);
  }

  async tableExists(table: string): Promise<boolean> {
    return this.tables.has(table);
  }

  async columnExists(table: string, column: string): Promise<boolean> {
    const t = this.tables.get(table);
    return t !== undefined && findColumn(t, column) !== undefined;
  }

  async indexExists(table: string, name: string): Promise<boolean> {
    const t = this.tables.get(table);
    return t !== undefined && indexByName(t, name) !== undefined;
  }

  /** No data to read: the run stops here, and what follows is left to the source reading. */
  async query(): Promise<Record<string, unknown>[]> {
    this.stoppedAt ??= this.callSite();
    throw new DryRunStop();
  }

  async summary(table: string): Promise<TableSummary> {
    return tableSummary(table, this.tables.get(table), 0);
  }

  log(): void {}
}

/**
 * The context a migration sees while linted: the real one, except that an
 * `executeIf` without a condition is recorded (with an empty condition) for
 * the linter to report, rather than refused before anything is recorded.
 */
function createLintContext(executor: LintExecutor): MigrationContext {
  const m = createMigrationContext(executor);
  return {
    ...m,
    executeIf(options) {
      const condition: unknown = options?.condition;
      if (options !== null && typeof options === 'object' && (condition === undefined || condition === null || (typeof condition === 'string' && condition.trim() === ''))) {
        return executor.run({
          kind: 'executeIf', sql: String(options.sql ?? ''), condition: '', params: [], conditionParams: [],
          description: typeof options.description === 'string' && options.description.trim() !== '' ? options.description : '(no description)',
        });
      }
      return m.executeIf(options);
    },
  };
}

/** Thrown by `m.query` to end a dry run; what was recorded so far still counts. */
class DryRunStop extends Error {}

function stackOf(error: unknown): string | undefined {
  return error instanceof Error ? error.stack : undefined;
}

function siteOf(at: CallSite | undefined, key: 'at' | 'stoppedAt' = 'at'): { at?: CallSite; stoppedAt?: CallSite } {
  return at ? { [key]: at } : {};
}
