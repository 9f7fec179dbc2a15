// The floor for `noop`: a bare node process that opens the database through
// the driver idem uses and reads one row, nothing else. No run of any tool
// that must at least ask the database what it has can be cheaper.
//
// usage: node floor.mjs <sqlite|postgres|mariadb> <file or URL> <query>
import { connect, runPeer } from './connection.mjs';

runPeer(async () => {
  const [dialect = '', target = '', sql = ''] = process.argv.slice(2);
  const connection = await connect(dialect, target);
  try {
    const rows = await connection.query(sql);
    if (rows.length !== 1) throw new Error(`the floor's query returned ${rows.length} rows, expected 1: ${sql}`);
  } finally {
    await connection.close();
  }
});
