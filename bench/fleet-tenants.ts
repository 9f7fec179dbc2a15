/**
 * The tenants of the fleet block, each a database as `idem up --targets`
 * takes it: SQLite, a file each in one temp folder; PostgreSQL, a schema each
 * (tenant_1 …) in one scratch database, named by `?schema=` in its URL;
 * MariaDB, a scratch database each (its schemas are its databases). All of
 * them are dropped by `drop()`, which also removes the folder.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminQuery, createDatabase, databaseFor, type BenchDatabase, type ServerUrls } from './databases.ts';
import type { BenchDialect } from './workload.ts';

/** The fleet: 200 SQLite files, 50 PostgreSQL schemas, 50 MariaDB databases. */
export const TENANT_COUNTS: Record<BenchDialect, number> = { sqlite: 200, postgres: 50, mariadb: 50 };

/** What one tenant is on each engine, for the report. */
export const TENANT_KINDS: Record<BenchDialect, string> = { sqlite: 'files', postgres: 'schemas in one database', mariadb: 'databases' };

export interface FleetTenants {
  /** A temp folder of the fleet's own: the targets file goes here (and, on SQLite, the tenants). */
  dir: string;
  /** Each tenant's URL, as the targets file lists it. */
  urls: string[];
  /** Each tenant as the bench's checks read it (on PostgreSQL, with its schema as the search_path). */
  databases: BenchDatabase[];
  drop(): Promise<void>;
}

export async function createTenants(dialect: BenchDialect, servers: ServerUrls, count = TENANT_COUNTS[dialect]): Promise<FleetTenants> {
  const dir = await mkdtemp(join(tmpdir(), 'idem-bench-fleet-'));
  const drops: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  const tenants: FleetTenants = { dir, urls: [], databases: [], drop: () => dropAll(drops) };
  try {
    if (dialect === 'sqlite') {
      // idem creates each file on the first pass, as it would for a new tenant.
      for (let i = 1; i <= count; i++) add(tenants, databaseFor('sqlite', join(dir, `tenant_${i}.db`), async () => {}));
    } else if (dialect === 'postgres') {
      const db = await createDatabase('postgres', servers);
      drops.push(() => db.drop());
      for (let i = 1; i <= count; i++) {
        const schema = `tenant_${i}`;
        // idem refuses a `?schema=` that does not exist: creating a tenant's schema is the application's job.
        await adminQuery('postgres', db.target, `CREATE SCHEMA ${schema}`);
        tenants.urls.push(withParam(db.idemUrl, 'schema', schema));
        // The bench's checks name tables unqualified and look in current_schema(), as for a database of its own.
        tenants.databases.push(databaseFor('postgres', withParam(db.target, 'options', `-c search_path=${schema}`), async () => {}));
      }
    } else {
      for (let i = 0; i < count; i++) {
        const db = await createDatabase('mariadb', servers);
        drops.push(() => db.drop());
        add(tenants, db);
      }
    }
    return tenants;
  } catch (error) {
    await tenants.drop();
    throw error;
  }
}

function add(tenants: FleetTenants, db: BenchDatabase): void {
  tenants.urls.push(db.idemUrl);
  tenants.databases.push(db);
}

function withParam(url: string, name: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(name, value);
  return u.toString();
}

/** Every drop is tried, newest first, even after one fails; the first failure is thrown once all were tried. */
async function dropAll(drops: Array<() => Promise<void>>): Promise<void> {
  const failures: unknown[] = [];
  for (const drop of [...drops].reverse()) {
    try {
      await drop();
    } catch (error) {
      failures.push(error);
    }
  }
  drops.length = 0;
  if (failures.length > 0) throw failures[0];
}
