/**
 * Scratch databases for the bench: a temp file per run on SQLite, a database
 * created and dropped per run on the servers (as test/engines.ts does for the
 * tests). Also the bench's own reads, to check what each tool left behind.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchDialect } from './workload.ts';

export interface BenchDatabase {
  dialect: BenchDialect;
  /** The database as the bench's peers take it: a file path on SQLite, a URL on the servers. */
  target: string;
  /** The same, as idem's --url. */
  idemUrl: string;
  /** The same, as SQLAlchemy's URL (Alembic). */
  sqlalchemyUrl: string;
  drop(): Promise<void>;
}

/** Where each engine is: the URLs come from the environment, as the tests' do. */
export interface ServerUrls {
  postgres?: string | undefined;
  mariadb?: string | undefined;
}

export function serverUrlsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerUrls {
  return {
    postgres: env.IDEM_BENCH_POSTGRES_URL ?? env.IDEM_TEST_POSTGRES_URL,
    mariadb: env.IDEM_BENCH_MARIADB_URL ?? env.IDEM_TEST_MARIADB_URL,
  };
}

function scratchName(): string {
  return `idem_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export function withDatabaseName(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** SQLAlchemy's spelling of a server URL: the driver in the scheme, the rest as is. */
function sqlalchemyUrl(url: string, scheme: string): string {
  const u = new URL(url);
  const auth = u.username ? `${u.username}${u.password ? `:${u.password}` : ''}@` : '';
  return `${scheme}://${auth}${u.host}${u.pathname}`;
}

export function databaseFor(dialect: BenchDialect, target: string, drop: () => Promise<void>): BenchDatabase {
  if (dialect === 'sqlite') return { dialect, target, idemUrl: `sqlite:${target}`, sqlalchemyUrl: `sqlite:///${target}`, drop };
  if (dialect === 'postgres') return { dialect, target, idemUrl: target, sqlalchemyUrl: sqlalchemyUrl(target, 'postgresql+psycopg2'), drop };
  // mysql2 and SQLAlchemy want mysql://; idem is told the server is MariaDB.
  const mysqlUrl = target.replace(/^mariadb:/, 'mysql:');
  return { dialect, target: mysqlUrl, idemUrl: mysqlUrl.replace(/^mysql:/, 'mariadb:'), sqlalchemyUrl: sqlalchemyUrl(mysqlUrl, 'mysql+pymysql'), drop };
}

/**
 * A new database; with `copyOf`, a copy of that one (SQLite: the file;
 * PostgreSQL: CREATE DATABASE … TEMPLATE, which copies it at file level).
 * MariaDB has no such copy: `canCopy` says so, and the caller builds it again.
 */
export async function createDatabase(dialect: BenchDialect, servers: ServerUrls, copyOf?: BenchDatabase): Promise<BenchDatabase> {
  if (dialect === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'idem-bench-'));
    const path = join(dir, 'bench.db');
    if (copyOf) await copyFile(copyOf.target, path);
    return databaseFor('sqlite', path, () => rm(dir, { recursive: true, force: true }));
  }
  if (copyOf && !canCopy(dialect)) throw new Error(`${dialect} databases cannot be copied here`);
  const name = scratchName();
  const admin = adminUrl(dialect, servers);
  const quoted = dialect === 'postgres' ? `"${name}"` : `\`${name}\``;
  const template = copyOf ? ` TEMPLATE "${new URL(copyOf.target).pathname.slice(1)}"` : '';
  await adminQuery(dialect, admin, `CREATE DATABASE ${quoted}${template}`);
  const drop = async () => {
    await adminQuery(dialect, admin, dialect === 'postgres' ? `DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)` : `DROP DATABASE IF EXISTS ${quoted}`);
  };
  return databaseFor(dialect, withDatabaseName(admin, name), dialect === 'postgres' ? async () => { deferredDrops.push(drop); } : drop);
}

/**
 * PostgreSQL databases are dropped when the whole run is over, not after
 * each run. Dropping one of a thousand tables unlinks thousands of files,
 * and on this machine (ext4 mounted with `discard`) every run after such
 * drops was slower, by seconds for fresh N=1000 whatever the tool (the raw
 * script's statements: 1.3-1.45 s in a row of runs without drops, 3.4-4.3 s
 * with a drop before each); the work of a drop lands on whichever tool runs
 * next, and a CHECKPOINT does not absorb it. Each PostgreSQL database has a
 * catalog of its own, so those kept meanwhile cost the others nothing.
 * MariaDB's are dropped at once: information_schema spans the server, and
 * with thirty databases of a thousand tables kept, Kysely's no-op at N=1000
 * took 16 s instead of 1.8 s.
 */
const deferredDrops: Array<() => Promise<void>> = [];

/** Drops every server database the run made; returns the errors, one line each. */
export async function dropDeferred(): Promise<string[]> {
  const errors: string[] = [];
  for (const drop of deferredDrops.splice(0)) await drop().catch((error: Error) => { errors.push(error.message); });
  return errors;
}

/**
 * Before a timed run: PostgreSQL finishes the checkpoint that dropping the
 * last run's database (a thousand tables) requested, which would otherwise
 * write in the background through whichever tool runs next. CHECKPOINT needs
 * a superuser or pg_checkpoint; without it the runs go on unsettled.
 * https://www.postgresql.org/docs/15/sql-checkpoint.html
 */
export async function settle(db: BenchDatabase): Promise<void> {
  if (db.dialect !== 'postgres') return;
  await adminQuery('postgres', db.target, 'CHECKPOINT').catch((error: Error) => {
    if (!warnedUnsettled) process.stderr.write(`bench: CHECKPOINT before timed runs refused (${error.message}); runs may overlap a background checkpoint\n`);
    warnedUnsettled = true;
  });
}

let warnedUnsettled = false;

export function canCopy(dialect: BenchDialect): boolean {
  return dialect !== 'mariadb';
}

function adminUrl(dialect: 'postgres' | 'mariadb', servers: ServerUrls): string {
  const url = servers[dialect];
  if (!url) throw new Error(`no ${dialect} server: set IDEM_BENCH_${dialect.toUpperCase()}_URL`);
  return url;
}

/** One statement on its own connection: fine for setup and checks, never timed. */
export async function adminQuery(dialect: BenchDialect, target: string, sql: string): Promise<Record<string, unknown>[]> {
  if (dialect === 'sqlite') {
    const { DatabaseSync } = await import('node:sqlite');
    const db = new DatabaseSync(target);
    try {
      const statement = db.prepare(sql);
      return statement.columns().length > 0 ? statement.all().map((row) => ({ ...row })) : (statement.run(), []);
    } finally {
      db.close();
    }
  }
  if (dialect === 'postgres') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  }
  const mysql = await import('mysql2/promise');
  const connection = await mysql.createConnection(target.replace(/^mariadb:/, 'mysql:'));
  try {
    const [rows] = await connection.query(sql);
    return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
  } finally {
    await connection.end();
  }
}

/** Whether the server answers; the reason when it does not. */
export async function serverProblem(dialect: 'postgres' | 'mariadb', servers: ServerUrls): Promise<string | null> {
  const url = servers[dialect];
  if (!url) return `IDEM_BENCH_${dialect.toUpperCase()}_URL (or IDEM_TEST_${dialect.toUpperCase()}_URL) is not set`;
  try {
    await adminQuery(dialect, url, 'SELECT 1 AS one');
    return null;
  } catch (error) {
    return `cannot reach ${dialect}: ${(error as Error).message}`;
  }
}
