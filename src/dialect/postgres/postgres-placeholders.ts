/**
 * Migrations write one placeholder on every engine, `?`; PostgreSQL numbers
 * its own: $1, $2, … (https://www.postgresql.org/docs/current/sql-expressions.html#SQL-EXPRESSIONS-PARAMETERS-POSITIONAL).
 * A `?` inside a string constant, a dollar-quoted body, a quoted identifier
 * or a comment is text, not a placeholder, so the SQL is lexed first.
 *
 * jsonb has operators spelt with `?`: `?|` and `?&` are left alone (a
 * placeholder is never directly followed by `|` or `&`). The bare key-exists
 * operator `?` and the jsonpath operator `@?` cannot be told from a
 * placeholder, so they are written with the `?` doubled: `doc ?? 'key'` is
 * sent as `doc ? 'key'`, `doc @?? '$.a'` as `doc @? '$.a'`, and `doc ?? ?`
 * as `doc ? $1`. https://www.postgresql.org/docs/current/functions-json.html#FUNCTIONS-JSONB-OP-TABLE
 */
import { IdemError } from '../../errors.ts';
import { lexPostgres, type PgToken } from './postgres-lexer.ts';

export function bindPostgresPlaceholders(sql: string): string {
  if (!sql.includes('?')) return sql;
  let n = 0;
  return placeholderPass(sql, () => `$${++n}`);
}

/** How many values `sql` binds: the `$n` bindPostgresPlaceholders writes. */
export function countPostgresPlaceholders(sql: string): number {
  let n = 0;
  if (sql.includes('?')) placeholderPass(sql, () => { n++; return ''; });
  return n;
}

/** The text with each placeholder `?` replaced by `placeholder()`, the operators kept and `??` written as `?`. */
function placeholderPass(sql: string, placeholder: () => string): string {
  let out = '';
  for (const token of lexPostgres(sql)) {
    if (token.kind !== 'op' || !token.text.includes('?')) {
      out += token.text;
      continue;
    }
    const text = token.text;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      const next = text[i + 1];
      if (ch === '?' && (next === '|' || next === '&')) {
        out += ch + next;
        i++;
      } else if (ch === '?' && next === '?') {
        out += '?';
        i++;
      } else if (ch === '?') {
        out += placeholder();
      } else {
        out += ch;
      }
    }
  }
  return out;
}

/**
 * The statement with its $n parameters written in as literals, for the one
 * place a statement must share a round trip with others (the version row
 * sent with its COMMIT): several statements go in one message only on the
 * simple protocol, which carries no parameters. Only the values idem itself
 * writes are accepted: strings, finite numbers, booleans and null.
 */
export function inlinePostgresParameters(sql: string, params: readonly unknown[]): string {
  if (params.length === 0) return sql;
  // The same statement (the version row) comes once a migration: lexed once (20 ms of a 1000-migration run).
  if (lexed?.sql !== sql) lexed = { sql, tokens: lexPostgres(sql) };
  return lexed.tokens.map((token) => (token.kind === 'param' ? postgresLiteral(params[Number(token.text.slice(1)) - 1], token.text) : token.text)).join('');
}

let lexed: { sql: string; tokens: PgToken[] } | undefined;

/**
 * A string constant that reads the same whatever standard_conforming_strings
 * says: with a backslash in it, the escape form E'…' with backslashes
 * doubled; quotes are doubled in both forms.
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-STRINGS-ESCAPE
 */
function postgresLiteral(value: unknown, param: string): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && !value.includes('\u0000')) {
    const quoted = `'${value.replaceAll("'", "''")}'`;
    return value.includes('\\') ? `E${quoted.replaceAll('\\', '\\\\')}` : quoted;
  }
  throw new IdemError('INTERNAL', `parameter ${param} cannot be written as a literal (${typeof value})`, {
    hint: 'this is a bug in idem: please report it with the command that failed',
  });
}
