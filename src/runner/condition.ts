/**
 * The guard of `executeIf`: a query that must return exactly one row with
 * one value. Anything else is an error, never read as "false": a condition
 * that could not be checked must not look like one that does not hold.
 */
import type { DialectSession } from '../dialect/dialect.ts';
import { IdemError } from '../errors.ts';

export async function evaluateCondition(session: DialectSession, condition: string, params: unknown[]): Promise<boolean> {
  let rows: unknown[][];
  try {
    const sql = session.bindPlaceholders(condition);
    rows = session.driver.queryArrays
      ? await session.driver.queryArrays(sql, params)
      : (await session.driver.query(sql, params)).map((row) => Object.values(row));
  } catch (error) {
    throw new IdemError('OPERATION_FAILED', 'the condition query failed', { sql: condition, cause: error, hint: 'fix the condition query in the migration' });
  }
  if (rows.length !== 1) {
    throw new IdemError('OPERATION_INVALID', `the condition query returned ${rows.length} rows, expected exactly 1`, {
      sql: condition, hint: 'make the condition return one value, e.g. SELECT COUNT(*) > 0 FROM … or SELECT EXISTS (…)',
    });
  }
  const values = rows[0]!;
  if (values.length !== 1) {
    throw new IdemError('OPERATION_INVALID', `the condition query returned ${values.length} columns, expected exactly 1`, {
      sql: condition, hint: 'select a single value, e.g. SELECT COUNT(*) > 0 FROM …',
    });
  }
  return truthy(values[0]);
}

/** Engines spell true as 1, 1n, true, 't' or '1'. */
export function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['t', 'true', 'y', 'yes'].includes(v)) return true;
    const n = Number(v);
    return v !== '' && !Number.isNaN(n) && n !== 0;
  }
  return false;
}
