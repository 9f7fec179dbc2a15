/**
 * Something outside idem creates the object between idem's catalog read and
 * its DDL: the engine answers "already exists", idem reads the catalog again
 * and reports skipped (or drift), never a failure. The migration itself plays
 * the other party, through a second connection (psql / mariadb CLI), right
 * after the catalog was read; its statement is idempotent, since up() may run
 * more than once (a PostgreSQL batch that fails runs again). (On SQLite the run holds the write lock, so no
 * other writer can get in: nothing to test there.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines } from '../engines.ts';
import { declaredString } from '../support/engine-sql.ts';
import { TestProject } from '../support/project.ts';

function sideCommand(engine: string, url: string, sql: string): string[] {
  if (engine === 'postgres') return ['psql', url, '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql];
  const u = new URL(url);
  return ['mariadb', '-h', u.hostname, '-P', u.port || '3306', '-u', decodeURIComponent(u.username), u.pathname.slice(1), '-e', sql];
}

function migration(command: string[], declared: string): string {
  return `import { execFileSync } from 'node:child_process';
import type { MigrationContext } from 'idem';

export const revision = 'race1';
export const revises: string | string[] | null = null;
export const description = 'created concurrently';

export async function up(m: MigrationContext): Promise<void> {
  await m.tableExists('t'); // idem reads the catalog now: t is absent
  execFileSync(${JSON.stringify(command[0])}, ${JSON.stringify(command.slice(1))}, { stdio: 'inherit' });
  await m.createTable('t', ${declared});
}
`;
}

/**
 * PostgreSQL sends a migration's DDL in one batch with its COMMIT: the batch
 * fails, is rolled back, and the migration runs again statement by statement
 * (BATCH_RETRY), where the table is met as it stands. MySQL sends each
 * statement on its own and re-reads the catalog at once. Says which happened,
 * checking it is the one the engine does.
 */
function batchedRetry(engine: string, events: Array<Record<string, unknown>>): boolean {
  const retries = events.filter((e) => e.event === 'warning' && e.code === 'BATCH_RETRY').length;
  assert.equal(retries, engine === 'postgres' ? 1 : 0, JSON.stringify(events));
  return retries > 0;
}

for (const engine of engines.filter((e) => e.name !== 'sqlite')) {
  test(`${engine.name}: a table created by someone else at the same moment is re-read and skipped, not a failure`, async () => {
    const p = await TestProject.create(engine);
    try {
      const command = sideCommand(engine.name, p.url, 'CREATE TABLE IF NOT EXISTS t (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(50))');
      await p.writeRaw('0001_race1.ts', migration(command, `{ id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50 } }`));
      const run = await p.cli(['--json', 'up']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const op = run.events.filter((e) => e.event === 'op').at(-1)!;
      assert.deepEqual([op.outcome, op.detail], ['skipped', batchedRetry(engine.name, run.events) ? 'exists' : 'exists (created concurrently)']);
      assert.deepEqual(await p.recorded(), ['race1']);
    } finally {
      await p.dispose();
    }
  });

  test(`${engine.name}: created concurrently in another shape, it is drift with both shapes`, async () => {
    const p = await TestProject.create(engine);
    try {
      const command = sideCommand(engine.name, p.url, 'CREATE TABLE IF NOT EXISTS t (id INTEGER NOT NULL PRIMARY KEY, name VARCHAR(20))');
      await p.writeRaw('0001_race1.ts', migration(command, `{ id: { type: 'integer', primaryKey: true }, name: { type: 'string', length: 50 } }`));
      const run = await p.cli(['--json', 'up']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      batchedRetry(engine.name, run.events);
      const op = run.events.filter((e) => e.event === 'op').at(-1)!;
      assert.equal(op.outcome, 'drift');
      assert.deepEqual(op.differences, [{ object: 't.name', field: 'type', declared: declaredString(engine, 50), actual: 'varchar(20)' }]);
    } finally {
      await p.dispose();
    }
  });
}
