/**
 * Kysely migrations run by its Migrator, guarded the way Kysely users guard
 * them: `ifNotExists()` on tables and indexes (Kysely has it for both), a
 * catalog look-up before adding a column (it has none there), the data
 * migration behind its condition query. Run by bench/peers/kysely-up.mjs.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from '../databases.ts';
import { seedConditionSql, seedInsertSql, stepNumber, workload, type BenchDialect, type WorkloadStep } from '../workload.ts';
import { importSpecifier, type BenchTool, type Invocation } from './tool.ts';

const PEERS = resolve(dirname(fileURLToPath(import.meta.url)), '../peers');

/** The auto-increment key as each engine's Kysely users declare it. */
function idColumn(dialect: BenchDialect): string {
  return dialect === 'postgres'
    ? `.addColumn('id', 'integer', (c) => c.primaryKey().generatedByDefaultAsIdentity())`
    : `.addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())`;
}

function migrationSource(step: WorkloadStep, dialect: BenchDialect, guards: string): string {
  const timestamp = dialect === 'mariadb' ? 'datetime' : 'timestamp';
  const lines = [
    `import { sql } from 'kysely';`,
    `import { columnExists, conditionHolds } from '${guards}';`,
    '',
    '/** @param {import("kysely").Kysely<any>} db */',
    'export async function up(db) {',
    `  await db.schema.createTable('${step.table}').ifNotExists()`,
    `    ${idColumn(dialect)}`,
    `    .addColumn('name', 'varchar(50)', (c) => c.notNull())`,
    `    .addColumn('created_at', '${timestamp}')`,
    '    .execute();',
  ];
  if (step.previous) {
    lines.push(
      `  if (!(await columnExists(db, '${dialect}', '${step.previous}', '${step.column}'))) {`,
      `    await db.schema.alterTable('${step.previous}').addColumn('${step.column}', 'integer').execute();`,
      '  }',
    );
  }
  lines.push(`  await db.schema.createIndex('${step.indexName}').ifNotExists().on('${step.table}').column('name').execute();`);
  if (step.seeds) {
    lines.push(
      `  if (await conditionHolds(db, ${JSON.stringify(seedConditionSql(step.table))})) {`,
      `    await sql.raw(${JSON.stringify(seedInsertSql(step.table))}).execute(db);`,
      '  }',
    );
  }
  lines.push('}', '', '/** @param {import("kysely").Kysely<any>} db */', 'export async function down(db) {');
  if (step.previous) lines.push(`  await db.schema.alterTable('${step.previous}').dropColumn('${step.column}').execute();`);
  lines.push(`  await db.schema.dropTable('${step.table}').ifExists().execute();`, '}', '');
  return lines.join('\n');
}

export const kysely: BenchTool = {
  name: 'kysely',
  label: 'Kysely Migrator (ifNotExists)',
  scenarios: ['fresh', 'noop', 'adopt'],
  async unavailable() {
    return null;
  },
  async prepare(dir: string, dialect: BenchDialect, n: number) {
    const migrations = join(dir, 'migrations');
    await mkdir(migrations);
    const guards = importSpecifier(migrations, join(PEERS, 'kysely-guards.mjs'));
    for (const step of workload(n)) {
      await writeFile(join(migrations, `${stepNumber(step)}_step_${step.index}.mjs`), migrationSource(step, dialect, guards));
    }
  },
  invocation(dir: string, db: BenchDatabase): Invocation {
    return { command: process.execPath, args: [join(PEERS, 'kysely-up.mjs'), db.dialect, db.target, join(dir, 'migrations')] };
  },
};
