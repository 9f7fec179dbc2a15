/**
 * The engines every engine suite runs against: SQLite always; PostgreSQL and
 * MariaDB/MySQL when their URLs are set (IDEM_TEST_POSTGRES_URL,
 * IDEM_TEST_MARIADB_URL), each test in a scratch database of its own,
 * created and dropped here. A server whose URL is set but which cannot be
 * reached fails the tests loudly; it is never skipped in silence.
 * IDEM_TEST_ENGINES=sqlite,postgres narrows the list.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export interface Engine {
  name: 'sqlite' | 'postgres' | 'mariadb';
  /** A fresh, empty database for one test; `drop` removes it. */
  createDatabase(): Promise<TestDatabase>;
}

const sqlite: Engine = {
  name: 'sqlite',
  async createDatabase() {
    const dir = await mkdtemp(join(tmpdir(), 'idem-db-'));
    return { url: `sqlite:${join(dir, 'test.db')}`, drop: () => rm(dir, { recursive: true, force: true }) };
  },
};

function scratchName(): string {
  return `idem_t_${process.pid}_${randomBytes(4).toString('hex')}`;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

function postgres(adminUrl: string): Engine {
  return {
    name: 'postgres',
    async createDatabase() {
      const { default: pg } = await import('pg');
      const name = scratchName();
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect().catch((e: Error) => {
        throw new Error(`IDEM_TEST_POSTGRES_URL is set but PostgreSQL cannot be reached: ${e.message}`);
      });
      try {
        await admin.query(`CREATE DATABASE "${name}"`);
      } finally {
        await admin.end();
      }
      return {
        url: withDatabase(adminUrl, name),
        async drop() {
          const client = new pg.Client({ connectionString: adminUrl });
          await client.connect();
          try {
            await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

function mariadb(adminUrl: string): Engine {
  return {
    name: 'mariadb',
    async createDatabase() {
      const mysql = await import('mysql2/promise');
      const name = scratchName();
      const connect = () => mysql.createConnection(adminUrl).catch((e: Error) => {
        throw new Error(`IDEM_TEST_MARIADB_URL is set but MariaDB cannot be reached: ${e.message}`);
      });
      const admin = await connect();
      try {
        await admin.query(`CREATE DATABASE \`${name}\``);
      } finally {
        await admin.end();
      }
      return {
        url: withDatabase(adminUrl, name),
        async drop() {
          const client = await connect();
          try {
            await client.query(`DROP DATABASE IF EXISTS \`${name}\``);
          } finally {
            await client.end();
          }
        },
      };
    },
  };
}

const all: Engine[] = [sqlite];
if (process.env.IDEM_TEST_POSTGRES_URL) all.push(postgres(process.env.IDEM_TEST_POSTGRES_URL));
if (process.env.IDEM_TEST_MARIADB_URL) all.push(mariadb(process.env.IDEM_TEST_MARIADB_URL));
const wanted = process.env.IDEM_TEST_ENGINES?.split(',').map((s) => s.trim()).filter(Boolean);

export const engines: Engine[] = wanted ? all.filter((e) => wanted.includes(e.name)) : all;
