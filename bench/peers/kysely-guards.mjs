// A Kysely project's guards, as its users write them: Kysely has
// `ifNotExists()` for tables and indexes but none for a column, and its
// introspector reads every table; so a column is looked up on its own in the
// catalog, and a data migration runs its condition query first. The
// generated migrations import these by a relative path.
import { sql } from 'kysely';

/**
 * @param {import('kysely').Kysely<any>} db
 * @param {string} dialect
 * @param {string} table
 * @param {string} column
 */
export async function columnExists(db, dialect, table, column) {
  const query = dialect === 'sqlite'
    ? sql`SELECT 1 AS found FROM pragma_table_info(${table}) WHERE name = ${column}`
    : dialect === 'postgres'
      ? sql`SELECT 1 AS found FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ${table} AND column_name = ${column}`
      : sql`SELECT 1 AS found FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ${table} AND column_name = ${column}`;
  const { rows } = await query.execute(db);
  return rows.length > 0;
}

/**
 * @param {import('kysely').Kysely<any>} db
 * @param {string} condition a query returning one row with one value
 */
export async function conditionHolds(db, condition) {
  const { rows } = await sql.raw(condition).execute(db);
  if (rows.length !== 1) throw new Error(`the condition returned ${rows.length} rows, expected 1: ${condition}`);
  const value = Object.values(/** @type {Record<string, unknown>} */ (rows[0]))[0];
  return value === true || Number(value) > 0;
}
