/**
 * What `applySteps` would do, predicted: the same migrations, in the same
 * order, with the same look-ahead, each operation handed to a
 * PlanningExecutor. No transaction, no version row, no DDL.
 */
import type { CatalogSnapshot } from '../catalog/snapshot.ts';
import type { CatalogReader, DialectSession } from '../dialect/dialect.ts';
import { describeThrown, IdemError, isIdemError } from '../errors.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import { thrownAt } from '../files/migration-loader.ts';
import { createMigrationContext } from '../plan/migration-context.ts';
import { checkDownSteps, loadAll, recordRun, type StepResult } from './apply-steps.ts';
import { refuseProblems } from './pending-check.ts';
import { journalFor, runsOutsideTransaction } from './progress-journal.ts';
import { CatalogState } from './catalog-state.ts';
import type { DeclaredConstraint } from './classify.ts';
import { emptyCounts, type Direction, type EventSink } from './events.ts';
import { POSITIONS_PER_MIGRATION } from './lookahead.ts';
import { PlanningExecutor, SimulatedCatalog, type PlannedOperation } from './planning-executor.ts';
import { refuseUnlockedMigrations } from './unlocked-migrations.ts';
import type { AppliedRevision } from './version-table.ts';

export interface PlanStepsOptions {
  session: DialectSession;
  applied: AppliedRevision[];
  steps: MigrationFile[];
  direction: Direction;
  emit: EventSink;
}

export interface PlannedSteps {
  migrations: StepResult[];
  operations: PlannedOperation[];
}

export async function planSteps(options: PlanStepsOptions): Promise<PlannedSteps> {
  const { session, steps, direction, emit } = options;
  const modules = await loadAll(steps);
  refuseUnlockedMigrations(session, steps, modules);
  // The catalog is read once; the look-ahead and the simulation both start from that read.
  const snapshot = await session.catalog.readAll();
  const catalog = new SimulatedCatalog(new Map(snapshot.tables), snapshot.tableNamesFoldCase === true);
  const declared = new Map<string, DeclaredConstraint>();
  for (const row of options.applied) for (const [key, shape] of Object.entries(row.declared)) declared.set(key, shape);
  // The same check as `up` and `down` make before their first statement: a plan of a run that would be refused is refused.
  const recordedCatalog = new CatalogState(frozenReader(snapshot, session.catalog));
  const recorded = direction === 'up' ? await recordRun(session, recordedCatalog, modules) : undefined;
  refuseProblems(recorded?.problems ?? await checkDownSteps(session, recordedCatalog, modules), 'plan');
  const lookahead = recorded?.lookahead;
  const migrations: StepResult[] = [];
  const operations: PlannedOperation[] = [];
  // What interrupted runs completed, as `up` would read it (without creating the table).
  const journal = journalFor(session, modules);
  await journal?.load({ create: false });

  for (const [index, file] of steps.entries()) {
    const module = modules[index]!;
    const run = direction === 'up' ? module.up : module.down;
    if (!run) {
      throw new IdemError('MIGRATION_INVALID', `migration ${file.file} has no down()`, {
        revision: file.revision, hint: 'add a down(m) that undoes up(m), or leave this revision applied',
      });
    }
    const transaction = session.capabilities.transactionalDdl && !runsOutsideTransaction(session, module);
    emit({ event: 'begin', revision: file.revision, direction, description: file.description, file: file.file, transaction, planned: true });
    const started = performance.now();
    const counts = emptyCounts();
    const executor = new PlanningExecutor({
      session, catalog, revision: file.revision, direction, emit, counts, declared, record: operations,
      progress: transaction ? undefined : journal?.start(file, direction, emit),
      ...(lookahead ? { lookahead, position: index * POSITIONS_PER_MIGRATION } : {}),
    });
    try {
      await run(createMigrationContext(executor));
    } catch (error) {
      if (isIdemError(error)) throw error.within(file.revision);
      throw new IdemError('OPERATION_FAILED', `migration ${thrownAt(error, [file.realPath, file.path]) ?? file.file} threw while planning: ${describeThrown(error)}`, {
        revision: file.revision, cause: error, hint: 'fix the migration; `idem up` would fail the same way',
      });
    }
    const result = { revision: file.revision, direction, description: file.description, ms: Math.round(performance.now() - started), ...counts };
    migrations.push(result);
    emit({ event: 'migration', ...result, planned: true });
  }
  return { migrations, operations };
}

/** The one catalog read, served again to the look-ahead pass instead of reading the database twice. */
export function frozenReader(snapshot: CatalogSnapshot, live: CatalogReader): CatalogReader {
  return {
    readAll: async () => ({ tables: new Map(snapshot.tables), ...(snapshot.tableNamesFoldCase ? { tableNamesFoldCase: true } : {}) }),
    readTables: async (names) => new Map(names.flatMap((n) => {
      const t = snapshot.tables.get(n);
      return t ? [[n, t] as const] : [];
    })),
    hasTable: (name) => live.hasTable(name),
  };
}
