/**
 * PostgreSQL's type names in portable terms. The catalog spells a type the
 * way `format_type()` does (`character varying(255)`, `timestamp(3) with time
 * zone`, `numeric(10,2)`, `integer[]`); DDL and init scripts use the aliases
 * (`varchar(255)`, `timestamptz`, `int4`, `serial`, `float8`). Every spelling
 * is parsed to the portable type and to one canonical text, `raw`: the short
 * SQL names (`varchar(255)`, `timestamptz`, `numeric(10,2)`), which are what a
 * person writes and what MySQL and SQLite report too, so a drift message reads
 * the same on every engine.
 * https://www.postgresql.org/docs/current/datatype.html#DATATYPE-TABLE
 * https://www.postgresql.org/docs/current/functions-info.html#FUNCTIONS-INFO-CATALOG
 */
import type { ColumnTypeInfo } from '../../catalog/snapshot.ts';
import type { ColumnType } from '../../plan/column-spec.ts';

/** Base name (arguments and array brackets removed) to [portable type, canonical name]. */
const NAMES: ReadonlyMap<string, readonly [ColumnType, string]> = new Map<string, readonly [ColumnType, string]>([
  ...['character varying', 'varchar'].map((n) => [n, ['string', 'varchar']] as const),
  // A bare `char` is char(1); format_type() prints the typmod-less type as `bpchar`.
  ...['character', 'char'].map((n) => [n, ['string', 'char']] as const),
  ['bpchar', ['string', 'bpchar']],
  ['text', ['text', 'text']],
  ...['integer', 'int', 'int4', 'serial', 'serial4'].map((n) => [n, ['integer', 'integer']] as const),
  ...['bigint', 'int8', 'bigserial', 'serial8'].map((n) => [n, ['bigint', 'bigint']] as const),
  ...['smallint', 'int2', 'smallserial', 'serial2'].map((n) => [n, ['smallint', 'smallint']] as const),
  ...['boolean', 'bool'].map((n) => [n, ['boolean', 'boolean']] as const),
  ...['numeric', 'decimal'].map((n) => [n, ['decimal', 'numeric']] as const),
  ...['real', 'float4'].map((n) => [n, ['float', 'real']] as const),
  ...['double precision', 'float8'].map((n) => [n, ['double', 'double precision']] as const),
  ['date', ['date', 'date']],
  ...['timestamp', 'timestamp without time zone'].map((n) => [n, ['timestamp', 'timestamp']] as const),
  ...['timestamptz', 'timestamp with time zone'].map((n) => [n, ['timestamp', 'timestamptz']] as const),
  ['json', ['json', 'json']],
  ['jsonb', ['json', 'jsonb']],
  ['uuid', ['uuid', 'uuid']],
  ['bytea', ['binary', 'bytea']],
]);

/**
 * A timestamp without precision keeps microseconds, as timestamp(6) does.
 * https://www.postgresql.org/docs/current/datatype-datetime.html
 */
export const DEFAULT_TIMESTAMP_PRECISION = 6;

const ARRAY_SUFFIX = /(?:\s*\[\s*\d*\s*\])+$|\s+array(?:\s*\[\s*\d*\s*\])?$/;

/** Parses any spelling of a type; `raw` is its canonical text, lower-cased. */
export function parsePostgresType(rawText: string): ColumnTypeInfo {
  const text = rawText.trim().toLowerCase().replace(/\s+/g, ' ');
  // format_type() prints one `[]` whatever the declared dimensions: arrays have no portable type.
  // https://www.postgresql.org/docs/current/arrays.html#ARRAYS-DECLARATION
  if (ARRAY_SUFFIX.test(text)) {
    const element = parsePostgresType(text.replace(ARRAY_SUFFIX, ''));
    return { type: null, raw: `${element.raw}[]` };
  }
  const args: number[] = [];
  const base = text
    .replace(/\s*\(([^)]*)\)/, (_, inner: string) => {
      for (const part of inner.split(',')) args.push(Number(part.trim()));
      return ' ';
    })
    .replace(/\s+/g, ' ')
    .trim();
  const [first, second] = args;
  const whole = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 0;
  // `float(p)` is real up to 24 bits of precision, double precision above; bare `float` is double.
  // https://www.postgresql.org/docs/current/datatype-numeric.html#DATATYPE-FLOAT
  if (base === 'float') {
    return whole(first) && first <= 24 ? { type: 'float', raw: 'real' } : { type: 'double', raw: 'double precision' };
  }
  const known = NAMES.get(base);
  if (known === undefined) return { type: null, raw: text };
  const [type, name] = known;
  switch (type) {
    case 'string': {
      const length = whole(first) ? first : name === 'char' ? 1 : undefined;
      return length === undefined ? { type, raw: name } : { type, length, raw: `${name}(${length})` };
    }
    case 'decimal': {
      if (!whole(first)) return { type, raw: name };
      const scale = whole(second) ? second : 0;
      return { type, precision: first, scale, raw: `numeric(${first},${scale})` };
    }
    case 'timestamp':
      return {
        type, withTimezone: name === 'timestamptz', precision: whole(first) ? first : DEFAULT_TIMESTAMP_PRECISION,
        raw: whole(first) ? `${name}(${first})` : name,
      };
    default:
      return { type, raw: name };
  }
}

/** Numeric types: a quoted number cast to one of these is that number. */
export function isNumericType(type: ColumnType | null): boolean {
  return type === 'integer' || type === 'bigint' || type === 'smallint' || type === 'decimal' || type === 'float' || type === 'double';
}
