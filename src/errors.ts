/**
 * One error family for everything idem reports. A caller branches on `code`;
 * a person reads `message`, then `hint` (what to do). Fields carry the facts
 * (revision, operation, SQL, the database's error as `cause`) so the CLI can
 * print them and `--json` can emit them without parsing strings.
 */

export type IdemErrorCode =
  // usage and configuration: fix the command line or the config
  | 'USAGE'
  | 'CONFIG'
  | 'URL_INVALID'
  | 'DRIVER_MISSING'
  // the migrations themselves: fix a file
  | 'MIGRATION_LOAD'
  | 'MIGRATION_INVALID'
  | 'OPERATION_INVALID'
  // the check of every pending migration before a run found problems: nothing was sent
  | 'VALIDATION_FAILED'
  // the proof tools found a fault in the migrations: idem verify, idem lint
  | 'VERIFY_FAILED'
  | 'LINT_FAILED'
  // the revision graph and its agreement with the database
  | 'GRAPH_DUPLICATE'
  | 'GRAPH_MISSING_PARENT'
  | 'GRAPH_CYCLE'
  | 'GRAPH_MULTIPLE_HEADS'
  | 'GRAPH_UNKNOWN_TARGET'
  | 'GRAPH_EMPTY'
  | 'DB_UNKNOWN_REVISION'
  | 'DB_AHEAD'
  | 'VERSION_TABLE_INVALID'
  | 'CHECKSUM_MISMATCH'
  // running: a migration failed, drift under --strict, the database is unavailable
  | 'OPERATION_FAILED'
  | 'DRIFT'
  | 'LOCK_TIMEOUT'
  | 'CONNECTION'
  // stopped by SIGINT/SIGTERM (or the caller's AbortSignal)
  | 'INTERRUPTED'
  // a bug in idem
  | 'INTERNAL';

export interface OperationRef {
  kind: string;
  target: string;
}

export interface IdemErrorFields {
  revision?: string;
  operation?: OperationRef;
  sql?: string;
  hint?: string;
  cause?: unknown;
  /** Structured facts for graph and state errors (heads, cycle members, …). */
  data?: Record<string, unknown>;
}

export class IdemError extends Error {
  readonly code: IdemErrorCode;
  readonly revision?: string;
  readonly operation?: OperationRef;
  readonly sql?: string;
  readonly hint?: string;
  readonly data?: Record<string, unknown>;

  constructor(code: IdemErrorCode, message: string, fields: IdemErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'IdemError';
    this.code = code;
    if (fields.revision !== undefined) this.revision = fields.revision;
    if (fields.operation !== undefined) this.operation = fields.operation;
    if (fields.sql !== undefined) this.sql = fields.sql;
    if (fields.hint !== undefined) this.hint = fields.hint;
    if (fields.data !== undefined) this.data = fields.data;
  }

  /** The same error with the migration and operation it happened in filled in. */
  within(revision: string | undefined, operation?: OperationRef): IdemError {
    if ((this.revision ?? revision) === this.revision && (this.operation ?? operation) === this.operation) return this;
    const copy = new IdemError(this.code, this.message, {
      revision: this.revision ?? revision,
      operation: this.operation ?? operation,
      sql: this.sql,
      hint: this.hint,
      cause: this.cause,
      data: this.data,
    });
    copy.stack = this.stack;
    return copy;
  }
}

export function isIdemError(value: unknown): value is IdemError {
  return value instanceof IdemError;
}

/** The database's own message and code, when the cause came from a driver. */
export function describeCause(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown; errcode?: unknown }).errcode ?? (cause as { code?: unknown }).code;
    return typeof code === 'string' || typeof code === 'number' ? `${cause.message} (${code})` : cause.message;
  }
  return describeThrown(cause);
}

/**
 * Anything a migration (or a config module) threw, as text, without
 * throwing again: `throw Object.create(null)` or an object whose toString
 * throws has no string form, and failing to print it must not turn a
 * migration's error into "a bug in idem".
 */
export function describeThrown(value: unknown): string {
  if (value instanceof Error) return value.message;
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') return (value as { message: string }).message;
  try {
    return String(value);
  } catch {
    try {
      const json = JSON.stringify(value);
      if (json !== undefined) return `a non-Error value ${json}`;
    } catch {
      // neither form: said below
    }
    return `a non-Error ${typeof value} that cannot be shown as text`;
  }
}
