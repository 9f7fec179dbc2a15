/**
 * A throwaway 3-node MariaDB Galera cluster on loopback, for the Galera
 * proofs: Debian's galera-4 provider, mariadbd and rsync (for state
 * transfers), no Docker, no systemd. Each node is a mariadbd started with
 * `--defaults-file` pointing at its own generated my.cnf in a temp folder,
 * so /etc/mysql and the machine's own server (3306) are never touched; the
 * folder is deleted by `stop`.
 *
 * Node n (1..3) listens for SQL on `sqlPortBase + n`; its group
 * communication, incremental state transfer and rsync ports are
 * `sqlPortBase + 1000 + 3(n-1)` and the two after it. Two clusters whose
 * bases differ by 10 or more never share a port.
 *
 * Node 1 bootstraps the cluster (`--wsrep-new-cluster`) after
 * mariadb-install-db; nodes 2 and 3 join one at a time (each takes a full
 * rsync snapshot transfer from a donor). A killed node restarted with
 * `startNode` rejoins the running cluster: its state was left unclean
 * (seqno -1), so it gets a full transfer; a joiner that exits while joining
 * is retried once with an empty data folder.
 *
 * Every server runs in a process group of its own, ended by that group's id
 * (so an rsync a state transfer left running goes with it), never by name.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, openSync, closeSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, TestDatabase } from '../engines.ts';

export const GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so';
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { env: { PATH: SYSTEM_PATH }, encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** What the cluster needs and is not installed; empty when it can run. */
function missingPackages(): string[] {
  const missing: string[] = [];
  if (!existsSync(GALERA_PROVIDER)) missing.push('galera-4');
  if (!which('mariadbd') || !which('mariadb-install-db')) missing.push('mariadb-server');
  if (!which('rsync')) missing.push('rsync');
  if (!which('ss') && !which('lsof')) missing.push('iproute2');
  return missing;
}

/**
 * Why the Galera tests are skipped here, or false when they run. Where
 * galera-4 is not installed they are skipped with that message, except where
 * IDEM_TEST_GALERA=required (.ci/run, which installs it): there they run and
 * fail loudly, never skip in silence.
 */
export function galeraMissing(): string | false {
  const missing = missingPackages();
  if (missing.length === 0 || process.env.IDEM_TEST_GALERA === 'required') return false;
  return `Galera tests skipped: ${missing.join(', ')} not installed (${GALERA_PROVIDER} is galera-4's); `
    + `install with \`apt-get install -y ${missing.join(' ')}\` (.ci/run does)`;
}

export interface GaleraClusterOptions {
  /** Node n listens for SQL on sqlPortBase + n. */
  sqlPortBase: number;
  /** Seconds to wait for a node to be Synced; default 120. */
  timeoutSeconds?: number;
}

interface Node {
  n: number;
  dir: string;
  process?: ChildProcess;
}

type Mysql2 = typeof import('mysql2/promise');

export class GaleraCluster {
  readonly dir: string;
  readonly #base: number;
  readonly #timeoutMs: number;
  readonly #nodes: Node[];
  readonly #runAs: string | undefined;
  #mysql: Mysql2 | undefined;

  private constructor(dir: string, options: GaleraClusterOptions) {
    this.dir = dir;
    this.#base = options.sqlPortBase;
    this.#timeoutMs = (options.timeoutSeconds ?? 120) * 1000;
    this.#nodes = [1, 2, 3].map((n) => ({ n, dir: join(dir, `node${n}`) }));
    // mariadbd refuses to run as root; Debian's package created the mysql user.
    this.#runAs = process.getuid?.() === 0 ? 'mysql' : undefined;
  }

  /** Starts the three nodes and resolves once each is Synced in a cluster of 3. */
  static async start(options: GaleraClusterOptions): Promise<GaleraCluster> {
    const missing = missingPackages();
    if (missing.length > 0) throw new Error(`cannot start a Galera cluster: ${missing.join(', ')} not installed; apt-get install -y ${missing.join(' ')}`);
    const dir = await mkdtemp(join(tmpdir(), 'idem-galera-'));
    await chmod(dir, 0o755); // the servers run as mysql and must reach their folders
    const cluster = new GaleraCluster(dir, options);
    LIVE.add(cluster);
    try {
      await cluster.#checkPortsFree();
      for (const n of [1, 2, 3]) await cluster.startNode(n);
      await cluster.#waitFor(async () => (await Promise.all([1, 2, 3].map((n) => cluster.#status(n)))).every((s) => s.size === 3 && s.ready),
        'a cluster of 3');
      return cluster;
    } catch (error) {
      await cluster.stop({ keepFiles: true });
      throw new Error(`the Galera test cluster did not start (files kept in ${dir}): ${(error as Error).message}`);
    }
  }

  port(n: number): number {
    return this.#base + n;
  }

  #gcommPort(n: number): number {
    return this.#base + 1000 + 3 * (n - 1);
  }

  url(n: number, database: string): string {
    return `mysql://root@127.0.0.1:${this.port(n)}/${database}`;
  }

  /** Node n's server process id while it runs. */
  pid(n: number): number | undefined {
    const child = this.#node(n).process;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  /**
   * Starts node n: node 1 bootstraps a new cluster when no other node runs,
   * every other start joins the running cluster. Resolves once it is Synced.
   */
  async startNode(n: number): Promise<void> {
    const node = this.#node(n);
    if (this.pid(n) !== undefined) return;
    const bootstrap = this.#nodes.every((other) => this.pid(other.n) === undefined);
    await mkdir(join(node.dir, 'data'), { recursive: true });
    // Its own tmpdir: a second server writing its temporary tables into the shared /tmp is one
    // thing fewer that can touch the files of the machine's MariaDB.
    await mkdir(join(node.dir, 'tmp'), { recursive: true });
    await writeFile(join(node.dir, 'my.cnf'), this.#config(n));
    if (bootstrap && !existsSync(join(node.dir, 'data', 'mysql'))) await this.#installDb(node);
    for (let attempt = 1; ; attempt++) {
      await this.#own(node.dir);
      node.process = this.#spawn(node, bootstrap);
      try {
        await this.#waitFor(async () => {
          if (this.pid(n) === undefined) throw new Error(`node${n} exited while starting:\n${await this.#logTail(node)}`);
          const s = await this.#status(n);
          return s.state === 'Synced' && s.ready;
        }, `node${n} Synced`);
        return;
      } catch (error) {
        if (bootstrap || attempt > 1 || this.pid(n) !== undefined) throw error;
        // Its saved state no longer fits the cluster's: take everything by a full transfer.
        await rm(join(node.dir, 'data'), { recursive: true, force: true });
        await mkdir(join(node.dir, 'data'));
      }
    }
  }

  /** SIGKILL node n (and its process group): a crash, not a shutdown. Resolves once it is gone. */
  async kill(n: number): Promise<void> {
    const node = this.#node(n);
    const child = node.process;
    if (!child || this.pid(n) === undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGKILL');
    await gone;
  }

  /** The remaining nodes' view: how many nodes each sees in the primary component. */
  async sizes(): Promise<Array<number | undefined>> {
    return Promise.all([1, 2, 3].map(async (n) => (this.pid(n) === undefined ? undefined : (await this.#status(n)).size)));
  }

  /** Waits until every running node sees a primary cluster of `size` nodes. */
  async waitForSize(size: number): Promise<void> {
    await this.#waitFor(async () => {
      const running = [1, 2, 3].filter((n) => this.pid(n) !== undefined);
      const seen = await Promise.all(running.map((n) => this.#status(n)));
      return seen.every((s) => s.size === size && s.ready);
    }, `a cluster of ${size}`);
  }

  /**
   * Runs statements on node n as root, with causal reads on (a read sees
   * every commit made through any node before it), in the given database.
   */
  async query<Row = Record<string, unknown>>(n: number, sql: string, params: unknown[] = [], database?: string): Promise<Row[]> {
    const mysql = await this.#mysql2();
    const connection = await mysql.createConnection({
      host: '127.0.0.1', port: this.port(n), user: 'root', ...(database ? { database } : {}), dateStrings: true, connectTimeout: 5000,
    });
    try {
      await connection.query('SET SESSION wsrep_sync_wait = 15');
      const [rows] = await connection.query(sql, params);
      return (Array.isArray(rows) ? rows : []) as Row[];
    } finally {
      await connection.end().catch(() => connection.destroy());
    }
  }

  /** A fresh, empty database, created through node 1 and visible on every running node before this resolves. */
  async createDatabase(): Promise<TestDatabase & { name: string; urls: string[] }> {
    const name = `idem_g_${process.pid}_${randomBytes(4).toString('hex')}`;
    await this.query(1, `CREATE DATABASE \`${name}\``);
    // DDL is replicated in total order; a causal read on each node waits until it has applied it.
    for (const n of [1, 2, 3].filter((node) => this.pid(node) !== undefined)) {
      await this.#waitFor(async () => (await this.query(n, 'SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?', [name])).length === 1,
        `database ${name} on node${n}`);
    }
    return {
      name,
      url: this.url(1, name),
      urls: [1, 2, 3].map((n) => this.url(n, name)),
      drop: async () => {
        const up = [1, 2, 3].find((n) => this.pid(n) !== undefined);
        if (up !== undefined) await this.query(up, `DROP DATABASE IF EXISTS \`${name}\``);
      },
    };
  }

  /** The cluster as an engine of test/engines.ts: TestProject then works on node 1. */
  engine(): Engine {
    return { name: 'mariadb', createDatabase: () => this.createDatabase() };
  }

  /** Ends every node (SIGTERM, SIGKILL after 15 s) and deletes the cluster's folder. */
  async stop(options: { keepFiles?: boolean } = {}): Promise<void> {
    await Promise.all(this.#nodes.map(async (node) => {
      const child = node.process;
      if (!child || this.pid(node.n) === undefined) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      killGroup(child, 'SIGTERM');
      const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    }));
    LIVE.delete(this);
    if (!options.keepFiles) await rm(this.dir, { recursive: true, force: true });
  }

  #node(n: number): Node {
    const node = this.#nodes[n - 1];
    if (!node) throw new Error(`no node ${n}: nodes are 1, 2 and 3`);
    return node;
  }

  #config(n: number): string {
    const node = this.#node(n);
    const gcomm = this.#gcommPort(n);
    const members = [1, 2, 3].map((m) => `127.0.0.1:${this.#gcommPort(m)}`).join(',');
    return `[mysqld]
datadir=${node.dir}/data
tmpdir=${node.dir}/tmp
socket=${node.dir}/mariadbd.sock
pid_file=${node.dir}/mariadbd.pid
log_error=${node.dir}/error.log
bind_address=127.0.0.1
port=${this.port(n)}
${this.#runAs ? `user=${this.#runAs}` : ''}
skip_name_resolve
performance_schema=OFF
character_set_server=utf8mb4
collation_server=utf8mb4_general_ci
innodb_buffer_pool_size=64M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=2
innodb_autoinc_lock_mode=2
binlog_format=ROW
default_storage_engine=InnoDB
wsrep_on=ON
wsrep_provider=${GALERA_PROVIDER}
wsrep_cluster_name=idem_test_${this.#base}
wsrep_cluster_address=gcomm://${members}
wsrep_node_name=node${n}
wsrep_node_address=127.0.0.1:${gcomm}
wsrep_node_incoming_address=127.0.0.1:${this.port(n)}
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:${gcomm + 2}
wsrep_provider_options="gmcast.listen_addr=tcp://127.0.0.1:${gcomm};ist.recv_addr=127.0.0.1:${gcomm + 1};gcache.size=64M"
`;
  }

  async #installDb(node: Node): Promise<void> {
    await this.#own(node.dir);
    const result = spawnSync(which('mariadb-install-db')!, [
      `--defaults-file=${node.dir}/my.cnf`, '--auth-root-authentication-method=normal', '--skip-test-db', '--wsrep-on=OFF',
    ], { env: { ...process.env, PATH: SYSTEM_PATH }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`mariadb-install-db failed:\n${result.stdout}${result.stderr}`);
  }

  #spawn(node: Node, bootstrap: boolean): ChildProcess {
    const log = openSync(join(node.dir, 'stdout.log'), 'a');
    try {
      const child = spawn(which('mariadbd')!, [`--defaults-file=${node.dir}/my.cnf`, ...(bootstrap ? ['--wsrep-new-cluster'] : [])], {
        // The state transfer scripts (wsrep_sst_rsync) need rsync and ss on the PATH.
        env: { ...process.env, PATH: SYSTEM_PATH }, stdio: ['ignore', log, log], detached: true,
      });
      child.on('error', () => undefined); // reported as "exited while starting"
      return child;
    } finally {
      closeSync(log);
    }
  }

  /** The servers run as mysql: their folders must be theirs. */
  async #own(dir: string): Promise<void> {
    if (!this.#runAs) return;
    const result = spawnSync('chown', ['-R', `${this.#runAs}:${this.#runAs}`, dir], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`chown ${dir} failed: ${result.stderr}`);
  }

  async #status(n: number): Promise<{ state?: string; ready: boolean; size?: number }> {
    try {
      const mysql = await this.#mysql2();
      const connection = await mysql.createConnection({ host: '127.0.0.1', port: this.port(n), user: 'root', connectTimeout: 2000 });
      try {
        const [rows] = await connection.query(
          "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_state_comment', 'wsrep_ready', 'wsrep_cluster_size', 'wsrep_cluster_status')",
        );
        const status = new Map((rows as Array<{ Variable_name: string; Value: string }>).map((r) => [r.Variable_name, r.Value]));
        return {
          state: status.get('wsrep_local_state_comment'),
          ready: status.get('wsrep_ready') === 'ON' && status.get('wsrep_cluster_status') === 'Primary',
          size: status.has('wsrep_cluster_size') ? Number(status.get('wsrep_cluster_size')) : undefined,
        };
      } finally {
        connection.destroy();
      }
    } catch {
      return { ready: false };
    }
  }

  async #waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + this.#timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out after ${this.#timeoutMs / 1000}s waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }

  async #checkPortsFree(): Promise<void> {
    for (const n of [1, 2, 3]) {
      const g = this.#gcommPort(n);
      for (const port of [this.port(n), g, g + 1, g + 2]) {
        if (await listening(port)) throw new Error(`127.0.0.1:${port} is already in use (a cluster left running by an earlier test?)`);
      }
    }
  }

  async #logTail(node: Node): Promise<string> {
    const text = await readFile(join(node.dir, 'error.log'), 'utf8').catch(() => '');
    return text.split('\n').slice(-20).join('\n');
  }

  async #mysql2(): Promise<Mysql2> {
    this.#mysql ??= ((await import('mysql2/promise')) as Mysql2 & { default?: Mysql2 }).default ?? await import('mysql2/promise');
    return this.#mysql;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal); // the server's own group: it and the state transfer it started
  } catch {
    child.kill(signal);
  }
}

/** Clusters still running: a test process that exits without `stop` takes its servers with it. */
const LIVE = new Set<GaleraCluster>();
process.once('exit', () => {
  for (const cluster of LIVE) for (const n of [1, 2, 3]) {
    const pid = cluster.pid(n);
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
});
