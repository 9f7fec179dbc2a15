/**
 * Applies a list of migrations, in order, each in its own transaction (a
 * savepoint on SQLite), recording or removing its version row inside that
 * transaction so a migration and its record commit together. The caller holds
 * the run lock. This prepares the run (modules, look-ahead, journal) and goes
 * back to a migration whose commit sent ahead failed; step-run.ts runs each.
 */
import type { DialectSession } from '../dialect/dialect.ts';
import { IdemError, isIdemError } from '../errors.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import { loadMigration, type LoadedMigration } from '../files/migration-loader.ts';
import { createMigrationContext } from '../plan/migration-context.ts';
import { CatalogState } from './catalog-state.ts';
import { CommitAhead, CommitAheadFailed } from './commit-ahead.ts';
import type { DeclaredConstraint } from './classify.ts';
import type { Direction, EventSink, OutcomeCounts } from './events.ts';
import { RecordingExecutor } from './recording-executor.ts';
import { refuseUnlockedMigrations } from './unlocked-migrations.ts';
import { POSITIONS_PER_MIGRATION, RunLookahead, type RecordedOperation } from './lookahead.ts';
import { untilInterrupted } from './interruption.ts';
import { journalFor } from './progress-journal.ts';
import { recordedProblems, refuseProblems, revisionProblem, type PendingProblem } from './pending-check.ts';
import { asMigrationError, batchRetryWarning, StepRun } from './step-run.ts';
import type { AppliedRevision, VersionTable } from './version-table.ts';

export interface StepResult extends OutcomeCounts {
  revision: string;
  direction: Direction;
  description: string;
  ms: number;
  /** Run again although it was applied (`idem up --reapply`). */
  reapply?: true;
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
  /**
   * The steps are applied migrations to run again (`idem up --reapply`):
   * under the lock each must still be recorded, and its row is updated, not
   * inserted. Those in `onlyIfChanged` (from --reapply-changed) are left
   * alone when the recorded checksum already matches the file: another
   * runner reapplied them meanwhile. `lookahead`: the steps and the applied
   * migrations after them, in graph order, recorded (never run) so each
   * operation is judged as the database stands now: a table a later
   * migration renamed is met under its new name, a difference a later one
   * declares is left to it.
   */
  reapply?: { onlyIfChanged: ReadonlySet<string>; lookahead: MigrationFile[] };
}

export async function applySteps(options: ApplyOptions): Promise<StepResult[]> {
  const { session, versions, steps, direction } = options;
  // Where the engine can send a migration's COMMIT without waiting for it, the next migration runs meanwhile.
  const ahead = new CommitAhead(options.emit);
  const sequence = options.reapply?.lookahead ?? steps;
  const loaded = await loadAll(sequence);
  const place = new Map(sequence.map((file, index) => [file.revision, index]));
  const modules = steps.map((file) => loaded[place.get(file.revision)!]!);
  // Every migration of a down path must have a down(): checked before any of them runs.
  const missingDown = direction === 'down' ? steps.find((_, i) => !modules[i]!.down) : undefined;
  if (missingDown) {
    throw new IdemError('MIGRATION_INVALID', `migration ${missingDown.file} has no down(); nothing was reverted`, {
      revision: missingDown.revision, hint: 'add a down(m) that undoes up(m), or stop the down before this revision',
    });
  }
  refuseUnlockedMigrations(session, steps, modules);
  const catalog = new CatalogState(session.catalog);
  const declared = new Map<string, DeclaredConstraint>();
  for (const row of options.applied) for (const [key, shape] of Object.entries(row.declared)) declared.set(key, shape);
  // Applied migrations after a reapplied one are recorded, not run: what they declare stays theirs.
  const running = new Set(steps.map((file) => file.revision));
  const recordedOnly = new Set(sequence.map((file) => file.revision).filter((revision) => !running.has(revision)));
  // Every call of every migration to run is checked before the first statement (pending-check.ts).
  const recorded = direction === 'up' ? await recordRun(session, catalog, loaded, recordedOnly, options.signal) : undefined;
  refuseProblems(recorded?.problems ?? await checkDownSteps(session, catalog, modules, options.signal), direction);
  const lookahead = recorded?.lookahead;
  if (direction === 'up') await versions.ensure();
  // Where some migration's DDL commits as it goes, what interrupted runs completed (progress-journal.ts).
  const journal = journalFor(session, modules);
  await journal?.load();
  await session.changedByOthers();

  const run = new StepRun({ options, ahead, steps, modules, catalog, declared, journal, lookahead, place });
  // A migration whose commit sent ahead failed as a batch: it runs again, statements sent one at a time.
  let unbatched = -1;
  for (let index = 0; index < steps.length; index++) {
    try {
      await run.migrate(index, index !== unbatched);
    } catch (error) {
      // A failure before the migration's own code ran may be the migration before's, committed ahead.
      const aheadFailed = error instanceof CommitAheadFailed ? error : await ahead.settle().then(() => undefined, (e: unknown) => e);
      if (!(aheadFailed instanceof CommitAheadFailed)) throw error;
      // The migration committed ahead did not commit; nothing of this one reached the server.
      const failed = steps[aheadFailed.index]!;
      const batchFailed = session.transactions.batchFailed?.() === true;
      await session.transactions.rollback().catch(() => undefined);
      catalog.invalidate();
      if (!batchFailed) throw asMigrationError(aheadFailed.cause, failed, run.results);
      ahead.emit(batchRetryWarning(failed, aheadFailed.cause));
      unbatched = aheadFailed.index;
      index = aheadFailed.index - 1;
    }
  }
  await ahead.settle();
  return run.results;
}

/**
 * Imports the migrations side by side (the loader reads and compiles one file
 * while waiting for the next; a fifth faster for a thousand) and reports a
 * failure as a sequential import would: the first failing file in order.
 */
export async function loadAll(steps: MigrationFile[]): Promise<LoadedMigration[]> {
  const settled = await Promise.allSettled(steps.map((step) => loadMigration(step.path, step.realPath)));
  const modules: LoadedMigration[] = [];
  for (const [index, step] of steps.entries()) {
    const outcome = settled[index]!;
    if (outcome.status === 'rejected') throw outcome.reason;
    const module = outcome.value;
    if (module.revision !== step.revision) {
      throw new IdemError('MIGRATION_INVALID', `migration ${step.file} exports revision ${module.revision} but its header reads ${step.revision}`, {
        revision: step.revision, hint: 'export the revision as a plain string literal',
      });
    }
    modules.push(module);
  }
  return modules;
}

/** The look-ahead, and what the check of the recorded calls found. */
export interface RecordedRun {
  lookahead: RunLookahead;
  problems: PendingProblem[];
}

/**
 * The look-ahead pass: every pending `up`, recorded against the catalog as it
 * is now, each call checked (pending-check.ts). `up` runs twice then (code
 * outside `m` too). On a database with no tables nothing can differ from a
 * declaration, so the look-ahead is left empty there, but the calls are still
 * recorded and checked before the first statement. `recordedOnly`: applied
 * migrations a reapply records for the look-ahead, not checked (they ran).
 */
export async function recordRun(
  session: DialectSession, catalog: CatalogState, modules: LoadedMigration[], recordedOnly?: ReadonlySet<string>, signal?: AbortSignal,
): Promise<RecordedRun> {
  const records: RecordedOperation[] = [];
  const problems: PendingProblem[] = [];
  await catalog.load();
  for (const [index, module] of modules.entries()) {
    const checked = !recordedOnly?.has(module.revision);
    const recorder = new RecordingExecutor(session.dialect, catalog, module.url, (sql) => session.countPlaceholders(sql));
    let thrown: unknown;
    try {
      // A migration stuck outside `m` (a sleep, the network) is not waited for once the run is stopped.
      await untilInterrupted(Promise.resolve(module.up(createMigrationContext(recorder))), signal, `while checking ${module.revision}; nothing was sent`);
    } catch (error) {
      if (isIdemError(error) && error.code === 'INTERRUPTED') throw error;
      // A migration that reads data (LookaheadStop) or fails while recording is
      // judged by the live run, which reports any error; what it recorded before
      // the stop still informs the look-ahead.
      thrown = error;
    }
    if (checked) {
      const revision = revisionProblem(module);
      if (revision) problems.push(revision);
      problems.push(...recordedProblems(module, recorder, thrown));
    }
    recorder.operations.forEach((op, i) => records.push({ position: index * POSITIONS_PER_MIGRATION + i + 1, revision: module.revision, op }));
  }
  return { lookahead: new RunLookahead(catalog.isEmpty() ? [] : records, recordedOnly), problems };
}

/** The check of a down path: each `down`, recorded in the order it runs. */
export async function checkDownSteps(
  session: DialectSession, catalog: CatalogState, modules: LoadedMigration[], signal?: AbortSignal,
): Promise<PendingProblem[]> {
  const problems: PendingProblem[] = [];
  await catalog.load();
  for (const module of modules) {
    const recorder = new RecordingExecutor(session.dialect, catalog, module.url, (sql) => session.countPlaceholders(sql));
    let thrown: unknown;
    try {
      await untilInterrupted(Promise.resolve(module.down?.(createMigrationContext(recorder))), signal, `while checking ${module.revision}; nothing was sent`);
    } catch (error) {
      if (isIdemError(error) && error.code === 'INTERRUPTED') throw error;
      thrown = error;
    }
    problems.push(...recordedProblems(module, recorder, thrown));
  }
  return problems;
}
