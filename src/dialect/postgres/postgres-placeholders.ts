/**
 * Migrations write one placeholder on every engine, `?`; PostgreSQL numbers
 * its own: $1, $2, … (https://www.postgresql.org/docs/current/sql-expressions.html#SQL-EXPRESSIONS-PARAMETERS-POSITIONAL).
 * A `?` inside a string constant, a dollar-quoted body, a quoted identifier
 * or a comment is text, not a placeholder, so the SQL is lexed first.
 *
 * jsonb has operators spelt with `?`: `?|` and `?&` are left alone (a
 * placeholder is never directly followed by `|` or `&`). The bare key-exists
 * operator `?` cannot be told from a placeholder; write `doc ?| array[?]` (does
 * any of these keys exist) instead: https://www.postgresql.org/docs/current/functions-json.html#FUNCTIONS-JSONB-OP-TABLE
 */
import { lexPostgres } from './postgres-lexer.ts';

export function bindPostgresPlaceholders(sql: string): string {
  if (!sql.includes('?')) return sql;
  let n = 0;
  let out = '';
  for (const token of lexPostgres(sql)) {
    if (token.kind !== 'op' || !token.text.includes('?')) {
      out += token.text;
      continue;
    }
    const text = token.text;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === '?' && (text[i + 1] === '|' || text[i + 1] === '&')) {
        out += ch + text[i + 1]!;
        i++;
      } else if (ch === '?') {
        out += `$${++n}`;
      } else {
        out += ch;
      }
    }
  }
  return out;
}
