// The floor for `fresh`: the workload as a hand-written SQL script, sent
// statement by statement through the driver idem uses, over one connection,
// as `psql --single-transaction -f` or `mysql < script.sql` would. On
// PostgreSQL and SQLite the script is one transaction (DDL rolls back there);
// MariaDB commits each DDL statement implicitly, so it runs in autocommit.
//
// usage: node raw-script.mjs <sqlite|postgres|mariadb> <file or URL> <script.sql>
// The script holds one statement per line, each ending in `;`.
import { readFileSync } from 'node:fs';
import { connect, runPeer } from './connection.mjs';

runPeer(async () => {
  const [dialect = '', target = '', scriptPath = ''] = process.argv.slice(2);
  const statements = readFileSync(scriptPath, 'utf8').split('\n').map((line) => line.trim()).filter((line) => line !== '')
    .map((line) => (line.endsWith(';') ? line.slice(0, -1) : line));
  const transactional = dialect !== 'mariadb';
  const connection = await connect(dialect, target);
  try {
    if (transactional) await connection.query('BEGIN');
    for (const statement of statements) await connection.query(statement);
    if (transactional) await connection.query('COMMIT');
  } finally {
    await connection.close();
  }
});
