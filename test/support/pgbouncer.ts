/**
 * A real PgBouncer (Debian's `pgbouncer` package) in front of the test
 * PostgreSQL server (IDEM_TEST_POSTGRES_URL), on a free loopback port, for
 * the pooler suites: started by the test in a temp dir of its own
 * (pgbouncer.ini, the auth file), in the foreground as a child process, and
 * stopped (SIGTERM: its fast shutdown) when the test is done. Every database
 * of the server is reachable through it (`* =` in [databases]).
 *
 * PgBouncer refuses to run as root; as root it is started with `-u postgres`
 * (the server's own account) and its temp dir is handed to that user.
 *
 * Where it is: IDEM_TEST_PGBOUNCER (.ci/run installs the package and sets
 * it: then a missing binary fails loudly), else `pgbouncer` on PATH or in
 * /usr/sbin. Where it is not installed the suites are skipped, and say why.
 * https://www.pgbouncer.org/config.html
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { POSTGRES_URL, withoutPostgres } from './servers.ts';

const RUN_AS = 'postgres';

function findPgbouncer(): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.filter(Boolean).map((dir) => join(dir, 'pgbouncer')).find((path) => existsSync(path));
}

const required = process.env.IDEM_TEST_PGBOUNCER;
if (required && !existsSync(required)) {
  throw new Error(`IDEM_TEST_PGBOUNCER is ${required}, which does not exist: install Debian's pgbouncer package (apt-get install -y pgbouncer)`);
}
const binary = required || findPgbouncer();

/** Why the pooler suites cannot run here, or false. */
export const withoutPgbouncer: string | false = withoutPostgres
  || (binary === undefined ? 'pgbouncer is not installed (apt-get install -y pgbouncer): PostgreSQL-behind-a-pooler tests skipped' : false);

export interface PgbouncerOptions {
  poolMode: 'transaction' | 'session';
  /** Server connections per database and user: fewer than the runners, so they share them. */
  poolSize: number;
  /** Extra databases PgBouncer names itself: alias -> the server's database and that pool's mode. */
  aliases?: Record<string, { dbname: string; poolMode: 'statement' | 'transaction' | 'session' }>;
}

export interface Pgbouncer {
  port: number;
  /** `url` (a URL of the test server) with PgBouncer's host and port instead of the server's. */
  through(url: string): string;
  stop(): Promise<void>;
}

export async function startPgbouncer(options: PgbouncerOptions): Promise<Pgbouncer> {
  if (binary === undefined) throw new Error('pgbouncer is not installed');
  const server = new URL(POSTGRES_URL);
  const dir = await mkdtemp(join(tmpdir(), 'idem-pgbouncer-'));
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const port = await freePort();
  // auth_type trust: the test server trusts local connections; the auth file
  // lists the user (with the server's password, for PgBouncer's own login there).
  await writeFile(join(dir, 'userlist.txt'), `"${user}" "${password}"\n`);
  await writeFile(join(dir, 'pgbouncer.ini'), [
    '[databases]',
    ...Object.entries(options.aliases ?? {}).map(([alias, to]) =>
      `${alias} = host=${server.hostname} port=${server.port || '5432'} dbname=${to.dbname} pool_mode=${to.poolMode}`),
    `* = host=${server.hostname} port=${server.port || '5432'}`,
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    'auth_type = trust',
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `pool_mode = ${options.poolMode}`,
    `default_pool_size = ${options.poolSize}`,
    'max_client_conn = 200',
    // A client queued for a server connection waits, as in production; bounded so a stuck test ends.
    'query_wait_timeout = 30',
    '',
  ].join('\n'));
  const args = [join(dir, 'pgbouncer.ini')];
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', RUN_AS], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', RUN_AS], { encoding: 'utf8' }).trim());
    await chown(dir, uid, gid);
    args.unshift('-u', RUN_AS);
  }
  const child = spawn(binary, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { log += d; });
  // A test process that exits without stop() must not leave PgBouncer behind.
  const orphaned = (): void => { child.kill('SIGKILL'); };
  process.on('exit', orphaned);
  try {
    await listening(child, port, () => log);
  } catch (error) {
    child.kill('SIGKILL');
    process.off('exit', orphaned);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    port,
    through(url: string) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    async stop() {
      process.off('exit', orphaned);
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A port nothing listens on now (the kernel's pick, released before PgBouncer binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Until PgBouncer accepts connections on `port`; its log in the error when it exits or never does. */
async function listening(child: ChildProcess, port: number, log: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`pgbouncer exited (${child.exitCode ?? child.signalCode}):\n${log()}`);
    if (await accepts(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`pgbouncer did not listen on 127.0.0.1:${port} within 10 s:\n${log()}`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}
