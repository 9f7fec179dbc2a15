/**
 * The database servers the server-side tests use: from the same variables as
 * test/engines.ts. .ci/run always sets them (and a server that is then down
 * fails the tests loudly); without them, a developer with no servers runs the
 * SQLite part alone and these tests say why they were skipped.
 */
export const withoutPostgres: string | false = process.env.IDEM_TEST_POSTGRES_URL ? false : 'IDEM_TEST_POSTGRES_URL is not set: PostgreSQL server tests skipped';
export const withoutMariadb: string | false = process.env.IDEM_TEST_MARIADB_URL ? false : 'IDEM_TEST_MARIADB_URL is not set: MariaDB server tests skipped';

// When unset, a placeholder on a reserved domain that never resolves: module-level code may parse
// it, and the tests that would use it are skipped.
/** One statement on the PostgreSQL admin connection (scratch databases for the server unit tests). */
export async function postgresAdmin(sql: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export const POSTGRES_URL = process.env.IDEM_TEST_POSTGRES_URL || 'postgres://unset.invalid/test';
export const MARIADB_URL = process.env.IDEM_TEST_MARIADB_URL || 'mysql://unset.invalid/test';
