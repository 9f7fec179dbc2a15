/**
 * Names idem gives indexes and constraints a migration leaves unnamed. They
 * are ours and the same on every engine, never the engine's own
 * (`users_email_key`, `t_ibfk_1`), so a later migration can drop them by name
 * everywhere. Long names are shortened with a hash so they fit every engine
 * (PostgreSQL stops at 63 bytes, MySQL at 64).
 */
import { createHash } from 'node:crypto';

const MAX_NAME = 60;

/**
 * The name of the unique key behind a column declared `unique: true`: the
 * same one `addUnique(table, [column])` gives, on every engine, so a later
 * migration can drop it by that name.
 */
export function uniqueColumnConstraintName(table: string, column: string): string {
  return defaultConstraintName('uq', table, [column]);
}

export function defaultConstraintName(prefix: 'ix' | 'uq' | 'fk', table: string, columns: string[], refTable?: string): string {
  const parts = [prefix, table, ...columns];
  if (refTable !== undefined) parts.push(refTable);
  const name = parts.join('_').replace(/[^A-Za-z0-9_]+/g, '_');
  if (name.length <= MAX_NAME) return name;
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 8);
  return `${name.slice(0, MAX_NAME - 9)}_${hash}`;
}
