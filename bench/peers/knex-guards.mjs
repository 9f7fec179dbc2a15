// A Knex project's guard for data migrations, as its users write one: run the
// condition query, and the change only when it returns a true value. The
// generated migrations import it by a relative path.

/**
 * @param {import('knex').Knex} knex
 * @param {string} condition a query returning one row with one value
 */
export async function conditionHolds(knex, condition) {
  const result = await knex.raw(condition);
  // knex.raw returns the driver's own shape: pg { rows }, mysql2 [rows, fields], SQLite the rows.
  const rows = Array.isArray(result) ? (Array.isArray(result[0]) ? result[0] : result) : result.rows;
  if (!Array.isArray(rows) || rows.length !== 1) throw new Error(`the condition returned ${rows?.length ?? 'no'} rows, expected 1: ${condition}`);
  const value = Object.values(rows[0])[0];
  return value === true || Number(value) > 0;
}
