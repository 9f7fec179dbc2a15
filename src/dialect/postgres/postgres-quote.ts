/**
 * Identifiers are always double-quoted, embedded quotes doubled, so any name
 * works and none is folded to lower case:
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS
 */
import { IdemError } from '../../errors.ts';

/** PostgreSQL's NAMEDATALEN - 1, in bytes. */
export const POSTGRES_MAX_IDENTIFIER_BYTES = 63;

export function quotePostgresIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quotePostgresList(names: readonly string[]): string {
  return names.map(quotePostgresIdentifier).join(', ');
}

/**
 * A name idem is about to create. PostgreSQL silently truncates a longer one
 * (with only a NOTICE), and the object would then never be found again under
 * the name the migration gave it; better to refuse before anything runs.
 */
export function quoteNewPostgresIdentifier(name: string): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > POSTGRES_MAX_IDENTIFIER_BYTES) {
    throw new IdemError('OPERATION_INVALID', `the name "${name}" is ${bytes} bytes long; PostgreSQL keeps only ${POSTGRES_MAX_IDENTIFIER_BYTES}`, {
      hint: `give it a shorter name (at most ${POSTGRES_MAX_IDENTIFIER_BYTES} bytes)`,
    });
  }
  if (name === '' || name.includes('\u0000')) {
    throw new IdemError('OPERATION_INVALID', 'an identifier is empty or contains a NUL character', { hint: 'give it a name' });
  }
  return quotePostgresIdentifier(name);
}
