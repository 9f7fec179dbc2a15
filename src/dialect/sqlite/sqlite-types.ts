/**
 * Portable column types in SQLite's terms, both ways.
 *
 * SQLite stores any declared type name and derives only an affinity from it
 * (https://www.sqlite.org/datatype3.html#determination_of_column_affinity), so
 * the spelling is ours to choose. We write names that keep a useful affinity
 * (`varchar` is TEXT, `decimal` NUMERIC, `double` REAL) and that read back to
 * the same portable type, and we read the names other tools write (SQLAlchemy,
 * Knex, hand-written DDL) so an existing database compares sensibly.
 */
import type { ColumnTypeInfo } from '../../catalog/snapshot.ts';
import { IdemError } from '../../errors.ts';
import { isIntegerType } from '../../plan/column-spec.ts';
import type { ColumnSpec, ColumnType, DefaultValue } from '../../plan/column-spec.ts';
import { validateColumnSpec } from '../../plan/validate-column.ts';
import type { EngineLimits } from '../../plan/validate-column.ts';
import type { TypeMapper } from '../dialect.ts';
import { tokenizeSql } from './sqlite-table-sql.ts';
import type { SqlToken } from './sqlite-table-sql.ts';
import { isOneParenGroup } from '../paren-group.ts';

/** Base names (arguments removed, `unsigned` dropped) to portable types. */
const NAMES: ReadonlyMap<string, ColumnType> = new Map<string, ColumnType>([
  ...['varchar', 'character varying', 'varying character', 'nvarchar', 'char', 'character', 'nchar', 'native character']
    .map((n) => [n, 'string'] as const),
  ...['text', 'clob', 'tinytext', 'mediumtext', 'longtext', 'string'].map((n) => [n, 'text'] as const),
  ...['integer', 'int', 'int4', 'mediumint'].map((n) => [n, 'integer'] as const),
  ...['bigint', 'int8', 'big int'].map((n) => [n, 'bigint'] as const),
  ...['smallint', 'int2', 'tinyint'].map((n) => [n, 'smallint'] as const),
  ...['boolean', 'bool'].map((n) => [n, 'boolean'] as const),
  ...['decimal', 'numeric'].map((n) => [n, 'decimal'] as const),
  ...['float', 'real'].map((n) => [n, 'float'] as const),
  ...['double', 'double precision'].map((n) => [n, 'double'] as const),
  ['date', 'date'],
  ...['datetime', 'timestamp', 'timestamp without time zone', 'timestamptz', 'timestamp with time zone']
    .map((n) => [n, 'timestamp'] as const),
  ...['json', 'jsonb'].map((n) => [n, 'json'] as const),
  ['uuid', 'uuid'],
  ...['blob', 'binary', 'varbinary', 'bytea', 'tinyblob', 'mediumblob', 'longblob'].map((n) => [n, 'binary'] as const),
]);

const WITH_TIMEZONE = new Set(['timestamptz', 'timestamp with time zone']);

/** Bare keywords SQLite accepts as a DEFAULT without parentheses. https://www.sqlite.org/lang_createtable.html#dfltval */
const BARE_DEFAULT_KEYWORDS = new Set(['CURRENT_TIMESTAMP', 'CURRENT_DATE', 'CURRENT_TIME']);

/** SQLite's integers are signed 64-bit; `unsigned` in a declared type is a word it ignores. */
export const SQLITE_LIMITS: EngineLimits = { engine: 'SQLite', unsignedIntegers: false };

/**
 * The affinity SQLite derives from a declared type name, by its rules in their order.
 * https://www.sqlite.org/datatype3.html#determination_of_column_affinity
 */
export function sqliteAffinity(declared: string): 'integer' | 'text' | 'blob' | 'real' | 'numeric' {
  const name = declared.toUpperCase();
  if (name.includes('INT')) return 'integer';
  if (/CHAR|CLOB|TEXT/.test(name)) return 'text';
  if (name.includes('BLOB') || name.trim() === '') return 'blob';
  if (/REAL|FLOA|DOUB/.test(name)) return 'real';
  return 'numeric';
}

/** Integer-affinity portable types: what ORMs write for a boolean (SQLite has none). */
const BOOLEAN_STORAGE: ReadonlySet<ColumnType> = new Set(['boolean', 'integer', 'smallint']);

export class SqliteTypeMapper implements TypeMapper {
  readonly engine = 'SQLite';

  columnType(spec: ColumnSpec): string {
    validateColumnSpec('', spec, SQLITE_LIMITS);
    if (spec.sqlType !== undefined) return spec.sqlType.trim();
    const type = spec.type!;
    // Only a column declared exactly INTEGER PRIMARY KEY becomes the rowid
    // alias that auto-assigns; `bigint primary key` would be a plain column.
    // https://www.sqlite.org/lang_createtable.html#rowid
    if (spec.primaryKey === true && spec.autoIncrement === true && isIntegerType(type)) return 'integer';
    switch (type) {
      case 'string': return `varchar(${spec.length ?? 255})`;
      case 'decimal': return `decimal(${spec.precision ?? 10},${spec.scale ?? 0})`;
      case 'timestamp': {
        // SQLite keeps a timestamp as text the application writes: the precision is the declared spelling only.
        const name = spec.withTimezone === true ? 'timestamptz' : 'timestamp';
        return spec.precision === undefined ? name : `${name}(${spec.precision})`;
      }
      case 'binary': return 'blob';
      default: return type;
    }
  }

  declaredType(spec: ColumnSpec): ColumnTypeInfo {
    const info = this.parseType(this.columnType(spec));
    if (spec.sqlType === undefined && spec.type === 'string' && info.length === undefined) info.length = spec.length ?? 255;
    return info;
  }

  parseType(raw: string): ColumnTypeInfo {
    const text = raw.trim().toLowerCase().replace(/\s+/g, ' ');
    // `decimal(10, 2)`, `timestamp(3) with time zone`, `int(11) unsigned`: take
    // the first argument list out, keep the words around it as the base name.
    const args: number[] = [];
    const base = text
      .replace(/\(([^)]*)\)/, (_, inner: string) => {
        for (const part of inner.split(',')) args.push(Number(part.trim()));
        return ' ';
      })
      .replace(/\bunsigned\b/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    const type = NAMES.get(base) ?? null;
    const info: ColumnTypeInfo = { type, raw: text };
    const [first, second] = args;
    const whole = (n: number | undefined): n is number => n !== undefined && Number.isInteger(n) && n >= 0;
    if ((type === 'string' || type === 'binary') && whole(first)) info.length = first;
    if (type === 'decimal') {
      if (whole(first)) info.precision = first;
      if (whole(second)) info.scale = second;
    }
    if (type === 'timestamp') {
      info.withTimezone = WITH_TIMEZONE.has(base);
      if (whole(first)) info.precision = first;
    }
    return info;
  }

  /**
   * A boolean is 0 and 1 in an integer column: Sequelize writes TINYINT(1),
   * Knex boolean, MikroORM and Drizzle integer. All hold the same values.
   */
  storesAlike(declared: ColumnTypeInfo, actual: ColumnTypeInfo): boolean {
    const pair = [declared.type, actual.type];
    return pair.includes('boolean') && pair.every((t) => t !== null && BOOLEAN_STORAGE.has(t));
  }

  defaultSql(value: DefaultValue, _spec: ColumnSpec): string {
    if (value === null) return 'NULL';
    if (typeof value === 'string') return `'${value.replaceAll("'", "''")}'`;
    if (typeof value === 'boolean') return value ? '1' : '0';
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new IdemError('OPERATION_INVALID', `default ${String(value)} cannot be stored in SQLite`, {
          hint: 'use a finite number, or null',
        });
      }
      return String(value);
    }
    const sql = value.sql.trim();
    if (sql === '') {
      throw new IdemError('OPERATION_INVALID', 'default { sql } is empty', { hint: "give an expression, e.g. { sql: 'CURRENT_TIMESTAMP' }" });
    }
    // SQLite accepts an expression default only inside parentheses.
    if (BARE_DEFAULT_KEYWORDS.has(sql.toUpperCase()) || enclosedInParens(sql)) return sql;
    return `(${sql})`;
  }

  normalizeDefault(sql: string | null, type?: ColumnTypeInfo): string | null {
    if (sql === null) return null;
    let text = sql.trim();
    while (enclosedInParens(text)) text = text.slice(1, -1).trim();
    const tokens = tokenizeSql(text);
    // A column of numeric affinity stores the text '1' as the number 1, a
    // default as any value (Knex writes a boolean's default as '1').
    // https://www.sqlite.org/datatype3.html#type_affinity
    const only = tokens.length === 1 ? tokens[0]! : undefined;
    if (only?.kind === 'string' && type !== undefined && NUMBER.test(only.value) && !['text', 'blob'].includes(sqliteAffinity(type.raw))) {
      return only.value.replace(/^\+/, '');
    }
    let out = '';
    let prev: SqlToken | undefined;
    for (const t of tokens) {
      let piece = t.text;
      if (t.kind === 'ident') {
        const upper = t.text.toUpperCase();
        piece = upper === 'TRUE' ? '1' : upper === 'FALSE' ? '0' : t.text.toLowerCase();
      }
      // Keep one space where the source had a gap between two words, or two
      // operators (so `- -1` does not become a comment); drop other spacing.
      if (prev !== undefined && t.start > prev.end && (isOperand(prev) === isOperand(t)) && !isStructural(prev) && !isStructural(t)) out += ' ';
      out += piece;
      prev = t;
    }
    // A unary plus changes nothing: SQLite reports `DEFAULT +1` as `+1`.
    if (/^\+[0-9.]/.test(out)) out = out.slice(1);
    return out === '' || out === 'null' ? null : out;
  }
}

/** A number as SQLite's affinity takes it from text: decimal digits, an optional fraction. */
const NUMBER = /^[+-]?\d+(?:\.\d+)?$/;

const isOperand = (t: SqlToken): boolean => t.kind !== 'punct';
const isStructural = (t: SqlToken): boolean => t.kind === 'punct' && '(),.;'.includes(t.text);

/** True when the whole text is one parenthesised group: `(a + b)`, not `(a) + (b)`. */
function enclosedInParens(text: string): boolean {
  const tokens = tokenizeSql(text);
  // The tokens must cover the whole text: a trailing comment would not be part of the group.
  if (tokens[0]?.start !== 0 || tokens[tokens.length - 1]?.end !== text.length) return false;
  return isOneParenGroup(tokens);
}
