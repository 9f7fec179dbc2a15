/**
 * Counts the statements a process sends to PostgreSQL by standing between
 * them: a TCP proxy that reads the frontend protocol (simple queries, and
 * Parse/Bind/Execute for the extended one) and times each request until the
 * server's ReadyForQuery. It sees exactly one tool's connections, needs no
 * server setting (pg_stat_statements is not preloaded here, and
 * `log_statement` would log every client of the server), and works for the
 * Python drivers as for the node ones.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 *
 * The proxy answers SSL and GSS encryption requests itself with "no", so
 * the conversation stays readable; the bench times tools without it.
 */
import type { Socket } from 'node:net';
import { startCountingProxy, type StatementCounter } from './counting-proxy.ts';
import { splitStatements, type SentStatement } from './statements.ts';

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;

export function startPostgresCounter(serverUrl: string): Promise<StatementCounter> {
  return startCountingProxy(serverUrl, 5432, relay);
}

/** One client connection: frontend messages parsed on their way up, backend messages watched for ReadyForQuery. */
function relay(client: Socket, upstream: Socket, record: (s: SentStatement) => void): void {
  const prepared = new Map<string, string>();
  const portals = new Map<string, string>();
  // Requests awaiting their ReadyForQuery: a simple query, or what was sent up to a Sync.
  const pending: Array<{ started: number; statements: string[] }> = [];
  let batch: string[] = [];
  let startup = true;
  let fromClient = Buffer.alloc(0);
  let fromServer = Buffer.alloc(0);

  // Whole messages go up in one write per chunk received: one write per message would meet Nagle's
  // algorithm and the server's delayed ACK, and add 40 ms to every extended-protocol query.
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.on('data', (chunk: Buffer) => {
    fromClient = Buffer.concat([fromClient, chunk]);
    const forward: Buffer[] = [];
    for (;;) {
      if (startup) {
        if (fromClient.length < 8) break;
        const length = fromClient.readInt32BE(0);
        if (fromClient.length < length) break;
        const code = fromClient.readInt32BE(4);
        const message = fromClient.subarray(0, length);
        fromClient = fromClient.subarray(length);
        if (length === 8 && (code === SSL_REQUEST || code === GSSENC_REQUEST)) {
          client.write('N');
          continue;
        }
        startup = false;
        forward.push(message);
        continue;
      }
      if (fromClient.length < 5) break;
      const length = fromClient.readInt32BE(1) + 1;
      if (fromClient.length < length) break;
      const message = fromClient.subarray(0, length);
      fromClient = fromClient.subarray(length);
      const type = String.fromCharCode(message[0]!);
      const body = message.subarray(5);
      if (type === 'Q') {
        pending.push({ started: performance.now(), statements: splitStatements(cstrings(body, 1)[0]!) });
      } else if (type === 'P') {
        const [name, text] = cstrings(body, 2);
        prepared.set(name!, text!);
      } else if (type === 'B') {
        const [portal, statement] = cstrings(body, 2);
        portals.set(portal!, prepared.get(statement!) ?? '');
      } else if (type === 'E') {
        batch.push(portals.get(cstrings(body, 1)[0]!) ?? '');
      } else if (type === 'S') {
        pending.push({ started: performance.now(), statements: batch });
        batch = [];
      }
      forward.push(message);
    }
    if (forward.length > 0) upstream.write(Buffer.concat(forward));
  });

  upstream.on('data', (chunk: Buffer) => {
    client.write(chunk);
    fromServer = Buffer.concat([fromServer, chunk]);
    while (fromServer.length >= 5) {
      const length = fromServer.readInt32BE(1) + 1;
      if (fromServer.length < length) return;
      const type = String.fromCharCode(fromServer[0]!);
      fromServer = fromServer.subarray(length);
      if (type === 'Z') {
        const done = pending.shift();
        if (!done) continue;
        const ms = (performance.now() - done.started) / Math.max(1, done.statements.length);
        for (const sql of done.statements) record({ sql, ms });
      }
    }
  });

  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('close', end).on('error', end);
  upstream.on('close', end).on('error', end);
}

/** The first `count` NUL-terminated strings of a message body. */
function cstrings(body: Buffer, count: number): string[] {
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    const end = body.indexOf(0, at);
    out.push(body.toString('utf8', at, end === -1 ? body.length : end));
    at = end + 1;
  }
  return out;
}
