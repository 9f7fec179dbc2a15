/**
 * The engines every engine suite runs against. SQLite always; the servers
 * join when their dialects land (issue: PostgreSQL, MariaDB and MySQL), from
 * the URLs .ci/run sets. IDEM_TEST_ENGINES=sqlite,postgres narrows the list.
 */
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

const all: Engine[] = [sqlite];
const wanted = process.env.IDEM_TEST_ENGINES?.split(',').map((s) => s.trim()).filter(Boolean);

export const engines: Engine[] = wanted ? all.filter((e) => wanted.includes(e.name)) : all;
