/**
 * A counting session for one engine: how a counted process must be started
 * (the proxy's URL on a server, the tracer on SQLite) and what it sent.
 * Counting runs are separate from timed runs: the proxy and the tracer cost
 * time, so no timed figure ever passes through them.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { databaseFor, type BenchDatabase, type ServerUrls } from '../databases.ts';
import type { BenchDialect } from '../workload.ts';
import { startMariadbCounter } from './mariadb-counter.ts';
import type { StatementCounter } from './counting-proxy.ts';
import { startPostgresCounter } from './postgres-counter.ts';
import { splitStatements, type SentStatement } from './statements.ts';

const SQLITE_TRACE = resolve(dirname(fileURLToPath(import.meta.url)), 'sqlite-trace.mjs');

export interface CountingSession {
  /** The database as the counted process must be told it. */
  database(db: BenchDatabase): BenchDatabase;
  /** Environment for the counted process. */
  env: Record<string, string>;
  /** Statements sent since the last take. */
  take(): Promise<SentStatement[]>;
  close(): Promise<void>;
}

export async function startCounting(dialect: BenchDialect, servers: ServerUrls): Promise<CountingSession> {
  if (dialect === 'sqlite') return sqliteSession();
  const serverUrl = servers[dialect];
  if (!serverUrl) throw new Error(`no ${dialect} server URL to count against`);
  const counter = dialect === 'postgres' ? await startPostgresCounter(serverUrl) : await startMariadbCounter(serverUrl);
  return serverSession(dialect, counter);
}

function serverSession(dialect: 'postgres' | 'mariadb', counter: StatementCounter): CountingSession {
  const proxy = new URL(counter.url);
  return {
    database(db) {
      const target = new URL(db.target);
      target.hostname = proxy.hostname;
      target.port = proxy.port;
      return databaseFor(dialect, target.toString(), db.drop);
    },
    env: {},
    async take() {
      return counter.take();
    },
    close: () => counter.close(),
  };
}

async function sqliteSession(): Promise<CountingSession> {
  const dir = await mkdtemp(join(tmpdir(), 'idem-bench-trace-'));
  const file = join(dir, 'statements.jsonl');
  await writeFile(file, '');
  return {
    database: (db) => db,
    env: {
      IDEM_BENCH_SQL_TRACE: file,
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${SQLITE_TRACE}`.trim(),
    },
    async take() {
      const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
      await writeFile(file, '');
      return lines.flatMap((line) => {
        const entry = JSON.parse(line) as { sql: string; ms?: number; script?: boolean };
        if (!entry.script) return [entry];
        // exec() ran a script: its statements, with the time shared among them.
        const parts = splitStatements(entry.sql);
        return parts.map((sql) => ({ sql, ...(entry.ms !== undefined ? { ms: entry.ms / parts.length } : {}) }));
      });
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}
