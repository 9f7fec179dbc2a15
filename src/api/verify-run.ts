/**
 * What `idem verify` does to its scratch database: run migrations up or down
 * through the same runner as `idem up` / `idem down` (so what is proved is
 * what deploys run), collecting each operation's outcome instead of printing
 * it; read the state between steps; and forget or restore a version row so a
 * migration can be run again as if it had never been recorded.
 */
import type { DialectSession } from '../dialect/dialect.ts';
import { describeCause, isIdemError, type IdemError } from '../errors.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import { applySteps } from '../runner/apply-steps.ts';
import type { Direction, IdemEvent } from '../runner/events.ts';
import type { AppliedRevision, VersionTable } from '../runner/version-table.ts';
import { readState, type DatabaseState } from './verify-state.ts';

export type OperationEvent = Extract<IdemEvent, { event: 'op' }>;

/** A failure as data: the error the engine or the runner gave, with the operation and SQL. */
export interface VerifyError {
  code: string;
  message: string;
  revision?: string;
  op?: string;
  target?: string;
  sql?: string;
  cause?: string;
  hint?: string;
}

export type RunOutcome =
  | { ok: true; operations: OperationEvent[] }
  | { ok: false; operations: OperationEvent[]; error: VerifyError };

export class ScratchRunner {
  readonly #session: DialectSession;
  readonly #versions: VersionTable;
  readonly #signal: AbortSignal | undefined;

  constructor(session: DialectSession, versions: VersionTable, signal: AbortSignal | undefined) {
    this.#session = session;
    this.#versions = versions;
    this.#signal = signal;
  }

  get transactionalDdl(): boolean {
    return this.#session.capabilities.transactionalDdl;
  }

  /**
   * Runs `files` in `direction` as `up`/`down` would. A failure is an outcome,
   * not a throw: verify reports it and goes on. An interruption is thrown: the
   * caller stops and removes the scratch database.
   */
  async run(direction: Direction, files: MigrationFile[]): Promise<RunOutcome> {
    const operations: OperationEvent[] = [];
    try {
      await applySteps({
        session: this.#session, versions: this.#versions, applied: await this.#versions.read(), steps: files, direction,
        // Drift is judged by verify (as a failed step), not thrown as under --strict.
        strict: false,
        emit: (e) => { if (e.event === 'op') operations.push(e); },
        signal: this.#signal,
      });
      return { ok: true, operations };
    } catch (error) {
      if (!isIdemError(error) || error.code === 'INTERRUPTED') throw error;
      return { ok: false, operations, error: asVerifyError(error) };
    }
  }

  state(): Promise<DatabaseState> {
    return readState(this.#session);
  }

  async row(revision: string): Promise<AppliedRevision | undefined> {
    return (await this.#versions.read()).find((r) => r.revision === revision);
  }

  /** The version row gone, as if the migration had never been recorded. */
  async forget(revision: string): Promise<void> {
    if (await this.#versions.isRecorded(revision)) await this.#versions.remove(revision);
  }

  /** The version row back as it was, as if the migration were still applied. */
  async restore(row: AppliedRevision): Promise<void> {
    if (!(await this.#versions.isRecorded(row.revision))) await this.#versions.insert(row);
  }

  /** Every version row gone: the database as an init script or a lost version table leaves it. */
  async forgetAll(): Promise<void> {
    for (const row of await this.#versions.read()) await this.#versions.remove(row.revision);
  }
}

export function asVerifyError(error: IdemError): VerifyError {
  const cause = describeCause(error.cause);
  return {
    code: error.code, message: error.message,
    ...(error.revision ? { revision: error.revision } : {}),
    ...(error.operation ? { op: error.operation.kind, target: error.operation.target } : {}),
    ...(error.sql ? { sql: error.sql } : {}),
    ...(cause ? { cause } : {}),
    ...(error.hint ? { hint: error.hint } : {}),
  };
}
