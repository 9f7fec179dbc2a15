/**
 * Exit codes, one per thing an orchestrator or a person does next. Listed in
 * README.md; keep the two in step.
 */
import type { IdemErrorCode } from '../errors.ts';

export const EXIT = {
  ok: 0,
  /** A migration failed (the database refused an operation, a migration threw or is invalid), or verify/lint found a fault in one. Fix it and re-run. */
  migrationFailed: 1,
  /** Usage or configuration error: bad arguments, URL or config file; or pending migrations that fail the check before a run. Nothing was changed. */
  usage: 2,
  /** Under --strict: drift, or an applied migration edited since. The failing migration was rolled back where the engine can. */
  strict: 3,
  /** The migrations and the database disagree: graph errors (cycle, missing parent, several heads), unknown revisions. */
  history: 4,
  /** The database is unavailable: cannot connect, or the lock was not free in time. Retrying may help. */
  unavailable: 5,
  /** A bug in idem. */
  internal: 70,
  /** Interrupted by SIGINT/SIGTERM. */
  interrupted: 130,
} as const;

export function exitCodeFor(code: IdemErrorCode): number {
  switch (code) {
    case 'OPERATION_FAILED': case 'OPERATION_INVALID': case 'MIGRATION_LOAD': case 'MIGRATION_INVALID':
    case 'VERIFY_FAILED': case 'LINT_FAILED':
      return EXIT.migrationFailed;
    case 'USAGE': case 'CONFIG': case 'URL_INVALID': case 'DRIVER_MISSING': case 'VALIDATION_FAILED':
      return EXIT.usage;
    case 'DRIFT': case 'CHECKSUM_MISMATCH':
      return EXIT.strict;
    case 'GRAPH_DUPLICATE': case 'GRAPH_MISSING_PARENT': case 'GRAPH_CYCLE': case 'GRAPH_MULTIPLE_HEADS':
    case 'GRAPH_UNKNOWN_TARGET': case 'GRAPH_EMPTY': case 'DB_UNKNOWN_REVISION': case 'DB_AHEAD':
    case 'VERSION_TABLE_INVALID':
      return EXIT.history;
    case 'CONNECTION': case 'LOCK_TIMEOUT':
      return EXIT.unavailable;
    case 'INTERNAL':
      return EXIT.internal;
    case 'INTERRUPTED':
      return EXIT.interrupted;
  }
}
