/**
 * Column defaults both ways: as SQL text for DDL, and normalised so that what
 * a migration declares compares equal to what the catalog reports after
 * PostgreSQL stored it.
 *
 * PostgreSQL keeps a default as an expression tree and prints it back with
 * `pg_get_expr()`, which rewrites it: literals gain casts (`'user'::character
 * varying`), negative and non-int4 numbers are quoted (`'-1'::integer`,
 * `'9007199254740993'::bigint`), typed literals are evaluated once
 * (`'2020-1-1'::date` becomes `'2020-01-01'::date`, jsonb is re-serialised),
 * nested operators gain parentheses (`(1 + (2 * 3))`) and keywords come back in
 * their own case (`CURRENT_TIMESTAMP`, `true`).
 * https://www.postgresql.org/docs/current/ddl-default.html
 * https://www.postgresql.org/docs/current/catalog-pg-attrdef.html
 */
import type { ColumnTypeInfo } from '../../catalog/snapshot.ts';
import { IdemError } from '../../errors.ts';
import type { DefaultValue } from '../../plan/column-spec.ts';
import { lexPostgres, type PgToken } from './postgres-lexer.ts';
import { isNumericType, parsePostgresType } from './postgres-type-names.ts';

const NUMERIC_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const TRUE_TEXT = new Set(['t', 'true', 'y', 'yes', 'on', '1']);
const FALSE_TEXT = new Set(['f', 'false', 'n', 'no', 'off', '0']);

/**
 * A default as SQL text for a column of type `column` (the declared type, as
 * parsed). Values are written so they mean the same on this column type
 * everywhere: a number on a text column is quoted, 0/1 on a boolean column is
 * FALSE/TRUE, a string on a date, timestamp, uuid, json or bytea column keeps
 * an explicit cast (so the normaliser can evaluate it as PostgreSQL does).
 */
export function postgresDefaultSql(value: DefaultValue, column: ColumnTypeInfo): string {
  if (value === null) return 'NULL';
  if (typeof value === 'object') {
    const sql = value.sql.trim();
    if (sql === '') {
      throw new IdemError('OPERATION_INVALID', 'default { sql } is empty', { hint: "give an expression, e.g. { sql: 'now()' }" });
    }
    return needsParens(sql) ? `(${sql})` : sql;
  }
  const type = column.type;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new IdemError('OPERATION_INVALID', `default ${String(value)} is not a finite number`, {
        hint: "use a finite number, or { sql: \"'Infinity'\" } on a float column",
      });
    }
    if (type === 'boolean' && (value === 0 || value === 1)) return value === 1 ? 'TRUE' : 'FALSE';
    if (type === 'string' || type === 'text') return quote(plainNumber(value));
    if (type === 'json') return `${quote(plainNumber(value))}::${column.raw}`;
    return plainNumber(value);
  }
  if (typeof value === 'boolean') {
    if (isNumericType(type)) return value ? '1' : '0';
    if (type === 'string' || type === 'text') return quote(String(value));
    if (type === 'json') return `${quote(String(value))}::${column.raw}`;
    return value ? 'TRUE' : 'FALSE';
  }
  if (isNumericType(type) && NUMERIC_TEXT.test(value.trim())) return value.trim();
  if (type === 'boolean') {
    const text = value.trim().toLowerCase();
    if (TRUE_TEXT.has(text)) return 'TRUE';
    if (FALSE_TEXT.has(text)) return 'FALSE';
  }
  if (type === 'date' || type === 'timestamp' || type === 'uuid' || type === 'json' || type === 'binary') {
    return `${quote(value)}::${column.raw}`;
  }
  return quote(value);
}

/**
 * DEFAULT takes a restricted expression (b_expr: no AND/OR, IS NULL, LIKE …
 * unparenthesised); one constant, name or call goes as is, anything else in
 * parentheses, which PostgreSQL does not keep.
 * https://www.postgresql.org/docs/current/sql-createtable.html#SQL-CREATETABLE-PARMS-DEFAULT
 */
function needsParens(sql: string): boolean {
  const tokens = lexPostgres(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  if (tokens.length === 1) return false;
  const callStart = tokens[0]?.kind === 'word' ? 1 : 0;
  if (tokens[callStart]?.text !== '(') return true;
  let depth = 0;
  for (let i = callStart; i < tokens.length; i++) {
    if (tokens[i]!.text === '(') depth++;
    else if (tokens[i]!.text === ')' && --depth === 0) return i !== tokens.length - 1;
  }
  return true;
}

/** `1e21` as `1000000000000000000000`: PostgreSQL prints numbers without exponents. */
function plainNumber(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  if (Number.isInteger(value)) return BigInt(value).toString();
  return value.toFixed(20).replace(/\.?0+$/, '');
}

const quote = (text: string): string => `'${text.replaceAll("'", "''")}'`;

interface Tok { kind: PgToken['kind']; text: string; value: string }

/**
 * One spelling per default: casts removed (after evaluating the literal they
 * apply to the way the type's input function does), grouping parentheses
 * removed (function-call parentheses kept), keywords lower-cased,
 * CURRENT_TIMESTAMP written now(), numbers without trailing zeros.
 * Expressions that differ only in grouping compare equal; a default is rarely
 * that subtle, and PostgreSQL's added parentheses otherwise make every
 * arithmetic default drift.
 */
export function normalizePostgresDefault(sql: string | null): string | null {
  if (sql === null) return null;
  const tokens: Tok[] = lexPostgres(sql).filter((t) => t.kind !== 'space' && t.kind !== 'comment');
  const out = withoutGroupingParens(withoutCasts(tokens));
  let text = '';
  let prev: Tok | undefined;
  for (let i = 0; i < out.length; i++) {
    const t = out[i]!;
    let piece = t.text;
    if (t.kind === 'word') {
      piece = t.text.toLowerCase();
      if (piece === 'current_timestamp' && out[i + 1]?.text !== '(') piece = 'now()';
    } else if (t.kind === 'string') {
      piece = quote(t.value);
    } else if (t.kind === 'number') {
      piece = canonicalNumber(t.text);
    }
    if (prev !== undefined && isOperand(prev) && isOperand(t)) text += ' ';
    text += piece;
    prev = t;
  }
  return text === '' || text === 'null' ? null : text;
}

const isOperand = (t: Tok): boolean => t.kind === 'word' || t.kind === 'number' || t.kind === 'string' || t.kind === 'quoted' || t.kind === 'param';

/** Type names that may prefix a string constant: `date '2020-01-01'` is `'2020-01-01'::date`. */
const LITERAL_PREFIXES = new Set(['date', 'timestamp', 'timestamptz', 'uuid', 'json', 'jsonb', 'bytea', 'numeric', 'integer', 'bigint', 'boolean', 'text']);

function withoutCasts(tokens: Tok[]): Tok[] {
  const out: Tok[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'punct' && t.text === '::') {
      const { end, typeText } = readTypeName(tokens, i + 1);
      const prev = out[out.length - 1];
      if (prev?.kind === 'string') out[out.length - 1] = evaluateLiteral(prev.value, typeText);
      i = end - 1;
      continue;
    }
    const next = tokens[i + 1];
    if (t.kind === 'word' && next?.kind === 'string' && LITERAL_PREFIXES.has(t.text.toLowerCase())) {
      out.push(evaluateLiteral(next.value, t.text));
      i++;
      continue;
    }
    out.push(t);
  }
  return out;
}

const TYPE_WORDS = new Set(['varying', 'precision', 'with', 'without', 'time', 'zone']);

/** A type name after `::`: words, `schema.name`, `(args)`, `with time zone`, `[]`. */
function readTypeName(tokens: Tok[], start: number): { end: number; typeText: string } {
  let i = start;
  let typeText = '';
  const first = tokens[i];
  if (first?.kind === 'word' || first?.kind === 'quoted') { typeText = first.text; i++; }
  for (;;) {
    const t = tokens[i];
    if (t?.kind === 'punct' && t.text === '.' && (tokens[i + 1]?.kind === 'word' || tokens[i + 1]?.kind === 'quoted')) {
      typeText += `.${tokens[i + 1]!.text}`;
      i += 2;
    } else if (t?.kind === 'word' && TYPE_WORDS.has(t.text.toLowerCase())) {
      typeText += ` ${t.text}`;
      i++;
    } else if (t?.kind === 'punct' && t.text === '(') {
      let depth = 0;
      let j = i;
      for (; j < tokens.length; j++) {
        if (tokens[j]!.text === '(') depth++;
        if (tokens[j]!.text === ')' && --depth === 0) break;
      }
      typeText += tokens.slice(i, j + 1).map((x) => x.text).join('');
      i = j + 1;
    } else if (t?.kind === 'punct' && t.text === '[' && tokens[i + 1]?.text === ']') {
      typeText += '[]';
      i += 2;
    } else {
      return { end: i, typeText };
    }
  }
}

/** The constant as the type's input function would store and print it. */
function evaluateLiteral(value: string, typeText: string): Tok {
  const info = parsePostgresType(typeText);
  const string = (v: string): Tok => ({ kind: 'string', text: quote(v), value: v });
  if (info.raw.endsWith('[]')) return string(value);
  const text = value.trim();
  if (isNumericType(info.type)) return NUMERIC_TEXT.test(text) ? { kind: 'number', text, value: text } : string(value);
  switch (info.type) {
    case 'boolean': {
      const lower = text.toLowerCase();
      if (TRUE_TEXT.has(lower)) return { kind: 'word', text: 'true', value: 'true' };
      if (FALSE_TEXT.has(lower)) return { kind: 'word', text: 'false', value: 'false' };
      return string(value);
    }
    case 'date': return string(canonicalDateTime(text, false) ?? value);
    case 'timestamp': return string((info.withTimezone ? canonicalInstant(text) : canonicalDateTime(text, true)) ?? value);
    case 'uuid': {
      const hex = text.replace(/[{}-]/g, '').toLowerCase();
      return string(/^[0-9a-f]{32}$/.test(hex) ? `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}` : value);
    }
    case 'json': return string(canonicalJson(value));
    case 'binary': return string(/^\\x[0-9a-f]*$/i.test(text) ? text.toLowerCase() : value);
    default: return string(value);
  }
}

/**
 * ISO dates and timestamps as PostgreSQL prints them in its default DateStyle:
 * `2020-01-01`, `2020-01-01 10:00:00`, fractions without trailing zeros. A
 * time zone (timestamptz) depends on the session's TimeZone and is left alone.
 * https://www.postgresql.org/docs/current/datatype-datetime.html#DATATYPE-DATETIME-OUTPUT
 */
function canonicalDateTime(text: string, withTime: boolean): string | undefined {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?$/.exec(text);
  if (!m) return undefined;
  const pad = (s: string | undefined): string => (s ?? '0').padStart(2, '0');
  const date = `${m[1]}-${pad(m[2])}-${pad(m[3])}`;
  if (!withTime) return m[4] === undefined ? date : undefined;
  const fraction = (m[7] ?? '').replace(/\.?0+$/, '');
  return `${date} ${pad(m[4])}:${pad(m[5])}:${pad(m[6])}${fraction}`;
}

/**
 * A timestamptz constant is stored as an instant and printed in the session's
 * TimeZone (`'2020-01-01 08:00:00+00'`); with an explicit offset on both
 * sides, the instant compares. Without one the text is left alone: what it
 * means depends on the TimeZone of the session that created the column.
 */
function canonicalInstant(text: string): string | undefined {
  const m = /^(\d{4}-\d{1,2}-\d{1,2})[ T](\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)$/i.exec(text);
  if (!m) return undefined;
  const local = canonicalDateTime(`${m[1]} ${m[2]}`, true);
  let offset = m[3]!.toUpperCase();
  if (/^[+-]\d{2}$/.test(offset)) offset += ':00';
  else if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const ms = Date.parse(`${local?.replace(' ', 'T')}${offset}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** jsonb stores a parsed value and prints it its own way; any one key order compares. */
function canonicalJson(text: string): string {
  try {
    return JSON.stringify(sortKeys(JSON.parse(text)));
  } catch {
    return text;
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}

function canonicalNumber(text: string): string {
  let n = text.startsWith('.') ? `0${text}` : text;
  if (n.includes('.') && !/e/i.test(n)) n = n.replace(/0+$/, '').replace(/\.$/, '');
  return n;
}

/** Words after which `(` groups rather than calls: PostgreSQL adds parentheses after them (`WHEN (x > 1)`). */
const KEYWORDS = new Set(['and', 'or', 'not', 'case', 'when', 'then', 'else', 'is', 'in', 'between', 'like', 'ilike', 'similar', 'distinct', 'from', 'as']);

/** Removes `(` … `)` that only group; keeps those of a call (`now()`, `lower(x)`). */
function withoutGroupingParens(tokens: Tok[]): Tok[] {
  const keep = new Array<boolean>(tokens.length).fill(true);
  const stack: { index: number; call: boolean }[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(') {
      const prev = tokens[i - 1];
      const call = prev !== undefined && (prev.kind === 'quoted' || (prev.kind === 'word' && !KEYWORDS.has(prev.text.toLowerCase())));
      stack.push({ index: i, call });
    } else if (t.text === ')') {
      const open = stack.pop();
      if (open !== undefined && !open.call) {
        keep[open.index] = false;
        keep[i] = false;
      }
    }
  }
  return tokens.filter((_, i) => keep[i]);
}
