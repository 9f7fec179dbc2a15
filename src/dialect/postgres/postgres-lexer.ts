/**
 * A lexer for PostgreSQL's SQL text, enough to find what is code and what is
 * not: string constants ('…', E'…', U&'…', B'…', X'…' and $tag$…$tag$),
 * quoted identifiers, comments (nested /* … *\/ included), numbers, words,
 * parameters ($1) and operators. Two jobs use it: rewriting `?` placeholders
 * outside literals, and normalising the defaults the catalog reports.
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html
 *
 * It never fails: an unterminated literal or comment runs to the end.
 */

export type PgTokenKind =
  | 'space' | 'comment'
  | 'string'   // any string constant, dollar-quoted included; `value` is its content
  | 'quoted'   // "identifier"; `value` without quotes, "" undone
  | 'word'     // identifier or keyword as written
  | 'number'
  | 'param'    // $1
  | 'op'       // a run of operator characters: + - * / < > = ~ ! @ # % ^ & | ` ?
  | 'punct';   // ( ) [ ] , ; . : ::

export interface PgToken {
  kind: PgTokenKind;
  text: string;
  value: string;
  start: number;
  end: number;
}

const OPERATOR_CHARS = new Set('+-*/<>=~!@#%^&|`?');
const WORD_START = /[A-Za-z_\u0080-\uffff]/;
const WORD_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;

export function lexPostgres(sql: string): PgToken[] {
  const tokens: PgToken[] = [];
  let i = 0;
  const push = (kind: PgTokenKind, end: number, value?: string): void => {
    const text = sql.slice(i, end);
    tokens.push({ kind, text, value: value ?? text, start: i, end });
    i = end;
  };
  while (i < sql.length) {
    const c = sql[i]!;
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < sql.length && /\s/.test(sql[j]!)) j++;
      push('space', j);
    } else if (c === '-' && next === '-') {
      const nl = sql.indexOf('\n', i);
      push('comment', nl === -1 ? sql.length : nl);
    } else if (c === '/' && next === '*') {
      push('comment', blockCommentEnd(sql, i));
    } else if (c === "'") {
      const { end, value } = quoted(sql, i, "'", false);
      push('string', end, value);
    } else if ((c === 'e' || c === 'E') && next === "'") {
      const { end, value } = quoted(sql, i + 1, "'", true);
      push('string', end, value);
    } else if ((c === 'u' || c === 'U') && next === '&' && (sql[i + 2] === "'" || sql[i + 2] === '"')) {
      const { end, value } = quoted(sql, i + 2, sql[i + 2]!, false);
      push(sql[i + 2] === "'" ? 'string' : 'quoted', end, value);
    } else if (/[bBxXnN]/.test(c) && next === "'") {
      const { end, value } = quoted(sql, i + 1, "'", false);
      push('string', end, value);
    } else if (c === '"') {
      const { end, value } = quoted(sql, i, '"', false);
      push('quoted', end, value);
    } else if (c === '$') {
      if (next !== undefined && /\d/.test(next)) {
        let j = i + 1;
        while (j < sql.length && /\d/.test(sql[j]!)) j++;
        push('param', j);
        continue;
      }
      DOLLAR_TAG.lastIndex = i;
      const tag = DOLLAR_TAG.exec(sql)?.[0];
      if (tag === undefined) {
        push('op', i + 1);
        continue;
      }
      const close = sql.indexOf(tag, i + tag.length);
      const end = close === -1 ? sql.length : close + tag.length;
      push('string', end, sql.slice(i + tag.length, close === -1 ? sql.length : close));
    } else if (/\d/.test(c) || (c === '.' && next !== undefined && /\d/.test(next))) {
      NUMBER.lastIndex = i;
      push('number', i + NUMBER.exec(sql)![0].length);
    } else if (WORD_START.test(c)) {
      let j = i + 1;
      while (j < sql.length && WORD_PART.test(sql[j]!)) j++;
      push('word', j);
    } else if (c === ':' && next === ':') {
      push('punct', i + 2);
    } else if ('()[],;.:'.includes(c)) {
      push('punct', i + 1);
    } else if (OPERATOR_CHARS.has(c)) {
      // An operator cannot contain -- or /*: they start a comment.
      // https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-OPERATORS
      let j = i + 1;
      while (j < sql.length && OPERATOR_CHARS.has(sql[j]!) && !startsComment(sql, j)) j++;
      push('op', j);
    } else {
      push('op', i + 1);
    }
  }
  return tokens;
}

function startsComment(sql: string, j: number): boolean {
  return (sql[j] === '-' && sql[j + 1] === '-') || (sql[j] === '/' && sql[j + 1] === '*');
}

/** Block comments nest in PostgreSQL, unlike the SQL standard says. */
function blockCommentEnd(sql: string, start: number): number {
  let depth = 0;
  let j = start;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') { depth++; j += 2; continue; }
    if (sql[j] === '*' && sql[j + 1] === '/') { depth--; j += 2; if (depth === 0) return j; continue; }
    j++;
  }
  return sql.length;
}

/**
 * A quoted run starting at `open` (the quote character), doubled quotes
 * inside; in an escape string (E'…') a backslash escapes the next character.
 * https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-STRINGS-ESCAPE
 */
function quoted(sql: string, open: number, quote: string, escapes: boolean): { end: number; value: string } {
  let value = '';
  let j = open + 1;
  while (j < sql.length) {
    const ch = sql[j]!;
    if (escapes && ch === '\\' && j + 1 < sql.length) {
      value += unescape(sql[j + 1]!);
      j += 2;
      continue;
    }
    if (ch === quote) {
      if (sql[j + 1] === quote) { value += quote; j += 2; continue; }
      return { end: j + 1, value };
    }
    value += ch;
    j++;
  }
  return { end: sql.length, value };
}

function unescape(ch: string): string {
  switch (ch) {
    case 'n': return '\n';
    case 't': return '\t';
    case 'r': return '\r';
    case 'b': return '\b';
    case 'f': return '\f';
    default: return ch;
  }
}
