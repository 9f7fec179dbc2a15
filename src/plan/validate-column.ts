/**
 * The rules a column declaration must follow on every engine. Each dialect's
 * type mapper calls this before spelling a type, so an impossible spec fails
 * the same way everywhere, before any SQL is sent.
 */
import { IdemError } from '../errors.ts';
import { COLUMN_TYPES, isColumnType, isIntegerType } from './column-spec.ts';
import type { ColumnSpec } from './column-spec.ts';

function invalid(column: string, problem: string, hint: string): IdemError {
  const subject = column === '' ? 'column' : `column "${column}"`;
  return new IdemError('OPERATION_INVALID', `${subject}: ${problem}`, { hint });
}

/** Microseconds: the finest MySQL, MariaDB and PostgreSQL keep. https://www.postgresql.org/docs/current/datatype-datetime.html */
const MAX_FRACTIONAL_DIGITS = 6;

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** What an engine cannot store, for the rules that depend on it. */
export interface EngineLimits {
  /** The engine's name, for the message. */
  engine: string;
  /** false where integers are always signed (PostgreSQL, SQLite). */
  unsignedIntegers: boolean;
}

/**
 * Throws OPERATION_INVALID naming the problem and the fix. `column` may be ''
 * when unknown. With `limits`, also what that engine cannot store.
 */
export function validateColumnSpec(column: string, spec: ColumnSpec, limits?: EngineLimits): void {
  const { type, sqlType } = spec;
  if (sqlType !== undefined && (typeof sqlType !== 'string' || sqlType.trim() === '')) {
    throw invalid(column, 'sqlType is empty', 'give the type as the engine spells it, e.g. sqlType: "varchar(40)", or use type');
  }
  if (type === undefined) {
    if (sqlType === undefined) {
      throw invalid(column, 'has neither type nor sqlType', `add type: one of ${COLUMN_TYPES.join(', ')}`);
    }
    for (const option of ['length', 'precision', 'scale', 'unsigned'] as const) {
      if (spec[option] !== undefined) {
        throw invalid(column, `${option} has no effect with sqlType alone`, `write it inside sqlType, e.g. "varchar(40)", "numeric(12,2)" or "int unsigned"`);
      }
    }
  } else if (!isColumnType(type)) {
    throw invalid(column, `unknown type "${String(type)}"`, `use one of ${COLUMN_TYPES.join(', ')}, or sqlType for an engine-specific type`);
  }

  if (spec.length !== undefined) {
    if (type !== undefined && type !== 'string' && type !== 'binary') {
      throw invalid(column, `length is only valid for string and binary columns, not ${type}`, 'remove length, or change the type to string');
    }
    if (!isPositiveInteger(spec.length)) {
      throw invalid(column, `length must be a positive integer, got ${String(spec.length)}`, 'use a whole number of characters or bytes, e.g. length: 255');
    }
  }

  if (type === 'timestamp') {
    if (spec.scale !== undefined) throw invalid(column, 'scale is only valid for decimal columns, not timestamp', 'remove scale; precision gives the fractional-second digits');
    if (spec.precision !== undefined && !(Number.isInteger(spec.precision) && spec.precision >= 0 && spec.precision <= MAX_FRACTIONAL_DIGITS)) {
      throw invalid(column, `timestamp precision must be a whole number from 0 to ${MAX_FRACTIONAL_DIGITS}, got ${String(spec.precision)}`,
        'give the fractional-second digits: 0 for seconds, 3 for milliseconds, 6 for microseconds');
    }
  } else {
    if ((spec.precision !== undefined || spec.scale !== undefined) && type !== undefined && type !== 'decimal') {
      throw invalid(column, `precision and scale are only valid for decimal and timestamp columns, not ${type}`, 'remove them, or change the type to decimal');
    }
    if (spec.precision !== undefined && !isPositiveInteger(spec.precision)) {
      throw invalid(column, `precision must be a positive integer, got ${String(spec.precision)}`, 'use the total number of digits, e.g. precision: 12');
    }
  }
  if (spec.scale !== undefined && !(Number.isInteger(spec.scale) && spec.scale >= 0)) {
    throw invalid(column, `scale must be a non-negative integer, got ${String(spec.scale)}`, 'use the digits after the point, e.g. scale: 2');
  }
  if (type === 'decimal') {
    const precision = spec.precision ?? 10;
    const scale = spec.scale ?? 0;
    if (scale > precision) {
      throw invalid(column, `scale ${scale} is larger than precision ${precision}`, 'make precision at least as large as scale (precision counts all digits)');
    }
  }

  if (spec.withTimezone === true && type !== undefined && type !== 'timestamp') {
    throw invalid(column, `withTimezone is only valid for timestamp columns, not ${type}`, 'remove withTimezone, or change the type to timestamp');
  }
  if (spec.unsigned !== undefined) {
    if (typeof spec.unsigned !== 'boolean') {
      throw invalid(column, `unsigned must be true or false, got ${JSON.stringify(spec.unsigned)}`, 'write unsigned: true');
    }
    if (type !== undefined && !isIntegerType(type)) {
      throw invalid(column, `unsigned is only valid for integer, bigint and smallint columns, not ${type}`, 'remove unsigned, or change the type to an integer type');
    }
  }
  // Refused rather than written as a plain (signed) integer: a column that
  // takes negative values is not the column declared, and a CHECK (>= 0) on
  // the signed type would still halve the range. Where the migration must run
  // on such an engine too, it says so itself (a wider type, its own CHECK).
  if (spec.unsigned === true && limits !== undefined && !limits.unsignedIntegers) {
    throw invalid(column, `unsigned integers do not exist in ${limits.engine}`,
      `remove unsigned, or declare a wider signed type (bigint for integer unsigned) and a CHECK (${column === '' ? 'column' : column} >= 0) with m.sql`);
  }
  if (spec.autoIncrement === true && !isIntegerType(type)) {
    throw invalid(
      column,
      `autoIncrement needs an integer type, not ${type ?? `sqlType "${sqlType ?? ''}"`}`,
      'use type: "integer" (or bigint, smallint) for an auto-incrementing column',
    );
  }
}
