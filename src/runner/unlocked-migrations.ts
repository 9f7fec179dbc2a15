/**
 * Where the run lock lives only inside transactions (PostgreSQL behind a
 * transaction pooler: see postgres-transaction-lock.ts), a migration that
 * opts out of its transaction (`export const transaction = false`, for
 * CREATE INDEX CONCURRENTLY) would run with no lock at all, beside another
 * runner doing the same. It is refused before anything of the run is
 * applied, never run unsafely; `up` and `plan` both say so.
 */
import type { DialectSession } from '../dialect/dialect.ts';
import { IdemError } from '../errors.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import type { LoadedMigration } from '../files/migration-loader.ts';

/** `modules[i]` is the loaded `steps[i]`. */
export function refuseUnlockedMigrations(session: DialectSession, steps: readonly MigrationFile[], modules: readonly LoadedMigration[]): void {
  const scope = session.lock.onlyInTransactions;
  // Where transactions cannot be opted out of (SQLite), the migration runs inside one anyway.
  if (scope === undefined || !session.capabilities.optionalTransactions) return;
  const index = modules.findIndex((module) => module.transaction === false);
  if (index < 0) return;
  const file = steps[index]!;
  throw new IdemError('CONFIG',
    `migration ${file.file} runs outside a transaction (export const transaction = false), but ${scope.reason}: it would run unlocked; nothing was applied`, {
      revision: file.revision, hint: scope.hint,
    });
}
