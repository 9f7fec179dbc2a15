// One connection through the driver idem itself uses on each engine
// (node:sqlite, pg, mysql2), with only what the raw script and the floor
// need: send one statement, read its rows, close. Each driver is imported
// only for its own engine, as idem does, so a process pays for one.

/**
 * @typedef {{ query(sql: string): Promise<Record<string, unknown>[]>, close(): Promise<void> }} PeerConnection
 * @param {string} dialect sqlite | postgres | mariadb
 * @param {string} target a file path for sqlite, a URL for the servers
 * @returns {Promise<PeerConnection>}
 */
export async function connect(dialect, target) {
  if (dialect === 'sqlite') {
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(target);
    return {
      async query(sql) {
        const statement = db.prepare(sql);
        if (statement.columns().length > 0) return statement.all();
        statement.run();
        return [];
      },
      async close() {
        db.close();
      },
    };
  }
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    return {
      async query(sql) {
        return (await client.query(sql)).rows;
      },
      async close() {
        await client.end();
      },
    };
  }
  if (dialect === 'mariadb') {
    const mysql = await import('mysql2/promise');
    const connection = await mysql.createConnection(target);
    return {
      async query(sql) {
        const [rows] = await connection.query(sql);
        return Array.isArray(rows) ? /** @type {Record<string, unknown>[]} */ (rows) : [];
      },
      async close() {
        await connection.end();
      },
    };
  }
  throw new Error(`unknown dialect ${dialect}: expected sqlite, postgres or mariadb`);
}

/**
 * Runs a peer's main and exits 1 with the error's message (no stack: the
 * bench prints it) when it fails.
 * @param {() => Promise<void>} main
 */
export function runPeer(main) {
  main().catch((error) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
