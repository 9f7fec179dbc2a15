// `knex migrate:latest`, as a Knex user's deploy step runs it: one process,
// the Knex config for the engine, migrations loaded from a folder.
// On SQLite, Knex's better-sqlite3 client is given node:sqlite through the
// adapter (Knex 3 has no node:sqlite client of its own).
//
// usage: node knex-up.mjs <sqlite|postgres|mariadb> <file or URL> <migrations dir>
import knexFactory from 'knex';
import BetterSqliteClient from 'knex/lib/dialects/better-sqlite3/index.js';
import { runPeer } from './connection.mjs';
import { NodeSqliteDatabase } from './node-sqlite-adapter.mjs';

class NodeSqliteClient extends BetterSqliteClient {
  _driver() {
    return NodeSqliteDatabase;
  }
}

/** @param {string} dialect @param {string} target */
function connectionConfig(dialect, target) {
  if (dialect === 'sqlite') return { client: NodeSqliteClient, connection: { filename: target }, useNullAsDefault: true };
  if (dialect === 'postgres') return { client: 'pg', connection: target };
  if (dialect === 'mariadb') return { client: 'mysql2', connection: target };
  throw new Error(`unknown dialect ${dialect}: expected sqlite, postgres or mariadb`);
}

runPeer(async () => {
  const [dialect = '', target = '', directory = ''] = process.argv.slice(2);
  const knex = knexFactory({ ...connectionConfig(dialect, target), migrations: { directory, loadExtensions: ['.mjs'] } });
  try {
    const [batch, log] = await knex.migrate.latest();
    process.stdout.write(log.length === 0 ? 'Already up to date\n' : `Batch ${batch} run: ${log.length} migrations\n`);
  } finally {
    await knex.destroy();
  }
});
