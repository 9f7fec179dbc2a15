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
import { CommitAhead, CommitAheadFailed } from './commit-ahead.ts';
import type { DeclaredConstraint } from './classify.ts';
import { emptyCounts, type Direction, type EventSink, type IdemEvent, type OutcomeCounts } from './events.ts';
import { LiveExecutor } from './live-executor.ts';
import { RecordingExecutor } from './recording-executor.ts';
import { throwIfInterrupted, untilInterrupted } from './interruption.ts';
import { refuseUnlockedMigrations } from './unlocked-migrations.ts';
import { POSITIONS_PER_MIGRATION, RunLookahead, type RecordedOperation } from './lookahead.ts';
import { journalFor, runsOutsideTransaction } from './progress-journal.ts';
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
  const emit = ahead.emit;
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
  const lookahead = direction === 'up' ? await recordRun(session, catalog, loaded, recordedOnly) : undefined;
  const results: StepResult[] = [];
  if (direction === 'up') await versions.ensure();
  // Where some migration's DDL commits as it goes, what interrupted runs completed (progress-journal.ts).
  const journal = journalFor(session, modules);
  await journal?.load();
  await session.changedByOthers();

  // Version rows of migrations that changed nothing and were not committed on their own
  // (TransactionControl.keep): written again after a failure if the rollback took them.
  let kept: VersionRow[] = [];
  // Where DDL is transactional, kept rows are written only now, in one INSERT with the next commit's:
  // the next migration's changes commit with them or not at all. Where DDL commits as it goes, each was
  // written at once, so the next migration's first DDL commits it: were the run killed after that DDL, a
  // kept migration found unrecorded would be judged again against what the later migration changed.
  const deferRows = session.capabilities.transactionalDdl;
  const commitWithKept = async (transactions: TransactionControl, row?: VersionRow) => {
    const rows = [...(deferRows ? kept : []), ...(row ? [row] : [])];
    // One row (a fresh run's every migration) goes with the COMMIT where the engine allows: one round trip fewer.
    const commitAfter = transactions.executeThenCommit?.bind(transactions);
    if (rows.length === 1 && commitAfter) {
      await versions.insert(rows[0]!, commitAfter);
    } else {
      if (rows.length > 0) await versions.insertMany(rows);
      // Each migration's commit need not wait for the disk: the session waits once, before it closes.
      await (transactions.commitLazily ? transactions.commitLazily() : transactions.commit());
    }
    kept = [];
  };
  // Once another runner may have written (the lock was taken again, a lease lost), the version table
  // read under the lock before the first migration no longer tells what is recorded.
  let othersMayHaveWritten = false;
  // A migration whose commit sent ahead failed as a batch: it runs again, statements sent one at a time.
  let unbatched = -1;
  for (let index = 0; index < steps.length; index++) {
    const file = steps[index]!;
    const module = modules[index]!;
    const run = (direction === 'up' ? module.up : module.down)!;
    // Statements sent in batches (TransactionControl.deferStatements) until a batch fails; then one at a time.
    let batching = index !== unbatched;
    try {
      attempts: for (let attempt = 1; ; attempt++) {
        if (options.signal?.aborted) await ahead.settle();
        throwIfInterrupted(options.signal, `before ${file.revision}; nothing of it ran`);
        const outside = runsOutsideTransaction(session, module);
        const transactions = outside ? NO_TRANSACTION : session.transactions;
        if (outside && kept.length > 0) await commitWithKept(session.transactions);
        await transactions.begin();
        // Another runner may have taken the lock between two migrations: what it
        // did is re-read, never done again, and what its migrations declared (a
        // key met under an init script's name) is known here too.
        const changed = await session.changedByOthers();
        othersMayHaveWritten ||= changed;
        if (changed) {
          catalog.invalidate();
          for (const row of await versions.read()) for (const [key, shape] of Object.entries(row.declared)) declared.set(key, shape);
          await journal?.load();
        }
        // A reapply expects the revision recorded, as `down` does; a plain `up` expects it absent. Asked
        // only where another runner may have written since the caller read the version table under the
        // lock (see othersMayHaveWritten), or a lost race is being retried.
        const doneElsewhere = options.reapply
          ? await reappliedElsewhere(versions, file, options.reapply.onlyIfChanged)
          : othersMayHaveWritten || attempt > 1 ? await doneByAnother(versions, file.revision, direction) : undefined;
        if (doneElsewhere !== undefined) {
          await ahead.settle();
          await commitWithKept(transactions);
          emit({ event: 'warning', code: 'DONE_ELSEWHERE', revision: file.revision, message: `${file.revision} ${doneElsewhere}` });
          break attempts;
        }
        // `transaction` says whether the migration's DDL rolls back with it on failure.
        const transaction = session.capabilities.transactionalDdl && !outside;
        const reapply = options.reapply ? { reapply: true as const } : {};
        emit({ event: 'begin', revision: file.revision, direction, description: file.description, file: file.file, transaction, ...reapply });
        const started = performance.now();
        const counts = emptyCounts();
        const progress = transaction ? undefined : journal?.start(file, direction, emit);
        // A batch's statements reach the server after their operations are reported, at the latest with
        // the COMMIT; like every operation of a transaction, they count only once it commits.
        const batch = transaction && batching && transactions.deferStatements !== undefined;
        if (batch) transactions.deferStatements!();
        const executor = new LiveExecutor({
          session, catalog, revision: file.revision, direction, strict: options.strict, emit, counts, declared, signal: options.signal, progress,
          ...(lookahead ? { lookahead, position: place.get(file.revision)! * POSITIONS_PER_MIGRATION } : {}),
        });
        try {
          await untilInterrupted(Promise.resolve(run(createMigrationContext(executor))), options.signal, `during ${file.revision}`);
          // The migration before, committed ahead, is reported (or gone back to) before this one goes on.
          await ahead.settle();
          // What the engine defers to the end (SQLite's foreign keys) cannot have broken where nothing changed.
          if (counts.applied > 0) await session.verifyMigration();
          const ms = performance.now() - started;
          await progress?.finish();
          const row: VersionRow = {
            revision: file.revision, description: file.description, checksum: file.checksum, durationMs: ms, counts,
            how: 'applied', declared: executor.declaredHere, appliedAt: new Date().toISOString(),
          };
          // A migration that changed nothing but its version row need not commit on its own (adopting an
          // existing schema: every operation skipped): its row is written with the next commit's.
          const keep = transactions.keep && direction === 'up' && !options.reapply && counts.applied === 0 && index < steps.length - 1;
          const result: StepResult = { revision: file.revision, direction, description: file.description, ms: Math.round(ms), ...counts, ...reapply };
          const report = () => {
            results.push(result);
            emit({ event: 'migration', ...result });
          };
          // Its version row and COMMIT sent without waiting, while the next migration runs: only a fresh
          // migration's single row, not the last, and where DDL is transactional only batched (a failure
          // comes back as a batch to run again; a migration run again statement by statement waits).
          if (!keep && (batch || !session.capabilities.transactionalDdl) && direction === 'up' && !options.reapply && kept.length === 0
            && index < steps.length - 1 && session.isRaceError === undefined && transactions.sendThenCommit && transactions.canSendThenCommit?.() === true) {
            ahead.sent(index, versions.insert(row, transactions.sendThenCommit.bind(transactions)), report);
            break attempts;
          }
          if (keep) {
            if (!deferRows) await versions.insert(row);
            await transactions.keep!();
            kept.push(row);
          } else {
            if (direction === 'down') await versions.remove(file.revision);
            else if (options.reapply) await versions.update(row);
            await commitWithKept(transactions, direction === 'up' && !options.reapply ? row : undefined);
          }
          report();
          break attempts;
        } catch (error) {
          // Stop the migration's own code from sending more once we give up on it.
          executor.stop();
          // The failure may be the migration before's, committed ahead: that one goes first.
          if (error instanceof CommitAheadFailed) throw error;
          await ahead.settle();
          const batchFailed = batch && transactions.batchFailed?.() === true;
          await transactions.rollback().catch(() => undefined);
          // What was read inside the rolled-back transaction no longer holds.
          catalog.invalidate();
          if (kept.length > 0) {
            const lost = await recordAgain(session.transactions, versions, kept);
            kept = [];
            if (lost.length > 0) results.splice(results.length - lost.length, lost.length);
          }
          // Statements sent together failed, and the server does not say which: the rollback took them
          // all; the migration runs again with each statement sent on its own, and fails (or not) there.
          if (batchFailed) {
            batching = false;
            emit(batchRetryWarning(file, error));
            continue attempts;
          }
          // Lost a race a multi-primary cluster settled (Galera): its transaction was rolled back whole, or
          // another runner recorded it first. Run it again: the re-read above skips it if it is done now,
          // and every operation that already holds is skipped.
          if (attempt < RACE_ATTEMPTS && session.isRaceError?.(error)) {
            emit({
              event: 'warning', code: 'RACE_RETRY', revision: file.revision,
              message: `${file.revision} lost a race with a concurrent write on the cluster (${(error as Error)?.message ?? String(error)}); running it again (attempt ${attempt + 1} of ${RACE_ATTEMPTS})`,
            });
            await new Promise((resolve) => setTimeout(resolve, 100 * attempt * (1 + Math.random())));
            await journal?.load(); // the journal rows written in the rolled-back transaction are gone too
            continue attempts; // the same migration again, from BEGIN
          }
          throw asMigrationError(interruptionSaysWhatHappened(error, transaction), file, results);
        }
      }
    } catch (error) {
      // A failure before the migration's own code ran may be the migration before's, committed ahead.
      const aheadFailed = error instanceof CommitAheadFailed ? error : await ahead.settle().then(() => undefined, (e: unknown) => e);
      if (!(aheadFailed instanceof CommitAheadFailed)) throw error;
      // The migration committed ahead did not commit; nothing of this one reached the server.
      const failed = steps[aheadFailed.index]!;
      const batchFailed = session.transactions.batchFailed?.() === true;
      await session.transactions.rollback().catch(() => undefined);
      catalog.invalidate();
      if (!batchFailed) throw asMigrationError(aheadFailed.cause, failed, results);
      emit(batchRetryWarning(failed, aheadFailed.cause));
      unbatched = aheadFailed.index;
      index = aheadFailed.index - 1;
    }
  }
  await ahead.settle();
  return results;
}

/** Statements sent together failed, and the server does not say which: the migration runs again, one at a time. */
function batchRetryWarning(file: MigrationFile, error: unknown): IdemEvent {
  return {
    event: 'warning', code: 'BATCH_RETRY', revision: file.revision,
    message: `${file.revision}: its statements, sent together, failed (${(error as Error)?.message ?? String(error)}); rolled back (the operations reported above did not happen), running it again one statement at a time`,
  };
}

/** A version row as the run writes it: `appliedAt` is when the migration ended, whenever the row is written. */
type VersionRow = Omit<AppliedRevision, 'appliedAt'> & { appliedAt: string };

/**
 * After a failure, the version rows of the kept migrations before it (they
 * changed nothing, and ran to their end): those the rollback took with it
 * are written again, in a transaction of their own. Returns the ones that
 * could not be, which are not recorded (the next run checks them again).
 */
async function recordAgain(transactions: TransactionControl, versions: VersionTable, rows: VersionRow[]): Promise<VersionRow[]> {
  try {
    await transactions.begin();
    for (const row of rows) if (!(await versions.isRecorded(row.revision))) await versions.insert(row);
    await transactions.commit();
    return [];
  } catch {
    await transactions.rollback().catch(() => undefined);
    return rows;
  }
}

/** Whether another runner applied (or reverted) this revision meanwhile; undefined: run it. */
async function doneByAnother(versions: VersionTable, revision: string, direction: Direction): Promise<string | undefined> {
  if ((await versions.isRecorded(revision)) === (direction === 'down')) return undefined;
  return `was ${direction === 'up' ? 'applied' : 'reverted'} by another runner meanwhile`;
}

/**
 * Why a reapply step is no longer wanted, under the lock: the revision was
 * reverted meanwhile, or (for --reapply-changed) another runner already ran
 * the file as it is now. Undefined: run it.
 */
async function reappliedElsewhere(versions: VersionTable, file: MigrationFile, onlyIfChanged: ReadonlySet<string>): Promise<string | undefined> {
  const checksum = await versions.recordedChecksum(file.revision);
  if (checksum === undefined) return 'is no longer applied (reverted by another runner meanwhile); not reapplied';
  if (onlyIfChanged.has(file.revision) && checksum === file.checksum) return 'was reapplied by another runner meanwhile';
  return undefined;
}

/** An interruption's message says whether the migration's work was rolled back or stays. */
function interruptionSaysWhatHappened(error: unknown, transaction: boolean): unknown {
  if (!isIdemError(error) || error.code !== 'INTERRUPTED') return error;
  const outcome = transaction ? 'it was rolled back' : 'what ran before the interruption stays (this engine cannot roll DDL back)';
  return new IdemError('INTERRUPTED', `${error.message}; ${outcome}`, { hint: error.hint });
}

/** Runs of one migration that lost a race (isRaceError) before its failure is reported. */
const RACE_ATTEMPTS = 3;

const NO_TRANSACTION: TransactionControl = { begin: async () => {}, commit: async () => {}, rollback: async () => {} };

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

/**
 * The look-ahead pass: every pending `up`, recorded against the catalog as it
 * is now. `up` runs twice then (code outside `m` too); on a database with no
 * tables nothing can differ from a declaration, so the pass is skipped.
 */
export async function recordRun(
  session: DialectSession, catalog: CatalogState, modules: LoadedMigration[], recordedOnly?: ReadonlySet<string>,
): Promise<RunLookahead> {
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
  return new RunLookahead(records, recordedOnly);
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

