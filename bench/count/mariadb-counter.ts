/**
 * Counts the statements a process sends to MariaDB/MySQL by standing between
 * them: a TCP proxy that reads the client's command packets (COM_QUERY, and
 * COM_STMT_PREPARE/EXECUTE for server-side prepared statements). It sees one
 * tool's connections only, where the server's global `Questions` counter or
 * general log would also count every other client of a shared server.
 * https://mariadb.com/kb/en/clientserver-protocol/
 *
 * Each statement is timed until the first packet of its response, which the
 * server sends once the statement ran (results here are a few rows). The
 * proxy clears CLIENT_SSL from the server's greeting so the conversation
 * stays readable; the bench times tools without it.
 */
import type { Socket } from 'node:net';
import { startCountingProxy, type StatementCounter } from './counting-proxy.ts';
import { splitStatements, type SentStatement } from './statements.ts';

const COM_QUERY = 0x03;
const COM_STMT_PREPARE = 0x16;
const COM_STMT_EXECUTE = 0x17;
const CLIENT_SSL = 0x0800;

export function startMariadbCounter(serverUrl: string): Promise<StatementCounter> {
  return startCountingProxy(serverUrl, 3306, relay);
}

/**
 * Splits a byte stream into protocol packets (3-byte length, 1-byte sequence
 * id, payload), and passes on the whole packets of each chunk in one write:
 * a write per packet would meet Nagle's algorithm and delayed ACKs (40 ms).
 */
function packetRelay(to: Socket, onPacket: (sequence: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let buffered = Buffer.alloc(0);
  return (chunk) => {
    buffered = Buffer.concat([buffered, chunk]);
    let whole = 0;
    while (buffered.length - whole >= 4) {
      const length = buffered.readUIntLE(whole, 3);
      if (buffered.length - whole < 4 + length) break;
      onPacket(buffered[whole + 3]!, buffered.subarray(whole + 4, whole + 4 + length));
      whole += 4 + length;
    }
    if (whole > 0) to.write(buffered.subarray(0, whole));
    buffered = buffered.subarray(whole);
  };
}

function relay(client: Socket, upstream: Socket, record: (s: SentStatement) => void): void {
  const prepared = new Map<number, string>();
  let greeted = false;
  let awaitingPrepare: string | undefined;
  // Statements sent and not yet answered, oldest first (a client sends one command at a time).
  let inFlight: { started: number; statements: string[] } | undefined;

  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.on('data', packetRelay(upstream, (sequence, payload) => {
    // A command starts a new exchange with sequence id 0; the handshake and authentication do not.
    if (sequence === 0 && payload.length > 0) {
      const command = payload[0];
      if (command === COM_QUERY) {
        inFlight = { started: performance.now(), statements: splitStatements(payload.toString('utf8', 1)) };
      } else if (command === COM_STMT_PREPARE) {
        awaitingPrepare = payload.toString('utf8', 1);
      } else if (command === COM_STMT_EXECUTE) {
        inFlight = { started: performance.now(), statements: [prepared.get(payload.readUInt32LE(1)) ?? ''] };
      }
    }
  }));

  upstream.on('data', packetRelay(client, (sequence, payload) => {
    if (!greeted) {
      greeted = true;
      // The greeting: protocol version, server version (NUL-terminated), thread id (4), scramble (8), filler (1), capabilities (2).
      const capabilities = payload.indexOf(0, 1) + 1 + 4 + 8 + 1;
      payload.writeUInt16LE(payload.readUInt16LE(capabilities) & ~CLIENT_SSL, capabilities);
    } else if (sequence === 1 && awaitingPrepare !== undefined) {
      // COM_STMT_PREPARE_OK: 0x00, then the statement id.
      if (payload[0] === 0x00) prepared.set(payload.readUInt32LE(1), awaitingPrepare);
      awaitingPrepare = undefined;
    } else if (sequence === 1 && inFlight) {
      const ms = (performance.now() - inFlight.started) / Math.max(1, inFlight.statements.length);
      for (const sql of inFlight.statements) record({ sql, ms });
      inFlight = undefined;
    }
  }));

  const end = () => {
    client.destroy();
    upstream.destroy();
  };
  client.on('close', end).on('error', end);
  upstream.on('close', end).on('error', end);
}
