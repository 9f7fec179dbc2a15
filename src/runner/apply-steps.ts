/**
 * Applies a list of migrations, in order, each in its own transaction (a
 * savepoint on SQLite), recording or removing its version row inside that
 * transaction so a migration and its record commit together. The caller holds
 * the run lock.
 */
import type { DialectSession, TransactionControl } from '../dialect/dialect.ts';
import { IdemError, isIdemError } from '../errors.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import { loadMigration, type LoadedMigration } from '../files/migration-loader.ts';
import { createMigrationContext } from '../plan/migration-context.ts';
import { CatalogState } from './catalog-state.ts';
import type { DeclaredConstraint } from './classify.ts';
import { emptyCounts, type Direction, type EventSink, type OutcomeCounts } from './events.ts';
import { LiveExecutor } from './live-executor.ts';
import { RecordingExecutor } from './recording-executor.ts';
import { throwIfInterrupted, untilInterrupted } from './interruption.ts';
import { POSITIONS_PER_MIGRATION, RunLookahead, type RecordedOperation } from './lookahead.ts';
import type { AppliedRevision, VersionTable } from './version-table.ts';

export interface StepResult extends OutcomeCounts {
  revision: string;
  direction: Direction;
  description: string;
  ms: number;
}

export interface ApplyOptions {
  session: DialectSession;
  versions: VersionTable;
  applied: AppliedRevision[];
  steps: MigrationFile[];
  direction: Direction;
  strict: boolean;
  emit: EventSink;
  signal?: AbortSignal | undefined;
}

export async function applySteps(options: ApplyOptions): Promise<StepResult[]> {
  const { session, versions, steps, direction, emit } = options;
  const modules = await loadAll(steps);
  // Every migration of a down path must have a down(): checked before any of them runs.
  const missingDown = direction === 'down' ? steps.find((_, i) => !modules[i]!.down) : undefined;
  if (missingDown) {
    throw new IdemError('MIGRATION_INVALID', `migration ${missingDown.file} has no down(); nothing was reverted`, {
      revision: missingDown.revision, hint: 'add a down(m) that undoes up(m), or stop the down before this revision',
    });
  }
  const catalog = new CatalogState(session.catalog);
  const declared = new Map<string, DeclaredConstraint>();
  for (const row of options.applied) for (const [key, shape] of Object.entries(row.declared)) declared.set(key, shape);
  const lookahead = direction === 'up' ? await recordRun(session, catalog, modules) : undefined;
  const results: StepResult[] = [];
  if (direction === 'up') await versions.ensure();
  await session.changedByOthers();

  for (const [index, file] of steps.entries()) {
    const module = modules[index]!;
    const run = (direction === 'up' ? module.up : module.down)!;
    throwIfInterrupted(options.signal, `before ${file.revision}; nothing of it ran`);
    // A migration may opt out of its transaction where the engine can run DDL
    // outside one and some DDL must (PostgreSQL's CREATE INDEX CONCURRENTLY).
    const outside = module.transaction === false && session.capabilities.optionalTransactions;
    const transactions = outside ? NO_TRANSACTION : session.transactions;
    await transactions.begin();
    // Another runner may have taken the lock between two migrations: what it
    // did is re-read, never done again.
    if (await session.changedByOthers()) catalog.invalidate();
    if ((await versions.isRecorded(file.revision)) !== (direction === 'down')) {
      await transactions.commit();
      emit({ event: 'warning', code: 'DONE_ELSEWHERE', revision: file.revision, message: `${file.revision} was ${direction === 'up' ? 'applied' : 'reverted'} by another runner meanwhile` });
      continue;
    }
    // `transaction` says whether the migration's DDL rolls back with it on failure.
    const transaction = session.capabilities.transactionalDdl && !outside;
    emit({ event: 'begin', revision: file.revision, direction, description: file.description, file: file.file, transaction });
    const started = performance.now();
    const counts = emptyCounts();
    const executor = new LiveExecutor({
      session, catalog, revision: file.revision, direction, strict: options.strict, emit, counts, declared, signal: options.signal,
      ...(lookahead ? { lookahead, position: index * POSITIONS_PER_MIGRATION } : {}),
    });
    try {
      await untilInterrupted(Promise.resolve(run(createMigrationContext(executor))), options.signal, `during ${file.revision}`);
      await session.verifyMigration();
      const ms = performance.now() - started;
      if (direction === 'up') {
        await versions.insert({
          revision: file.revision, description: file.description, checksum: file.checksum, durationMs: ms, counts,
          how: 'applied', declared: executor.declaredHere,
        });
      } else {
        await versions.remove(file.revision);
      }
      await transactions.commit();
      const result = { revision: file.revision, direction, description: file.description, ms: Math.round(ms), ...counts };
      results.push(result);
      emit({ event: 'migration', ...result });
    } catch (error) {
      // Stop the migration's own code from sending more once we give up on it.
      executor.stop();
      await transactions.rollback().catch(() => undefined);
      // What was read inside the rolled-back transaction no longer holds.
      catalog.invalidate();
      throw asMigrationError(interruptionSaysWhatHappened(error, transaction), file, results);
    }
  }
  return results;
}

/** An interruption's message says whether the migration's work was rolled back or stays. */
function interruptionSaysWhatHappened(error: unknown, transaction: boolean): unknown {
  if (!isIdemError(error) || error.code !== 'INTERRUPTED') return error;
  const outcome = transaction ? 'it was rolled back' : 'what ran before the interruption stays (this engine cannot roll DDL back)';
  return new IdemError('INTERRUPTED', `${error.message}; ${outcome}`, { hint: error.hint });
}

const NO_TRANSACTION: TransactionControl = { begin: async () => {}, commit: async () => {}, rollback: async () => {} };

export async function loadAll(steps: MigrationFile[]): Promise<LoadedMigration[]> {
  const modules: LoadedMigration[] = [];
  for (const step of steps) {
    const module = await loadMigration(step.path);
    if (module.revision !== step.revision) {
      throw new IdemError('MIGRATION_INVALID', `migration ${step.file} exports revision ${module.revision} but its header reads ${step.revision}`, {
        revision: step.revision, hint: 'export the revision as a plain string literal',
      });
    }
    modules.push(module);
  }
  return modules;
}

/**
 * The look-ahead pass: every pending `up`, recorded against the catalog as it
 * is now. `up` runs twice then (code outside `m` too); on a database with no
 * tables nothing can differ from a declaration, so the pass is skipped.
 */
export async function recordRun(session: DialectSession, catalog: CatalogState, modules: LoadedMigration[]): Promise<RunLookahead> {
  const records: RecordedOperation[] = [];
  await catalog.load();
  if (catalog.isEmpty()) return new RunLookahead(records);
  for (const [index, module] of modules.entries()) {
    const recorder = new RecordingExecutor(session.dialect, catalog);
    try {
      await module.up(createMigrationContext(recorder));
    } catch {
      // A migration that reads data (LookaheadStop) or fails while recording is
      // judged by the live run, which reports any error; what it recorded before
      // the stop still informs the look-ahead.
    }
    recorder.operations.forEach((op, i) => records.push({ position: index * POSITIONS_PER_MIGRATION + i + 1, revision: module.revision, op }));
  }
  return new RunLookahead(records);
}

function asMigrationError(error: unknown, file: MigrationFile, before: StepResult[]): IdemError {
  const wrapped = isIdemError(error)
    ? error.within(file.revision)
    : new IdemError('OPERATION_FAILED', `migration ${file.file} threw: ${(error as Error)?.message ?? String(error)}`, {
      revision: file.revision, cause: error, hint: 'fix the migration, then re-run: operations that already hold are skipped',
    });
  return new IdemError(wrapped.code, wrapped.message, {
    revision: wrapped.revision, operation: wrapped.operation, sql: wrapped.sql, hint: wrapped.hint, cause: wrapped.cause,
    data: { ...wrapped.data, completed: before },
  });
}

export function totals(results: StepResult[]): OutcomeCounts {
  const counts = emptyCounts();
  for (const r of results) {
    counts.applied += r.applied;
    counts.skipped += r.skipped;
    counts.drift += r.drift;
  }
  return counts;
}
