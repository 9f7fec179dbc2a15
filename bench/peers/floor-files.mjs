// The floor for `noop` of a tool that checks applied migrations against their
// files: the bare floor (open the database, read one row), plus listing the
// migrations folder and reading and hashing every file in it, as idem must to
// report an edited migration (PRODUCT.md: applied migrations are checksummed).
// It checks nothing else: no header parsing, no graph, no version rows.
//
// usage: node floor-files.mjs <sqlite|postgres|mariadb> <file or URL> <query> <migrations folder>
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, runPeer } from './connection.mjs';

runPeer(async () => {
  const [dialect = '', target = '', sql = '', folder = ''] = process.argv.slice(2);
  const connection = await connect(dialect, target);
  try {
    const rows = await connection.query(sql);
    if (rows.length !== 1) throw new Error(`the floor's query returned ${rows.length} rows, expected 1: ${sql}`);
    const names = readdirSync(folder).filter((name) => name.endsWith('.ts')).sort();
    if (names.length === 0) throw new Error(`no migration files in ${folder}`);
    for (const name of names) createHash('sha256').update(readFileSync(join(folder, name), 'utf8')).digest('hex');
  } finally {
    await connection.close();
  }
});
