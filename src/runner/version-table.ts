/**
 * The version table: one row per applied revision, with its checksum, when
 * and how long it ran, what its operations did, and the shapes they declared
 * (so a later drop by name can find a key an init script named its own way).
 * Writes check that exactly one row changed, as Alembic's do.
 */
import type { DialectSession, ExecResult } from '../dialect/dialect.ts';
import { IdemError, isIdemError } from '../errors.ts';
import type { DeclaredConstraint } from './classify.ts';
import type { OutcomeCounts } from './events.ts';
import { queryOwnTable } from './own-reads.ts';
import { checkVersionRows, missingColumns, VERSION_COLUMNS, VERSION_ROW_PROBE, type ProbedRow } from './version-table-check.ts';

export const VERSION_TABLE = 'idem_version';

/** What a start compares with the files: the revision and its file's checksum when it was applied. */
export interface AppliedChecksum {
  revision: string;
  checksum: string;
}

export interface AppliedRevision extends AppliedChecksum {
  description: string;
  appliedAt: string;
  durationMs: number;
  counts: OutcomeCounts;
  /** 'stamped' when recorded by `idem stamp` without running. */
  how: 'applied' | 'stamped';
  /** Constraint shapes the migration declared, keyed `table.name`. */
  declared: Record<string, DeclaredConstraint>;
}

export class VersionTable {
  readonly #session: DialectSession;
  #exists: boolean | undefined;

  /** `exists`: what the caller already asked of the catalog, so the question is not sent twice. */
  constructor(session: DialectSession, exists?: boolean) {
    this.#session = session;
    if (exists) this.#exists = true;
  }

  /**
   * Only a "yes" is remembered: the table never disappears under idem, but
   * another runner may create it while this one waits for the lock.
   */
  async exists(): Promise<boolean> {
    if (this.#exists) return true;
    this.#exists = await this.#session.catalog.hasTable(VERSION_TABLE);
    return this.#exists;
  }

  async ensure(): Promise<void> {
    if (await this.exists()) return;
    for (const statement of this.#session.ddl.createVersionTable(VERSION_TABLE)) {
      await this.#session.driver.execute(statement.sql, statement.params);
    }
    this.#exists = true;
  }

  /** Applied revisions, oldest first. An absent table means nothing applied yet. */
  async read(): Promise<AppliedRevision[]> {
    const rows = await this.#readAll<Record<string, unknown>>('revision, description, checksum, applied_at, duration_ms, applied, skipped, drift, operations');
    return rows.map((row) => {
      // Parsed when asked for: `up` with nothing to do reads every row and needs none of it.
      let record: ReturnType<typeof parseOperations> | undefined;
      const operations = () => (record ??= parseOperations(String(row.operations ?? '')));
      return {
        revision: String(row.revision),
        description: String(row.description),
        checksum: String(row.checksum),
        appliedAt: String(row.applied_at),
        durationMs: Number(row.duration_ms),
        counts: { applied: Number(row.applied), skipped: Number(row.skipped), drift: Number(row.drift) },
        get how() { return operations().how; },
        get declared() { return operations().declared; },
      };
    });
  }

  /**
   * Revisions and checksums only, oldest first: what `up` with nothing to do
   * compares with the files. The rest of each row (its operations above all)
   * is a third of the bytes and most of the decoding.
   */
  async readChecksums(): Promise<AppliedChecksum[]> {
    const rows = await this.#readAll<{ revision: unknown; checksum: unknown }>('revision, checksum');
    return rows.map((row) => ({ revision: String(row.revision), checksum: String(row.checksum) }));
  }

  /**
   * These columns of every row, oldest first; none where the table does not
   * exist (nothing applied yet). Every read goes through here and through
   * checkVersionRows, which refuses a damaged table (a revision twice, an
   * empty one, a column dropped or NULL) over the rows this query fetched:
   * the probe column costs no query of its own. A table whose columns are not
   * this idem's says so (VERSION_TABLE_INVALID).
   */
  async #readAll<T extends Record<string, unknown>>(columns: string): Promise<T[]> {
    if (!(await this.exists())) return [];
    const table = this.#session.quoteIdentifier(VERSION_TABLE);
    const sql = `SELECT ${columns}, seq, ${VERSION_ROW_PROBE} FROM ${table} ORDER BY seq`;
    let rows: Array<T & ProbedRow>;
    try {
      rows = await queryOwnTable<T & ProbedRow>(this.#session, sql);
    } catch (error) {
      // A lost connection, or a read a cluster aborted more often than it is retried, says so itself.
      if (isIdemError(error) || this.#session.isRaceError?.(error)) throw error;
      // Some of idem's columns gone (dropped by hand) is damage to name; none of them, another tool's table.
      throw missingColumns(VERSION_TABLE, await this.#columnNames(), sql, error)
        ?? new IdemError('VERSION_TABLE_INVALID', `the table ${VERSION_TABLE} exists but is not the version table this idem keeps`, {
          sql, cause: error,
          hint: `if another tool owns ${VERSION_TABLE}, point idem at another database or schema; if it is idem's from an older build, `
            + `rename it away (its revisions are then adopted: \`idem up\` re-checks every operation and skips what holds)`,
        });
    }
    checkVersionRows(VERSION_TABLE, rows);
    return rows;
  }

  /**
   * The version table's columns, after a failed read: the names of one row
   * (the catalog readers leave idem's own tables out); none when the table is
   * empty or this read fails too.
   */
  async #columnNames(): Promise<string[]> {
    try {
      const [row] = await queryOwnTable(this.#session, `SELECT * FROM ${this.#session.quoteIdentifier(VERSION_TABLE)} LIMIT 1`);
      return row === undefined ? [] : Object.keys(row);
    } catch {
      return [];
    }
  }

  /** Whether this revision is recorded now: re-checked under the lock before each migration. */
  async isRecorded(revision: string): Promise<boolean> {
    if (!(await this.exists())) return false;
    const sql = this.#session.bindPlaceholders(`SELECT 1 AS one FROM ${this.#session.quoteIdentifier(VERSION_TABLE)} WHERE revision = ?`);
    return (await queryOwnTable(this.#session, sql, [revision])).length > 0;
  }

  /**
   * `seq` keeps the order revisions were applied in (timestamps tie within a
   * millisecond); it is computed in the same statement, under the run lock.
   * `send`: how the statement goes, the driver's execute() unless the caller
   * sends it with the transaction's COMMIT.
   */
  async insert(entry: Omit<AppliedRevision, 'appliedAt'> & { appliedAt?: string }, send: SendStatement = this.#execute): Promise<void> {
    const q = (name: string) => this.#session.quoteIdentifier(name);
    const sql = this.#session.bindPlaceholders(
      `INSERT INTO ${q(VERSION_TABLE)} (${ROW_COLUMNS.join(', ')}, seq) `
      + `SELECT ${ROW_COLUMNS.map(() => '?').join(', ')}, COALESCE(MAX(seq), 0) + 1 FROM ${q(VERSION_TABLE)}`,
    );
    const result = await send(sql, rowValues(entry));
    expectOneRow(result.rowsAffected, 'record', entry.revision);
  }

  readonly #execute: SendStatement = (sql, params) => this.#session.driver.execute(sql, params);

  /**
   * Several rows in as few statements as the engines' parameter limits allow
   * (a run that adopts a thousand migrations writes their rows together), in
   * order; `seq` continues from the table's highest, read once under the lock.
   */
  async insertMany(entries: ReadonlyArray<Omit<AppliedRevision, 'appliedAt'> & { appliedAt?: string }>): Promise<void> {
    // One row (each migration of a fresh run): one statement, seq computed in it.
    if (entries.length === 1) return this.insert(entries[0]!);
    const q = (name: string) => this.#session.quoteIdentifier(name);
    const [top] = await queryOwnTable<{ seq: unknown }>(this.#session, `SELECT COALESCE(MAX(seq), 0) AS seq FROM ${q(VERSION_TABLE)}`);
    let seq = Number(top?.seq ?? 0);
    const at = new Date().toISOString();
    for (let start = 0; start < entries.length; start += ROWS_PER_INSERT) {
      const chunk = entries.slice(start, start + ROWS_PER_INSERT);
      const sql = this.#session.bindPlaceholders(
        `INSERT INTO ${q(VERSION_TABLE)} (${ROW_COLUMNS.join(', ')}, seq) VALUES `
        + chunk.map(() => `(${[...ROW_COLUMNS, 'seq'].map(() => '?').join(', ')})`).join(', '),
      );
      const params = chunk.flatMap((entry) => [...rowValues(entry, at), ++seq]);
      const result = await this.#session.driver.execute(sql, params);
      if (result.rowsAffected !== chunk.length) {
        throw new IdemError('INTERNAL', `recording ${chunk.length} revisions in ${VERSION_TABLE} changed ${result.rowsAffected} rows`, {
          revision: chunk[0]!.revision,
          hint: `something else is writing ${VERSION_TABLE}; check for another migration tool or a migration that edits it`,
        });
      }
    }
  }

  /** The checksum recorded for this revision now, undefined when it is not recorded: re-checked under the lock before a reapply. */
  async recordedChecksum(revision: string): Promise<string | undefined> {
    if (!(await this.exists())) return undefined;
    const sql = this.#session.bindPlaceholders(`SELECT checksum FROM ${this.#session.quoteIdentifier(VERSION_TABLE)} WHERE revision = ?`);
    const [row] = await queryOwnTable<{ checksum: unknown }>(this.#session, sql, [revision]);
    return row === undefined ? undefined : String(row.checksum);
  }

  /**
   * A reapplied migration (`idem up --reapply`): its row now says what the
   * latest run did, with the file's checksum as it ran, so the edit is no
   * longer reported. `seq` stays: the revision keeps its place in the order
   * revisions were applied in.
   */
  async update(entry: Omit<AppliedRevision, 'appliedAt'> & { appliedAt?: string }): Promise<void> {
    const q = (name: string) => this.#session.quoteIdentifier(name);
    const [revision, ...rest] = rowValues(entry);
    const sql = this.#session.bindPlaceholders(
      `UPDATE ${q(VERSION_TABLE)} SET ${ROW_COLUMNS.slice(1).map((column) => `${column} = ?`).join(', ')} WHERE revision = ?`,
    );
    const result = await this.#session.driver.execute(sql, [...rest, revision]);
    expectOneRow(result.rowsAffected, 'update', entry.revision);
  }

  async remove(revision: string): Promise<void> {
    const q = (name: string) => this.#session.quoteIdentifier(name);
    const sql = this.#session.bindPlaceholders(`DELETE FROM ${q(VERSION_TABLE)} WHERE revision = ?`);
    const result = await this.#session.driver.execute(sql, [revision]);
    expectOneRow(result.rowsAffected, 'remove', revision);
  }
}

/** Sends one statement and says how many rows it changed. */
type SendStatement = (sql: string, params: unknown[]) => Promise<ExecResult>;

/** A version row's columns, `seq` aside, in the order rowValues() gives their values; `revision` first. */
const ROW_COLUMNS = VERSION_COLUMNS.filter((column) => column !== 'seq');

function rowValues(entry: Omit<AppliedRevision, 'appliedAt'> & { appliedAt?: string }, at = new Date().toISOString()): unknown[] {
  return [
    entry.revision, entry.description, entry.checksum, entry.appliedAt ?? at, Math.round(entry.durationMs),
    entry.counts.applied, entry.counts.skipped, entry.counts.drift, JSON.stringify({ how: entry.how, declared: entry.declared }),
  ];
}

/** Ten parameters a row: 200 rows stay far below every engine's limit (SQLite's is 32766, PostgreSQL's and MySQL's 65535). */
const ROWS_PER_INSERT = 200;

function parseOperations(text: string): { how: 'applied' | 'stamped'; declared: Record<string, DeclaredConstraint> } {
  try {
    const value = JSON.parse(text) as { how?: string; declared?: Record<string, DeclaredConstraint> };
    return { how: value.how === 'stamped' ? 'stamped' : 'applied', declared: value.declared ?? {} };
  } catch {
    // Rows written by hand or by an older idem: no declarations to offer, nothing else lost.
    return { how: 'applied', declared: {} };
  }
}

function expectOneRow(count: number, action: string, revision: string): void {
  if (count === 1) return;
  throw new IdemError('INTERNAL', `${action} of revision ${revision} in ${VERSION_TABLE} changed ${count} rows, expected 1`, {
    revision,
    hint: `something else is writing ${VERSION_TABLE}; check for another migration tool or a migration that edits it`,
  });
}
