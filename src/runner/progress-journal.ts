/**
 * The progress journal: for a migration that runs without a transaction
 * around its DDL (every migration on MySQL and MariaDB, where each DDL
 * statement commits; a PostgreSQL migration that opts out of its
 * transaction), which of its operations completed, so a run killed midway is
 * resumed after them instead of judged again from the first one.
 *
 * Judging again is not enough there: the migration's own later operations
 * changed what its earlier ones look at. Killed after `addColumn t.a;
 * dropTable t`, a re-run meets `addColumn` with `t` gone; after
 * `dropColumn t.c; addColumn t.c; <write t.c>`, it would drop the new column
 * and its data. Where the migration's transaction rolls everything back
 * (SQLite, PostgreSQL), nothing is journaled: there is nothing to resume.
 *
 * One row per interrupted (revision, direction) in `idem_progress`: the
 * file's checksum and the operations done, in order, as `kind target`. It is
 * written when an operation changed the database, and, once the journal is
 * kept (see below), after one judged done or in drift too: what follows it
 * may change what it would meet (a resumed run finds `renameTable t4 -> t1`
 * done, then creates a new `t4`; judged again, the rename would meet both).
 * It is deleted with
 * the version row's write, in the same transaction. The write waits for the
 * migration's next operation: on MySQL it then commits with that
 * operation's DDL, as it would have anyway, and after the last operation it
 * is never needed (the version row commits with it), so a migration of one
 * operation writes nothing. An operation that ran but is not journaled yet
 * is judged again on a re-run; nothing after it that stayed can have changed
 * what it meets.
 *
 * Nor is anything written while a migration has only created what it names
 * (a table, a column, an index, a key): judged again, each such operation
 * finds what it made and skips, as adoption judges them, since none of them
 * changes what an earlier one looks at. Any other operation may (a dropTable
 * after an addColumn on that table; a guarded write after another one whose
 * condition it makes true again): before one runs, everything done so far is
 * written, and from then on the journal is kept as above.
 */
import type { DialectSession } from '../dialect/dialect.ts';
import type { OperationResult } from '../plan/migration-context.ts';
import type { OperationKind } from '../plan/operations.ts';
import type { Direction, EventSink } from './events.ts';
import { queryOwnTable } from './own-reads.ts';

export const PROGRESS_TABLE = 'idem_progress';

/**
 * Operations a re-run may judge again as long as only operations of these
 * kinds ran after them: each finds what it made. A data write is not one of
 * them, guarded or not: a later write can make its condition true again (an
 * UPDATE of every row up to id 9 whose value is not yet 'v', then an INSERT
 * of row 5 without one; judged again, the UPDATE rewrites row 5).
 */
const JUDGED_AGAIN_SAFELY: ReadonlySet<OperationKind> = new Set(['createTable', 'addColumn', 'createIndex', 'addUnique', 'addForeignKey']);

/** An operation an interrupted run of this migration completed: passed over, not judged again. */
export const RESUMED: OperationResult = { outcome: 'skipped', detail: 'done by an interrupted run' };

/** What an interrupted run of one migration left. */
export interface InterruptedMigration {
  revision: string;
  direction: Direction;
  /** The file's checksum when it ran: a different one now means the file changed since. */
  checksum: string;
  /** Operations it completed, in order, as `kind target`. */
  done: string[];
  updatedAt: string;
}

/**
 * Whether a migration runs outside a transaction: it opted out, where the
 * engine can run DDL outside one and some DDL must (PostgreSQL's CREATE INDEX
 * CONCURRENTLY).
 */
export function runsOutsideTransaction(session: DialectSession, module: { transaction?: boolean }): boolean {
  return module.transaction === false && session.capabilities.optionalTransactions;
}

/** A journal where some of these migrations' DDL commits as it goes; none where every migration rolls back whole. */
export function journalFor(session: DialectSession, modules: ReadonlyArray<{ transaction?: boolean }>): ProgressJournal | undefined {
  const needed = !session.capabilities.transactionalDdl || modules.some((module) => runsOutsideTransaction(session, module));
  return needed ? new ProgressJournal(session) : undefined;
}

export class ProgressJournal {
  readonly #session: DialectSession;
  #entries = new Map<string, InterruptedMigration>();
  #tableExists = false;

  constructor(session: DialectSession) {
    this.#session = session;
  }

  /**
   * Reads what interrupted runs left. `create`: make the table when missing,
   * before any migration's transaction (it is DDL); `idem plan` only reads.
   */
  async load(options: { create: boolean } = { create: true }): Promise<void> {
    this.#tableExists ||= await this.#session.catalog.hasTable(PROGRESS_TABLE);
    if (!this.#tableExists) {
      this.#entries = new Map();
      if (!options.create) return;
      for (const statement of this.#session.ddl.createProgressTable(PROGRESS_TABLE)) {
        await this.#session.driver.execute(statement.sql, statement.params);
      }
      this.#tableExists = true;
      return;
    }
    const rows = await queryOwnTable<Record<string, unknown>>(
      this.#session,
      `SELECT revision, direction, checksum, done, updated_at FROM ${this.#session.quoteIdentifier(PROGRESS_TABLE)} ORDER BY updated_at`,
    );
    this.#entries = new Map(rows.map((row) => {
      const entry: InterruptedMigration = {
        revision: String(row.revision), direction: String(row.direction) === 'down' ? 'down' : 'up',
        checksum: String(row.checksum), done: parseDone(String(row.done ?? '')), updatedAt: String(row.updated_at),
      };
      return [key(entry.revision, entry.direction), entry];
    }));
  }

  /** What the last load found (and this run wrote since): the migrations left half-done. */
  interrupted(): InterruptedMigration[] {
    return [...this.#entries.values()];
  }

  /**
   * The progress of one migration about to run: what an interrupted run of
   * the same file completed (said in a warning), or nothing to resume.
   */
  start(file: { revision: string; checksum: string }, direction: Direction, emit: EventSink): MigrationProgress {
    const entry = this.#entries.get(key(file.revision, direction));
    let resume: string[] = [];
    if (entry && entry.checksum === file.checksum && entry.done.length > 0) {
      resume = entry.done;
      emit({
        event: 'warning', code: 'RESUMED', revision: file.revision,
        message: `${file.revision} was interrupted after ${entry.done.length} operation(s) that changed the database; `
          + 'they are not run again, and the run resumes after them',
      });
    } else if (entry && entry.checksum !== file.checksum) {
      emit({
        event: 'warning', code: 'PROGRESS_STALE', revision: file.revision,
        message: `${file.revision} was interrupted after ${entry.done.length} operation(s), but its file changed since; `
          + 'every operation is judged again against the database',
        hint: 'when an edited migration meets what its own later operations did, fix the database by hand, then re-run `idem up`',
      });
    }
    return new MigrationProgress(this, file, direction, resume, entry !== undefined);
  }

  /** Writes (or rewrites) the row for one migration. */
  async write(revision: string, direction: Direction, checksum: string, done: string[], exists: boolean): Promise<void> {
    const q = (name: string) => this.#session.quoteIdentifier(name);
    const text = JSON.stringify(done);
    const at = new Date().toISOString();
    const sql = exists
      ? `UPDATE ${q(PROGRESS_TABLE)} SET checksum = ?, done = ?, updated_at = ? WHERE revision = ? AND direction = ?`
      : `INSERT INTO ${q(PROGRESS_TABLE)} (checksum, done, updated_at, revision, direction) VALUES (?, ?, ?, ?, ?)`;
    await this.#session.driver.execute(this.#session.bindPlaceholders(sql), [checksum, text, at, revision, direction]);
    this.#entries.set(key(revision, direction), { revision, direction, checksum, done: [...done], updatedAt: at });
  }

  async clear(revision: string, direction: Direction): Promise<void> {
    const sql = `DELETE FROM ${this.#session.quoteIdentifier(PROGRESS_TABLE)} WHERE revision = ? AND direction = ?`;
    await this.#session.driver.execute(this.#session.bindPlaceholders(sql), [revision, direction]);
    this.#entries.delete(key(revision, direction));
  }
}

/** One migration's run: which operations to pass over as done, and what this run completed. */
export class MigrationProgress {
  readonly #journal: ProgressJournal;
  readonly #file: { revision: string; checksum: string };
  readonly #direction: Direction;
  #resume: string[];
  readonly #done: string[] = [];
  #rowExists: boolean;
  /** `#done` holds an operation that changed the database and is not written yet. */
  #unwritten = false;
  /** An operation outside JUDGED_AGAIN_SAFELY is running or ran: from now on progress is written. */
  #needed = false;

  constructor(journal: ProgressJournal, file: { revision: string; checksum: string }, direction: Direction, resume: string[], rowExists: boolean) {
    this.#journal = journal;
    this.#file = file;
    this.#direction = direction;
    this.#resume = [...resume];
    this.#rowExists = rowExists;
  }

  /**
   * Whether this operation is the next one the interrupted run completed.
   * Once the migration's code calls something else (it branched on what it
   * read), nothing more is passed over: the rest is judged against the database.
   */
  resumes(operation: string): boolean {
    if (this.#resume[0] !== operation) {
      this.#resume = [];
      return false;
    }
    this.#resume.shift();
    this.#done.push(operation);
    return true;
  }

  /**
   * After an operation: to be journaled (before the next one) when it
   * changed the database, or when the journal is kept at all: an operation
   * judged done is done too, and what follows may change what it would meet.
   */
  completed(operation: string, changed: boolean): void {
    this.#done.push(operation);
    this.#unwritten ||= changed || this.#needed || this.#rowExists;
  }

  /**
   * Before an operation of this kind runs: what the ones before it changed
   * is written first, unless only operations a re-run can judge again ran so
   * far and this is one too (and no row of an interrupted run is carried on).
   */
  async beforeNext(kind: OperationKind): Promise<void> {
    this.#needed ||= !JUDGED_AGAIN_SAFELY.has(kind);
    if (!this.#unwritten || !(this.#needed || this.#rowExists)) return;
    await this.#journal.write(this.#file.revision, this.#direction, this.#file.checksum, this.#done, this.#rowExists);
    this.#rowExists = true;
    this.#unwritten = false;
  }

  /** The migration is recorded (or its record removed): its row goes, in the same transaction. */
  async finish(): Promise<void> {
    if (this.#rowExists) await this.#journal.clear(this.#file.revision, this.#direction);
  }
}

function key(revision: string, direction: Direction): string {
  return `${direction} ${revision}`;
}

function parseDone(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.map(String) : [];
  } catch {
    // A row written by hand: nothing to resume, every operation judged again.
    return [];
  }
}
