// Kysely's Migrator with its FileMigrationProvider, as a Kysely user's
// deploy step runs it: one process, the engine's dialect, migrations loaded
// from a folder. On SQLite, SqliteDialect is given node:sqlite through the
// adapter (it takes any database with better-sqlite3's prepare API).
//
// usage: node kysely-up.mjs <sqlite|postgres|mariadb> <file or URL> <migrations dir>
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import { runPeer } from './connection.mjs';

/** @param {string} dialect @param {string} target */
async function createDialect(dialect, target) {
  if (dialect === 'sqlite') {
    const { NodeSqliteDatabase } = await import('./node-sqlite-adapter.mjs');
    return new SqliteDialect({ database: new NodeSqliteDatabase(target) });
  }
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    return new PostgresDialect({ pool: new pg.Pool({ connectionString: target }) });
  }
  if (dialect === 'mariadb') {
    const { createPool } = await import('mysql2');
    return new MysqlDialect({ pool: createPool(target) });
  }
  throw new Error(`unknown dialect ${dialect}: expected sqlite, postgres or mariadb`);
}

runPeer(async () => {
  const [dialect = '', target = '', migrationFolder = ''] = process.argv.slice(2);
  const db = new Kysely({ dialect: await createDialect(dialect, target) });
  try {
    const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) throw error;
    const failed = results.find((r) => r.status !== 'Success');
    if (failed) throw new Error(`migration ${failed.migrationName}: ${failed.status}`);
    process.stdout.write(results.length === 0 ? 'Already up to date\n' : `${results.length} migrations run\n`);
  } finally {
    await db.destroy();
  }
});
