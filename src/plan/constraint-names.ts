/**
 * Names idem gives indexes and constraints a migration leaves unnamed. They
 * are ours and the same on every engine, never the engine's own
 * (`users_email_key`, `t_ibfk_1`), so a later migration can drop them by name
 * everywhere.
 *
 * The readable form joins prefix, table and columns (and the referenced
 * table) with `_`: `ix_users_email`. A short hash of the exact parts is added
 * where that form cannot tell two declarations apart:
 * - it is lossy: a character outside A-Z, a-z, 0-9 and `_` became `_`
 *   (`a-b` and `a_b`, or any two non-ASCII names, would meet);
 * - it is too long: shortened to fit every engine (PostgreSQL stops at 63
 *   bytes, MySQL at 64);
 * - it is ambiguous in the schema at hand: `user(group_id)` and
 *   `user_group(id)` both read `ix_user_group_id`. The run gives the hashed
 *   form to the one that meets the readable name already held by another
 *   object (generatedNameHeld in runner/classify.ts), so the first keeps it.
 * Every other name is exactly what earlier releases generated.
 */
import { createHash } from 'node:crypto';

const MAX_NAME = 60;
const READABLE_PART = /^[A-Za-z0-9_]+$/;

export type ConstraintPrefix = 'ix' | 'uq' | 'fk';

/**
 * The name of the unique key behind a column declared `unique: true`: the
 * same one `addUnique(table, [column])` gives, on every engine, so a later
 * migration can drop it by that name.
 */
export function uniqueColumnConstraintName(table: string, column: string): string {
  return defaultConstraintName('uq', table, [column]);
}

/** idem's name for the key; `disambiguated`: the form with the hash, for a readable name another object holds. */
export function defaultConstraintName(prefix: ConstraintPrefix, table: string, columns: string[], refTable?: string, disambiguated = false): string {
  const parts = [prefix, table, ...columns];
  if (refTable !== undefined) parts.push(refTable);
  const name = parts.join('_').replace(/[^A-Za-z0-9_]+/g, '_');
  const lossy = parts.some((part) => !READABLE_PART.test(part));
  if (name.length <= MAX_NAME && !lossy && !disambiguated) return name;
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - 9)}_${hash}`;
}
