/**
 * The TCP proxy both statement counters stand between a tool and its server
 * with: it listens on a loopback port of its own, opens one upstream
 * connection per client connection, and leaves reading the wire protocol to
 * the engine's `relay` (postgres-counter.ts, mariadb-counter.ts).
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { SentStatement } from './statements.ts';

export interface StatementCounter {
  /** The URL to give the tool instead of the server's. */
  url: string;
  /** Everything received since the last `take()`, in order. */
  take(): SentStatement[];
  close(): Promise<void>;
}

/** Relays one client connection to the server, recording each statement the client sends. */
export type Relay = (client: Socket, upstream: Socket, record: (s: SentStatement) => void) => void;

export async function startCountingProxy(serverUrl: string, defaultPort: number, relay: Relay): Promise<StatementCounter> {
  const server = new URL(serverUrl);
  let statements: SentStatement[] = [];
  const proxy = createServer((client) => {
    const upstream = connect(Number(server.port || defaultPort), server.hostname);
    relay(client, upstream, (s) => statements.push(s));
  });
  const port = await listen(proxy);
  const url = new URL(serverUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    take() {
      const taken = statements;
      statements = [];
      return taken;
    },
    close: () => closeServer(proxy),
  };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolvePromise(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => server.close(() => resolvePromise()));
}
