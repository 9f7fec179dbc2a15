/**
 * The migrations of one applySteps call, run one at a time: each in its own
 * transaction where the engine has them, its version row committed with it.
 * A migration is tried again where the failure says it may succeed: statements
 * sent together failed (run it one statement at a time), or a multi-primary
 * cluster settled a race against it (run it again from BEGIN). Between
 * migrations, what another runner did meanwhile is read again, never redone.
 */
import type { DialectSession, TransactionControl } from '../dialect/dialect.ts';
import { describeThrown, IdemError, isIdemError } from '../errors.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import { thrownAt, type LoadedMigration } from '../files/migration-loader.ts';
import { createMigrationContext } from '../plan/migration-context.ts';
import type { ApplyOptions, StepResult } from './apply-steps.ts';
import type { CatalogState } from './catalog-state.ts';
import type { DeclaredConstraint } from './classify.ts';
import { CommitAheadFailed, type CommitAhead } from './commit-ahead.ts';
import { emptyCounts, type Direction, type EventSink, type IdemEvent } from './events.ts';
import { throwIfInterrupted, untilInterrupted } from './interruption.ts';
import { LiveExecutor } from './live-executor.ts';
import { POSITIONS_PER_MIGRATION, type RunLookahead } from './lookahead.ts';
import { runsOutsideTransaction, type ProgressJournal } from './progress-journal.ts';
import type { AppliedRevision, VersionTable } from './version-table.ts';

/** What applySteps prepared for the run: the modules, the catalog, the look-ahead, the journal. */
export interface StepRunSetup {
  options: ApplyOptions;
  /** Holds the run's events while a commit is in flight (commit-ahead.ts). */
  ahead: CommitAhead;
  steps: MigrationFile[];
  modules: LoadedMigration[];
  catalog: CatalogState;
  /** Constraint shapes applied migrations declared, keyed `table.name`. */
  declared: Map<string, DeclaredConstraint>;
  journal: ProgressJournal | undefined;
  lookahead: RunLookahead | undefined;
  /** Each revision's place in the look-ahead's sequence. */
  place: Map<string, number>;
}

/** A version row as the run writes it: `appliedAt` is when the migration ended, whenever the row is written. */
export type VersionRow = Omit<AppliedRevision, 'appliedAt'> & { appliedAt: string };

/** What one attempt at a migration came to. */
type Attempt = 'done' | 'again' | 'again one statement at a time';

/** Runs of one migration that lost a race (isRaceError) before its failure is reported. */
const RACE_ATTEMPTS = 3;

const NO_TRANSACTION: TransactionControl = { begin: async () => {}, commit: async () => {}, rollback: async () => {} };

export class StepRun {
  readonly results: StepResult[] = [];
  readonly #setup: StepRunSetup;
  readonly #session: DialectSession;
  readonly #versions: VersionTable;
  readonly #direction: Direction;
  readonly #emit: EventSink;
  /**
   * Version rows of migrations that changed nothing and were not committed on
   * their own (TransactionControl.keep): written again after a failure if the
   * rollback took them.
   */
  #kept: VersionRow[] = [];
  /**
   * Where DDL is transactional, kept rows are written only with the next
   * commit, in one INSERT: the next migration's changes commit with them or
   * not at all. Where DDL commits as it goes, each was written at once, so the
   * next migration's first DDL commits it: were the run killed after that DDL,
   * a kept migration found unrecorded would be judged again against what the
   * later migration changed.
   */
  readonly #deferRows: boolean;
  /**
   * Once another runner may have written (the lock was taken again, a lease
   * lost), the version table read under the lock before the first migration
   * no longer tells what is recorded.
   */
  #othersMayHaveWritten = false;

  constructor(setup: StepRunSetup) {
    this.#setup = setup;
    this.#session = setup.options.session;
    this.#versions = setup.options.versions;
    this.#direction = setup.options.direction;
    this.#emit = setup.ahead.emit;
    this.#deferRows = this.#session.capabilities.transactionalDdl;
  }

  /**
   * Runs step `index` until it is done, sent ahead with its COMMIT, or found
   * done by another runner. `batching`: its statements may be sent together
   * (TransactionControl.deferStatements) until a batch fails.
   */
  async migrate(index: number, batching: boolean): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(index, attempt, batching);
      if (outcome === 'done') return;
      if (outcome === 'again one statement at a time') batching = false;
    }
  }

  async #attempt(index: number, attempt: number, batching: boolean): Promise<Attempt> {
    const { options, ahead, steps, modules, catalog, declared, journal, lookahead, place } = this.#setup;
    const file = steps[index]!;
    const module = modules[index]!;
    const direction = this.#direction;
    if (options.signal?.aborted) await ahead.settle();
    throwIfInterrupted(options.signal, `before ${file.revision}; nothing of it ran`);
    const outside = runsOutsideTransaction(this.#session, module);
    const transactions = outside ? NO_TRANSACTION : this.#session.transactions;
    if (outside && this.#kept.length > 0) await this.#commitWithKept(this.#session.transactions);
    await transactions.begin();
    if (await this.#doneElsewhere(file, transactions, attempt)) return 'done';

    // `transaction` says whether the migration's DDL rolls back with it on failure.
    const transaction = this.#session.capabilities.transactionalDdl && !outside;
    const reapply = options.reapply ? { reapply: true as const } : {};
    this.#emit({ event: 'begin', revision: file.revision, direction, description: file.description, file: file.file, transaction, ...reapply });
    const started = performance.now();
    const counts = emptyCounts();
    const progress = transaction ? undefined : journal?.start(file, direction, this.#emit);
    // A batch's statements reach the server after their operations are reported, at the latest with
    // the COMMIT; like every operation of a transaction, they count only once it commits.
    const batch = transaction && batching && transactions.deferStatements !== undefined;
    if (batch) transactions.deferStatements!();
    const executor = new LiveExecutor({
      session: this.#session, catalog, revision: file.revision, direction, strict: options.strict, emit: this.#emit, counts, declared,
      signal: options.signal, progress,
      ...(lookahead ? { lookahead, position: place.get(file.revision)! * POSITIONS_PER_MIGRATION } : {}),
    });
    try {
      const run = (direction === 'up' ? module.up : module.down)!;
      await untilInterrupted(Promise.resolve(run(createMigrationContext(executor))), options.signal, `during ${file.revision}`);
      // The migration before, committed ahead, is reported (or gone back to) before this one goes on.
      await ahead.settle();
      // What the engine defers to the end (SQLite's foreign keys) cannot have broken where nothing changed.
      if (counts.applied > 0) await this.#session.verifyMigration();
      const ms = performance.now() - started;
      await progress?.finish();
      const row: VersionRow = {
        revision: file.revision, description: file.description, checksum: file.checksum, durationMs: ms, counts,
        how: 'applied', declared: executor.declaredHere, appliedAt: new Date().toISOString(),
      };
      const result: StepResult = { revision: file.revision, direction, description: file.description, ms: Math.round(ms), ...counts, ...reapply };
      await this.#record(index, row, transactions, batch, result);
      return 'done';
    } catch (error) {
      // Stop the migration's own code from sending more once we give up on it.
      executor.stop();
      return await this.#afterFailure(error, file, transactions, batch, attempt, transaction);
    }
  }

  /**
   * Whether step `file` needs no run: another runner may have taken the lock
   * between two migrations. What it did is re-read, never done again, and
   * what its migrations declared (a key met under an init script's name) is
   * known here too.
   */
  async #doneElsewhere(file: MigrationFile, transactions: TransactionControl, attempt: number): Promise<boolean> {
    const { options, ahead, catalog, declared, journal } = this.#setup;
    const changed = await this.#session.changedByOthers();
    this.#othersMayHaveWritten ||= changed;
    if (changed) {
      catalog.invalidate();
      for (const row of await this.#versions.read()) for (const [key, shape] of Object.entries(row.declared)) declared.set(key, shape);
      await journal?.load();
    }
    // A reapply expects the revision recorded, as `down` does; a plain `up` expects it absent. Asked
    // only where another runner may have written since the caller read the version table under the
    // lock (see #othersMayHaveWritten), or a lost race is being retried.
    const why = options.reapply
      ? await reappliedElsewhere(this.#versions, file, options.reapply.onlyIfChanged)
      : this.#othersMayHaveWritten || attempt > 1 ? await doneByAnother(this.#versions, file.revision, this.#direction) : undefined;
    if (why === undefined) return false;
    await ahead.settle();
    await this.#commitWithKept(transactions);
    this.#emit({ event: 'warning', code: 'DONE_ELSEWHERE', revision: file.revision, message: `${file.revision} ${why}` });
    return true;
  }

  /** The migration ran to its end: its version row goes in (or out, for `down`) and it commits, or is kept. */
  async #record(index: number, row: VersionRow, transactions: TransactionControl, batch: boolean, result: StepResult): Promise<void> {
    const { options, ahead, steps } = this.#setup;
    const direction = this.#direction;
    const last = index === steps.length - 1;
    // A migration that changed nothing but its version row need not commit on its own (adopting an
    // existing schema: every operation skipped): its row is written with the next commit's.
    const keep = transactions.keep && direction === 'up' && !options.reapply && result.applied === 0 && !last;
    const report = () => {
      this.results.push(result);
      this.#emit({ event: 'migration', ...result });
    };
    // Its version row and COMMIT sent without waiting, while the next migration runs: only a fresh
    // migration's single row, not the last, and where DDL is transactional only batched (a failure
    // comes back as a batch to run again; a migration run again statement by statement waits).
    if (!keep && (batch || !this.#session.capabilities.transactionalDdl) && direction === 'up' && !options.reapply && this.#kept.length === 0
      && !last && this.#session.isRaceError === undefined && transactions.sendThenCommit && transactions.canSendThenCommit?.() === true) {
      ahead.sent(index, this.#versions.insert(row, transactions.sendThenCommit.bind(transactions)), report);
      return;
    }
    if (keep) {
      if (!this.#deferRows) await this.#versions.insert(row);
      await transactions.keep!();
      this.#kept.push(row);
    } else {
      if (direction === 'down') await this.#versions.remove(row.revision);
      else if (options.reapply) await this.#versions.update(row);
      await this.#commitWithKept(transactions, direction === 'up' && !options.reapply ? row : undefined);
    }
    report();
  }

  /** The attempt failed: rolled back, and either tried again or reported. */
  async #afterFailure(
    error: unknown, file: MigrationFile, transactions: TransactionControl, batch: boolean, attempt: number, transaction: boolean,
  ): Promise<Attempt> {
    const { ahead, catalog, journal } = this.#setup;
    // The failure may be the migration before's, committed ahead: that one goes first.
    if (error instanceof CommitAheadFailed) throw error;
    await ahead.settle();
    const batchFailed = batch && transactions.batchFailed?.() === true;
    await transactions.rollback().catch(() => undefined);
    // What was read inside the rolled-back transaction no longer holds.
    catalog.invalidate();
    if (this.#kept.length > 0) {
      const lost = await recordAgain(this.#session.transactions, this.#versions, this.#kept);
      this.#kept = [];
      if (lost.length > 0) this.results.splice(this.results.length - lost.length, lost.length);
    }
    // Statements sent together failed, and the server does not say which: the rollback took them
    // all; the migration runs again with each statement sent on its own, and fails (or not) there.
    if (batchFailed) {
      this.#emit(batchRetryWarning(file, error));
      return 'again one statement at a time';
    }
    // Lost a race a multi-primary cluster settled (Galera): its transaction was rolled back whole, or
    // another runner recorded it first. Run it again: the re-read skips it if it is done now, and
    // every operation that already holds is skipped.
    if (attempt < RACE_ATTEMPTS && this.#session.isRaceError?.(error)) {
      this.#emit({
        event: 'warning', code: 'RACE_RETRY', revision: file.revision,
        message: `${file.revision} lost a race with a concurrent write on the cluster (${(error as Error)?.message ?? String(error)}); running it again (attempt ${attempt + 1} of ${RACE_ATTEMPTS})`,
      });
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt * (1 + Math.random())));
      await journal?.load(); // the journal rows written in the rolled-back transaction are gone too
      return 'again'; // the same migration, from BEGIN
    }
    throw asMigrationError(interruptionSaysWhatHappened(error, transaction), file, this.results);
  }

  /** Commits, with the kept rows (where they wait for a commit) and this migration's row. */
  async #commitWithKept(transactions: TransactionControl, row?: VersionRow): Promise<void> {
    const rows = [...(this.#deferRows ? this.#kept : []), ...(row ? [row] : [])];
    // One row (a fresh run's every migration) goes with the COMMIT where the engine allows: one round trip fewer.
    const commitAfter = transactions.executeThenCommit?.bind(transactions);
    if (rows.length === 1 && commitAfter) {
      await this.#versions.insert(rows[0]!, commitAfter);
    } else {
      if (rows.length > 0) await this.#versions.insertMany(rows);
      // Each migration's commit need not wait for the disk: the session waits once, before it closes.
      await (transactions.commitLazily ? transactions.commitLazily() : transactions.commit());
    }
    this.#kept = [];
  }
}

/** Statements sent together failed, and the server does not say which: the migration runs again, one at a time. */
export function batchRetryWarning(file: MigrationFile, error: unknown): IdemEvent {
  return {
    event: 'warning', code: 'BATCH_RETRY', revision: file.revision,
    message: `${file.revision}: its statements, sent together, failed (${(error as Error)?.message ?? String(error)}); rolled back (the operations reported above did not happen), running it again one statement at a time`,
  };
}

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

/** A migration's failure as the run reports it: which migration, and what completed before it. */
export function asMigrationError(error: unknown, file: MigrationFile, before: StepResult[]): IdemError {
  const wrapped = isIdemError(error)
    ? error.within(file.revision)
    : new IdemError('OPERATION_FAILED', `migration ${thrownAt(error, [file.realPath, file.path]) ?? file.file} threw: ${describeThrown(error)}`, {
      revision: file.revision, cause: error, hint: 'fix the migration, then re-run: operations that already hold are skipped',
    });
  return new IdemError(wrapped.code, wrapped.message, {
    revision: wrapped.revision, operation: wrapped.operation, sql: wrapped.sql, hint: wrapped.hint, cause: wrapped.cause,
    data: { ...wrapped.data, completed: before },
  });
}
