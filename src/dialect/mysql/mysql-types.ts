/**
 * Portable column types in MySQL / MariaDB terms, both ways.
 *
 * | portable            | written          | read back from COLUMN_TYPE                     |
 * |---------------------|------------------|------------------------------------------------|
 * | string(n)           | varchar(n), 255  | varchar(n), char(n); MariaDB's uuid as (36)    |
 * | text                | text             | tinytext, text, mediumtext, longtext           |
 * | integer / bigint / smallint | int / bigint / smallint | display widths `int(11)` ignored |
 * | ... unsigned        | int unsigned …   | int(10) unsigned, zerofill                     |
 * | boolean             | tinyint(1)       | tinyint of any display width                   |
 * | decimal(p,s)        | decimal(p,s), (10,0) | decimal(p,s)                               |
 * | float / double      | float / double   | float / double, real                           |
 * | date                | date             | date                                           |
 * | timestamp(p=0)      | datetime(p)      | datetime(p); no p is 0                         |
 * | timestamp withTimezone | timestamp(p)  | timestamp(p)                                   |
 * | json                | json             | json; MariaDB: longtext + CHECK json_valid()   |
 * | uuid                | char(36)         | char(36), i.e. string(36)                      |
 * | binary(n) / binary  | varbinary(n) / blob | varbinary(n), binary(n), *blob              |
 *
 * `timestamp` without zone is DATETIME: it stores the wall-clock value as
 * given. TIMESTAMP converts from the session time zone to UTC and back, so it
 * holds an instant, which is what "with time zone" means elsewhere
 * (PostgreSQL's timestamptz also stores UTC). TIMESTAMP's range ends in 2038.
 * https://dev.mysql.com/doc/refman/8.0/en/datetime.html
 *
 * `raw` is the catalog's spelling lower-cased, integer display widths
 * dropped (MySQL 8.0.19 dropped them; MariaDB still prints `int(11)`), plus
 * the attributes MODIFY COLUMN would otherwise lose: a collation other than
 * the table's (` collate utf8mb4_bin`) and ` on update current_timestamp`.
 * https://dev.mysql.com/doc/refman/8.0/en/alter-table.html ("MODIFY ... must
 * include all the attributes you want to keep")
 */
import type { ColumnTypeInfo } from '../../catalog/snapshot.ts';
import { IdemError } from '../../errors.ts';
import { isIntegerType } from '../../plan/column-spec.ts';
import type { ColumnSpec, ColumnType, DefaultValue } from '../../plan/column-spec.ts';
import { validateColumnSpec } from '../../plan/validate-column.ts';
import type { TypeMapper } from '../dialect.ts';
import { canonicalNumber, enclosedInParens, isNowDefault, normalizeMysqlDefault, NUMBER_LITERAL, quoteMysqlString, tokenizeMysqlDefault } from './mysql-defaults.ts';

export type MysqlFlavor = 'mysql' | 'mariadb';

const NAMES: ReadonlyMap<string, ColumnType> = new Map<string, ColumnType>([
  ...['varchar', 'char', 'nvarchar', 'nchar'].map((n) => [n, 'string'] as const),
  ...['tinytext', 'text', 'mediumtext', 'longtext'].map((n) => [n, 'text'] as const),
  ...['int', 'integer'].map((n) => [n, 'integer'] as const),
  ['bigint', 'bigint'], ['smallint', 'smallint'],
  ...['bool', 'boolean'].map((n) => [n, 'boolean'] as const),
  ...['decimal', 'numeric', 'dec', 'fixed'].map((n) => [n, 'decimal'] as const),
  ['float', 'float'],
  ...['double', 'real'].map((n) => [n, 'double'] as const),
  ['date', 'date'], ['datetime', 'timestamp'], ['timestamp', 'timestamp'],
  ['json', 'json'],
  ...['binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob'].map((n) => [n, 'binary'] as const),
]);

const NUMERIC: ReadonlySet<ColumnType> = new Set(['integer', 'bigint', 'smallint', 'boolean', 'decimal', 'float', 'double']);
/** MySQL takes a default for these only as an expression: `DEFAULT ('x')`. https://dev.mysql.com/doc/refman/8.0/en/data-type-defaults.html */
const EXPRESSION_DEFAULT_ONLY = /^(tiny|medium|long)?(text|blob)$|^json$/;

/** The engine attributes idem keeps in `raw` so a MODIFY COLUMN can restate them. */
export interface ColumnAttributes {
  type: string;
  collate?: string;
  onUpdate?: string;
}

export function splitColumnAttributes(raw: string): ColumnAttributes {
  const out: ColumnAttributes = { type: raw };
  out.type = out.type.replace(/\s+on update (current_timestamp(?:\(\d*\))?)/i, (_, v: string) => { out.onUpdate = v; return ''; });
  out.type = out.type.replace(/\s+collate\s+([a-z0-9_]+)/i, (_, v: string) => { out.collate = v; return ''; });
  out.type = out.type.trim();
  return out;
}

/** Lower-case outside quotes, one space between words, none inside `( , )`; integer display widths dropped. */
export function canonicalMysqlType(text: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== null) {
      out += c;
      if (c === quote && text[i + 1] === quote) out += text[++i];
      else if (c === quote) quote = null;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (/\s/.test(c)) {
      if (out !== '' && !/[\s(,]$/.test(out)) out += ' ';
    } else {
      if (c === '(' || c === ')' || c === ',') out = out.trimEnd();
      out += c.toLowerCase();
    }
  }
  return out.trim()
    .replace(/^double precision\b/, 'double')
    .replace(TYPE_ALIAS, (alias: string) => TYPE_ALIASES[alias]!)
    .replace(/\b(tinyint|smallint|mediumint|int|integer|bigint)\s?\((\d+)\)/g, (_, base: string, width: string) =>
      base === 'tinyint' && width === '1' ? 'tinyint(1)' : base);
}

/**
 * Names the server takes and reports under another: a declared sqlType
 * `int8` is the catalog's `bigint`. https://dev.mysql.com/doc/refman/8.0/en/other-vendor-data-types.html
 */
const TYPE_ALIASES: Record<string, string> = {
  int1: 'tinyint', int2: 'smallint', int3: 'mediumint', middleint: 'mediumint', int4: 'int', int8: 'bigint', integer: 'int',
  bool: 'tinyint(1)', boolean: 'tinyint(1)', dec: 'decimal', fixed: 'decimal', numeric: 'decimal',
  'character varying': 'varchar', 'char varying': 'varchar',
};
const TYPE_ALIAS = new RegExp(`^(?:${Object.keys(TYPE_ALIASES).join('|')})\\b`);

/**
 * A timestamp without precision keeps whole seconds: datetime is datetime(0).
 * https://dev.mysql.com/doc/refman/8.0/en/fractional-seconds.html
 */
const DEFAULT_TIMESTAMP_PRECISION = 0;

export class MysqlTypeMapper implements TypeMapper {
  readonly flavor: MysqlFlavor;
  readonly engine: string;

  constructor(flavor: MysqlFlavor = 'mysql') {
    this.flavor = flavor;
    this.engine = flavor === 'mariadb' ? 'MariaDB' : 'MySQL';
  }

  columnType(spec: ColumnSpec): string {
    validateColumnSpec('', spec);
    if (spec.sqlType !== undefined) return spec.sqlType.trim();
    const unsigned = spec.unsigned === true ? ' unsigned' : '';
    switch (spec.type!) {
      case 'string': return `varchar(${spec.length ?? 255})`;
      case 'integer': return `int${unsigned}`;
      case 'bigint': case 'smallint': return `${spec.type}${unsigned}`;
      case 'boolean': return 'tinyint(1)';
      case 'decimal': return `decimal(${spec.precision ?? 10},${spec.scale ?? 0})`;
      case 'timestamp': {
        const name = spec.withTimezone === true ? 'timestamp' : 'datetime';
        return spec.precision === undefined || spec.precision === DEFAULT_TIMESTAMP_PRECISION ? name : `${name}(${spec.precision})`;
      }
      case 'uuid': return 'char(36)';
      case 'binary': return spec.length === undefined ? 'blob' : `varbinary(${spec.length})`;
      default: return spec.type!;
    }
  }

  declaredType(spec: ColumnSpec): ColumnTypeInfo {
    return this.parseType(this.columnType(spec));
  }

  parseType(raw: string): ColumnTypeInfo {
    const text = canonicalMysqlType(raw);
    const { type: typeText } = splitColumnAttributes(text);
    const m = /^([a-z]+)(?:\(([^)]*)\))?(?: (.*))?$/.exec(typeText);
    const info: ColumnTypeInfo = { type: null, raw: text };
    if (!m) return info;
    const base = m[1]!;
    const args = (m[2] ?? '').split(',').filter((a) => a !== '').map(Number);
    const [first, second] = args;
    if (base === 'uuid') return { type: 'string', length: 36, raw: text }; // MariaDB 10.7's native UUID: 36 characters
    // Every tinyint is a boolean, whatever its display width: MySQL and most
    // ORMs write tinyint(1), TypeORM tinyint, which MariaDB prints tinyint(4).
    const type = base === 'tinyint' ? 'boolean' : NAMES.get(base) ?? null;
    info.type = type;
    if (isIntegerType(type ?? undefined) && /\b(?:unsigned|zerofill)\b/.test(m[3] ?? '')) info.unsigned = true;
    const whole = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 0;
    if (type === 'string') info.length = whole(first) ? first : 1; // CHAR alone is CHAR(1)
    if (type === 'binary' && (base === 'binary' || base === 'varbinary')) info.length = whole(first) ? first : 1;
    if (type === 'decimal') {
      info.precision = whole(first) ? first : 10;
      info.scale = whole(second) ? second : 0;
    }
    if (type === 'timestamp') {
      info.withTimezone = base === 'timestamp';
      info.precision = whole(first) ? first : DEFAULT_TIMESTAMP_PRECISION;
    }
    return info;
  }

  defaultSql(value: DefaultValue, spec: ColumnSpec): string {
    // The literal's form follows the column's type: bare for numbers, quoted otherwise.
    const written = splitColumnAttributes(canonicalMysqlType(this.columnType({ ...spec, autoIncrement: undefined }))).type;
    const declared = this.parseType(written);
    const numeric = declared.type !== null && NUMERIC.has(declared.type);
    const expressionOnly = this.flavor === 'mysql' && EXPRESSION_DEFAULT_ONLY.test(written.replace(/[ (].*$/, ''));
    const literal = (sql: string): string => (expressionOnly ? `(${sql})` : sql);
    if (value === null) return 'NULL';
    if (typeof value === 'boolean') return numeric ? (value ? '1' : '0') : literal(quoteMysqlString(value ? '1' : '0'));
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new IdemError('OPERATION_INVALID', `default ${String(value)} cannot be stored in MySQL/MariaDB`, { hint: 'use a finite number, or null' });
      }
      return numeric ? String(value) : literal(quoteMysqlString(String(value)));
    }
    if (typeof value === 'string') {
      if (numeric && NUMBER_LITERAL.test(value.trim())) return canonicalNumber(value);
      // The server stores '2024-01-01' in a DATETIME as '2024-01-01 00:00:00' and reports that.
      const when = declared.type === 'timestamp' ? /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?)?$/.exec(value) : null;
      const text = when ? `${when[1]} ${when[2] ?? '00:00'}${when[3] ?? ':00'}` : value;
      return literal(quoteMysqlString(text));
    }
    const sql = value.sql.trim();
    if (sql === '') {
      throw new IdemError('OPERATION_INVALID', 'default { sql } is empty', { hint: "give an expression, e.g. { sql: 'CURRENT_TIMESTAMP' }" });
    }
    // MySQL 8.0.13+ takes an expression default only in parentheses (MariaDB takes both);
    // a literal and CURRENT_TIMESTAMP stay bare, as both servers print them.
    // https://dev.mysql.com/doc/refman/8.0/en/data-type-defaults.html#data-type-defaults-explicit
    if (isNowDefault(sql)) return nowWithPrecision(sql, declared);
    if (enclosedInParens(sql)) return sql;
    const tokens = tokenizeMysqlDefault(sql);
    const single = tokens.length === 1 && (tokens[0]!.kind !== 'word' || ['null', 'true', 'false'].includes(tokens[0]!.text));
    if (single || NUMBER_LITERAL.test(sql)) return literal(sql);
    return `(${sql})`;
  }

  normalizeDefault(sql: string | null): string | null {
    return normalizeMysqlDefault(sql);
  }
}

/**
 * CURRENT_TIMESTAMP with the column's fractional digits: the server refuses
 * `datetime(3) DEFAULT CURRENT_TIMESTAMP` (the precisions must agree) and
 * reports the default as `current_timestamp(3)`.
 * https://dev.mysql.com/doc/refman/8.0/en/timestamp-initialization.html
 */
function nowWithPrecision(sql: string, declared: ColumnTypeInfo): string {
  const precision = declared.type === 'timestamp' ? declared.precision ?? 0 : 0;
  if (precision === 0 || /\(\s*\d+\s*\)$/.test(sql)) return sql;
  return `${sql.replace(/\(\s*\)$/, '')}(${precision})`;
}
