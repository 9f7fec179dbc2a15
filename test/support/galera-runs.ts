/**
 * Runners and checks for the Galera proofs (test/galera/): `idem up` as child
 * processes pointed at different nodes, killable on a line of their output,
 * and each node's own view of the database (schema fingerprint through
 * src/api/schema.ts, version rows, table rows), read causally, so "the same
 * on every node" compares what each node has applied.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schema } from '../../src/api/schema.ts';
import type { IdemEvent } from '../../src/runner/events.ts';
import type { GaleraCluster } from './galera.ts';
import { CLI, migrationSource, type MigrationSource } from './project.ts';

export const NODES = [1, 2, 3];

/**
 * The migrations every Galera proof runs: schema changes, a guarded seed, and
 * unguarded inserts into `runs`, so a migration that ran twice leaves a
 * second row. Between its DDL and its insert g2 waits (in the live run, not
 * while the run is checked before it starts): until the file named
 * by IDEM_TEST_GATE exists when that is set (a test holds a runner there
 * until it kills it, or lets it go on at a moment of its choosing), else
 * IDEM_TEST_SLEEP_MS (default 200 ms).
 */
export const MIGRATIONS: MigrationSource[] = [
  {
    revision: 'g1',
    up: `await m.createTable('accounts', {
           id: { type: 'integer', primaryKey: true, autoIncrement: true },
           email: { type: 'string', length: 100, nullable: false, unique: true },
         });
         await m.createTable('runs', {
           id: { type: 'integer', primaryKey: true, autoIncrement: true },
           revision: { type: 'string', length: 20, nullable: false },
         });`,
  },
  {
    revision: 'g2', revises: 'g1',
    up: `await m.addColumn('accounts', 'plan', { type: 'string', length: 20, default: 'free' });
         const index = await m.createIndex('accounts', ['plan']);
         const gate = process.env.IDEM_TEST_GATE;
         // The wait is the live run's: the check before the run records g2 too (detail 'recorded').
         if (index.detail === 'recorded') {
           // nothing to wait for
         } else if (gate) {
           const { existsSync } = await import('node:fs');
           while (!existsSync(gate)) await new Promise((r) => setTimeout(r, 50));
         } else {
           await new Promise((r) => setTimeout(r, Number(process.env.IDEM_TEST_SLEEP_MS ?? 200)));
         }
         await m.sql("INSERT INTO runs (revision) VALUES ('g2')");`,
  },
  {
    revision: 'g3', revises: 'g2',
    up: `await m.executeIf({
           description: 'seed the admin account',
           sql: "INSERT INTO accounts (email, plan) SELECT 'admin@example.com', 'pro' FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE email = 'admin@example.com')",
           condition: "SELECT COUNT(*) = 0 FROM accounts WHERE email = 'admin@example.com'",
         });
         await m.sql("INSERT INTO runs (revision) VALUES ('g3')");`,
  },
  {
    revision: 'g4', revises: 'g3',
    up: `await m.addColumn('runs', 'note', { type: 'string', length: 50 });
         await m.sql("UPDATE accounts SET plan = 'enterprise' WHERE email = 'admin@example.com'");
         await m.sql("INSERT INTO runs (revision, note) VALUES ('g4', 'last')");`,
  },
];
export const REVISIONS = MIGRATIONS.map((m) => m.revision);

export async function writeGaleraProject(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'idem-galera-project-'));
  await mkdir(join(dir, 'migrations'));
  for (const [i, m] of MIGRATIONS.entries()) await writeFile(join(dir, 'migrations', `${String(i + 1).padStart(4, '0')}_${m.revision}.ts`), migrationSource(m));
  return dir;
}

/** Every node has every revision recorded once, each data row once, and the same schema and rows as the others. */
export async function assertConverged(cluster: GaleraCluster, database: string, nodes: number[] = NODES): Promise<NodeView> {
  const views = await Promise.all(nodes.map((n) => nodeView(cluster, n, database, ['accounts', 'runs'])));
  const first = views[0]!;
  assert.deepEqual(first.versions, Object.fromEntries(REVISIONS.map((r) => [r, 1])), 'each revision recorded exactly once');
  assert.deepEqual(first.rows.runs!.map((r) => JSON.parse(r).revision).sort(), ['g2', 'g3', 'g4'], 'each unguarded insert ran exactly once');
  assert.deepEqual(first.rows.accounts!.map((r) => [JSON.parse(r).email, JSON.parse(r).plan]), [['admin@example.com', 'enterprise']]);
  for (const [i, view] of views.entries()) assert.deepEqual(view, first, `node${nodes[i]} has what node${nodes[0]} has`);
  return first;
}

export interface Runner {
  /** Which node it talks to (1..3). */
  node: number;
  pid: number;
  /** Resolves when the process has ended, killed or not. */
  done: Promise<RunnerResult>;
  /** Resolves with the first complete output line matching `line` (rejects if the run ends first). */
  waitFor(line: RegExp): Promise<string>;
  kill(): void;
}

export interface RunnerResult {
  node: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  events: Array<IdemEvent & Record<string, unknown>>;
  ms: number;
}

/** `idem --json up` against node `node` of the database; `args` go before `up` (global flags such as --lock-lease). */
export function startRunner(
  cluster: GaleraCluster, node: number, database: string, dir: string, args: string[] = [], env: Record<string, string> = {},
): Runner {
  const started = performance.now();
  const child = spawn(process.execPath, [CLI, '--url', cluster.url(node, database), '--json', ...args, 'up'], {
    cwd: dir, env: { ...process.env, DATABASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: Array<{ line: RegExp; resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  const check = () => {
    const lines = stdout.split('\n').slice(0, -1);
    for (const w of [...watchers]) {
      const hit = lines.find((l) => w.line.test(l));
      if (hit !== undefined) {
        watchers.splice(watchers.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; check(); });
  child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  const done = new Promise<RunnerResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const w of watchers.splice(0)) w.reject(new Error(`the runner on node${node} ended before printing ${w.line}:\n${stdout}${stderr}`));
      resolve({ node, code, signal, stdout, stderr, events: parseEvents(stdout), ms: performance.now() - started });
    });
  });
  return {
    node,
    pid: child.pid!,
    done,
    waitFor: (line) => new Promise((resolve, reject) => { watchers.push({ line, resolve, reject }); check(); }),
    kill: () => { child.kill('SIGKILL'); },
  };
}

function parseEvents(stdout: string): Array<IdemEvent & Record<string, unknown>> {
  return stdout.split('\n').filter((l) => l.trim().startsWith('{')).map((l) => JSON.parse(l) as IdemEvent & Record<string, unknown>);
}

/** For assertion messages: what each runner printed. */
export function showRuns(runs: RunnerResult[]): string {
  return runs.map((r) => `--- node${r.node}: exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n${r.stdout}${r.stderr}`).join('\n');
}

/** How many runners reported running each revision (a `migration` event). */
export function migrationsRun(runs: RunnerResult[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of runs) {
    for (const e of r.events) if (e.event === 'migration') counts[String(e.revision)] = (counts[String(e.revision)] ?? 0) + 1;
  }
  return counts;
}

export interface NodeView {
  /** sha256 of the normalized schema (src/api/schema.ts), idem's tables left out. */
  fingerprint: string;
  /** revision -> number of version rows. */
  versions: Record<string, number>;
  /** table -> its rows as sorted JSON lines. */
  rows: Record<string, string[]>;
}

/** Node n's own view of the database: its schema fingerprint, version rows and the rows of `tables`. */
export async function nodeView(cluster: GaleraCluster, n: number, database: string, tables: string[]): Promise<NodeView> {
  const { fingerprint } = await schema({ url: cluster.url(n, database), env: {} });
  const versionRows = await cluster.query<{ revision: string; n: number }>(n, 'SELECT revision, COUNT(*) AS n FROM idem_version GROUP BY revision', [], database);
  const versions = Object.fromEntries(versionRows.map((r) => [r.revision, Number(r.n)]));
  const rows: Record<string, string[]> = {};
  for (const table of tables) {
    rows[table] = (await cluster.query(n, `SELECT * FROM \`${table}\``, [], database)).map((r) => JSON.stringify(r)).sort();
  }
  return { fingerprint, versions, rows };
}
