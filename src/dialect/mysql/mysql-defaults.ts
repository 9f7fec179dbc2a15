/**
 * Column defaults as SQL text, the same for MySQL and MariaDB.
 *
 * The two servers report defaults differently in
 * information_schema.COLUMNS.COLUMN_DEFAULT:
 * - MariaDB 10.2.7+ reports an SQL expression: `'it''s'` quoted, `NULL` as
 *   the text NULL, `current_timestamp()`, `1.50`.
 *   https://mariadb.com/kb/en/information-schema-columns-table/
 * - MySQL reports a literal bare (`it's`, NULL as SQL NULL) and an expression
 *   default as its text with EXTRA = DEFAULT_GENERATED (string literals inside
 *   carry a charset introducer and backslash-escaped quotes: `_utf8mb4\'x\'`).
 *   https://dev.mysql.com/doc/refman/8.0/en/information-schema-columns-table.html
 *
 * `catalogDefault` turns either into the expression form (MariaDB's), and
 * `normalizeMysqlDefault` makes two spellings of one default equal: quoting
 * and escaping variants, `now()` / `CURRENT_TIMESTAMP`, `1.50` / `1.5`.
 */
import type { MysqlFlavor } from './mysql-types.ts';
import { isOneParenGroup } from '../paren-group.ts';

interface Token {
  kind: 'string' | 'number' | 'word' | 'punct';
  /** The source text (for strings: the decoded value). */
  text: string;
  /** Whitespace came before this token. */
  spaced: boolean;
}

const ESCAPES: Record<string, string> = { '0': '\0', b: '\b', n: '\n', r: '\r', t: '\t', Z: '\x1a' };

/**
 * Splits a default expression into tokens. String literals are decoded
 * (`''`, `\'`, `\n` …) and a charset introducer (`_utf8mb4'x'`, `N'x'`) is
 * dropped, so two spellings of one value compare equal.
 * https://dev.mysql.com/doc/refman/8.0/en/string-literals.html
 */
export function tokenizeMysqlDefault(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = false;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) { spaced = true; i++; continue; }
    const introducer = /^(?:_[A-Za-z0-9]+|[Nn])(?=['"])/.exec(sql.slice(i));
    if (introducer) { i += introducer[0].length; continue; }
    if (c === "'" || c === '"') {
      let value = '';
      let j = i + 1;
      for (; j < sql.length; j++) {
        const d = sql[j]!;
        if (d === '\\' && j + 1 < sql.length) {
          const e = sql[++j]!;
          // `\%` and `\_` keep their backslash (they matter to LIKE); others lose it.
          value += e === '%' || e === '_' ? `\\${e}` : ESCAPES[e] ?? e;
        } else if (d === c && sql[j + 1] === c) {
          value += c;
          j++;
        } else if (d === c) {
          break;
        } else {
          value += d;
        }
      }
      tokens.push({ kind: 'string', text: value, spaced });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?/i.exec(sql.slice(i))!;
      tokens.push({ kind: 'number', text: m[0], spaced });
      i += m[0].length;
    } else if (c === '`') {
      let j = i + 1;
      while (j < sql.length && !(sql[j] === '`' && sql[j + 1] !== '`')) j += sql[j] === '`' ? 2 : 1;
      tokens.push({ kind: 'word', text: sql.slice(i, j + 1), spaced });
      i = j + 1;
    } else if (/[A-Za-z_$@]/.test(c)) {
      const m = /^[A-Za-z0-9_$@.]+/.exec(sql.slice(i))!;
      tokens.push({ kind: 'word', text: m[0].toLowerCase(), spaced });
      i += m[0].length;
    } else {
      tokens.push({ kind: 'punct', text: c, spaced });
      i++;
    }
    spaced = false;
  }
  return tokens;
}

/** A string literal MySQL and MariaDB read back as `value` (with backslash escapes on, as idem's session has them). */
export function quoteMysqlString(value: string): string {
  const escaped = value.replace(/[\\'\0\n\r\t\x1a]/g, (ch) => {
    switch (ch) {
      case "'": return "''";
      case '\0': return '\\0';
      case '\n': return '\\n';
      case '\r': return '\\r';
      case '\t': return '\\t';
      case '\x1a': return '\\Z';
      default: return '\\\\';
    }
  });
  return `'${escaped}'`;
}

/** `+1.50` and `1.5`, `1e3` and `1000`, `-0` and `0`: one spelling per number, exact for decimals. */
export function canonicalNumber(text: string): string {
  let s = text.trim().replace(/^\+/, '');
  if (/e/i.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? String(n) : s.toLowerCase();
  }
  const negative = s.startsWith('-');
  if (negative) s = s.slice(1);
  const [whole = '', fraction = ''] = s.split('.');
  const int = whole.replace(/^0+(?=\d)/, '') || '0';
  const frac = fraction.replace(/0+$/, '');
  const out = frac === '' ? int : `${int}.${frac}`;
  return negative && out !== '0' ? `-${out}` : out;
}

export const NUMBER_LITERAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;

/** Functions that mean "now"; the first is the spelling kept. https://mariadb.com/kb/en/now/ */
const NOW = new Set(['current_timestamp', 'now', 'localtime', 'localtimestamp']);
const SYNONYMS: Record<string, string> = { curdate: 'current_date', curtime: 'current_time' };

/** True for CURRENT_TIMESTAMP and its synonyms, with an optional precision: the one expression both servers take unparenthesised. */
export function isNowDefault(sql: string): boolean {
  const tokens = tokenizeMysqlDefault(sql);
  const [first, open, arg, close] = tokens;
  if (first?.kind !== 'word' || !NOW.has(first.text)) return false;
  if (tokens.length === 1) return true;
  return open?.text === '(' && (tokens.length === 3 ? arg?.text === ')'
    : tokens.length === 4 && arg?.kind === 'number' && close?.text === ')');
}

/** One parenthesised group around the whole text: `(a + b)`, not `(a) + (b)`. */
export function enclosedInParens(sql: string): boolean {
  return isOneParenGroup(tokenizeMysqlDefault(sql));
}

/** A default in one comparable spelling; null for none and for NULL. */
export function normalizeMysqlDefault(sql: string | null): string | null {
  if (sql === null) return null;
  let text = sql.trim();
  while (enclosedInParens(text)) text = text.slice(1, -1).trim();
  if (NUMBER_LITERAL.test(text)) return canonicalNumber(text);
  const tokens = tokenizeMysqlDefault(text);
  if (tokens.length === 0) return null;
  if (tokens.length === 1) {
    const only = tokens[0]!;
    if (only.kind === 'string') return quoteMysqlString(only.text);
    if (only.text === 'null') return null;
    if (only.text === 'true') return '1';
    if (only.text === 'false') return '0';
  }
  let out = '';
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    let piece = t.kind === 'string' ? quoteMysqlString(t.text) : t.text;
    if (t.kind === 'word' && (NOW.has(t.text) || SYNONYMS[t.text] !== undefined)) {
      piece = NOW.has(t.text) ? 'current_timestamp' : SYNONYMS[t.text]!;
      // `now()` is `current_timestamp`; `now(3)` keeps its precision.
      if (tokens[i + 1]?.text === '(' && tokens[i + 2]?.text === ')') i += 2;
    }
    const prev = tokens[i - 1];
    if (t.spaced && prev !== undefined && prev.kind !== 'punct' && t.kind !== 'punct') out += ' ';
    out += piece;
  }
  return out;
}

const NUMERIC_DATA_TYPES = new Set([
  'tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'float', 'double', 'real', 'year',
]);

/**
 * The catalog's COLUMN_DEFAULT in expression form whatever the server: what
 * a DEFAULT clause would say. `dataType` is information_schema's DATA_TYPE.
 * The MySQL rules follow what SHOW CREATE TABLE prints for each case.
 */
export function catalogDefault(columnDefault: string | null, extra: string, dataType: string, flavor: MysqlFlavor): string | null {
  if (columnDefault === null) return null;
  // MariaDB: already an expression; the text NULL is an explicit (or implied) DEFAULT NULL.
  if (flavor === 'mariadb') return columnDefault === 'NULL' ? null : columnDefault;
  const type = dataType.toLowerCase();
  if (/\bDEFAULT_GENERATED\b/i.test(extra)) {
    const expression = columnDefault.replaceAll("\\'", "'");
    return isNowDefault(expression) ? expression : `(${expression})`;
  }
  if ((type === 'timestamp' || type === 'datetime') && isNowDefault(columnDefault)) return columnDefault;
  if (type === 'bit' && /^b'[01]*'$/i.test(columnDefault)) return columnDefault;
  if (NUMERIC_DATA_TYPES.has(type) && NUMBER_LITERAL.test(columnDefault)) return columnDefault;
  return quoteMysqlString(columnDefault);
}
