// Loaded with `node --import` into a node process the bench counts on SQLite
// (idem, the peers): records every statement node:sqlite runs, with its time,
// and appends them to $IDEM_BENCH_SQL_TRACE at exit, one JSON object per
// line. SQLite runs in the process, so there is no wire to listen on; this
// wraps the calls that run a statement (a prepared statement's run, all, get,
// iterate; a database's exec, which may run several).
import { appendFileSync } from 'node:fs';
import { DatabaseSync, StatementSync } from 'node:sqlite';

const out = process.env.IDEM_BENCH_SQL_TRACE;
/** @type {Array<{ sql: string, ms: number, script?: boolean }>} */
const sent = [];

/**
 * @param {any} prototype
 * @param {string} method
 * @param {(self: any, args: unknown[]) => { sql: string, script?: boolean }} describe
 */
function wrap(prototype, method, describe) {
  const original = prototype[method];
  prototype[method] = function (/** @type {unknown[]} */ ...args) {
    const started = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      sent.push({ ...describe(this, args), ms: performance.now() - started });
    }
  };
}

if (out) {
  for (const method of ['run', 'all', 'get', 'iterate']) wrap(StatementSync.prototype, method, (statement) => ({ sql: statement.sourceSQL }));
  wrap(DatabaseSync.prototype, 'exec', (_db, args) => ({ sql: String(args[0]), script: true }));
  process.on('exit', () => {
    if (sent.length > 0) appendFileSync(out, sent.map((s) => JSON.stringify(s)).join('\n') + '\n');
  });
}
