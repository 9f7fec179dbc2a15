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

function isPositiveInteger(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value > 0;
}

/** Throws OPERATION_INVALID naming the problem and the fix. `column` may be '' when unknown. */
export function validateColumnSpec(column: string, spec: ColumnSpec): void {
  const { type, sqlType } = spec;
  if (sqlType !== undefined && (typeof sqlType !== 'string' || sqlType.trim() === '')) {
    throw invalid(column, 'sqlType is empty', 'give the type as the engine spells it, e.g. sqlType: "varchar(40)", or use type');
  }
  if (type === undefined) {
    if (sqlType === undefined) {
      throw invalid(column, 'has neither type nor sqlType', `add type: one of ${COLUMN_TYPES.join(', ')}`);
    }
    for (const option of ['length', 'precision', 'scale'] as const) {
      if (spec[option] !== undefined) {
        throw invalid(column, `${option} has no effect with sqlType alone`, `write it inside sqlType, e.g. "varchar(40)" or "numeric(12,2)"`);
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

  if ((spec.precision !== undefined || spec.scale !== undefined) && type !== undefined && type !== 'decimal') {
    throw invalid(column, `precision and scale are only valid for decimal columns, not ${type}`, 'remove them, or change the type to decimal');
  }
  if (spec.precision !== undefined && !isPositiveInteger(spec.precision)) {
    throw invalid(column, `precision must be a positive integer, got ${String(spec.precision)}`, 'use the total number of digits, e.g. precision: 12');
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
  if (spec.autoIncrement === true && !isIntegerType(type)) {
    throw invalid(
      column,
      `autoIncrement needs an integer type, not ${type ?? `sqlType "${sqlType ?? ''}"`}`,
      'use type: "integer" (or bigint, smallint) for an auto-incrementing column',
    );
  }
}
