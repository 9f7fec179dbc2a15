/**
 * Knex migrations guarded the way Knex users guard them: `hasTable` before
 * creating a table (its index created with it), `hasColumn` before adding a
 * column, the data migration behind its condition query. Run by `knex
 * migrate:latest` (bench/peers/knex-up.mjs).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from '../databases.ts';
import { seedConditionSql, seedInsertSql, stepNumber, workload, type BenchDialect, type WorkloadStep } from '../workload.ts';
import { importSpecifier, type BenchTool, type Invocation } from './tool.ts';

const PEERS = resolve(dirname(fileURLToPath(import.meta.url)), '../peers');

function migrationSource(step: WorkloadStep, guards: string): string {
  const lines = [
    `import { conditionHolds } from '${guards}';`,
    '',
    '/** @param {import("knex").Knex} knex */',
    'export async function up(knex) {',
    `  if (!(await knex.schema.hasTable('${step.table}'))) {`,
    `    await knex.schema.createTable('${step.table}', (t) => {`,
    `      t.increments('id');`,
    `      t.string('name', 50).notNullable();`,
    `      t.timestamp('created_at').nullable();`,
    `      t.index(['name'], '${step.indexName}');`,
    '    });',
    '  }',
  ];
  if (step.previous) {
    lines.push(
      `  if (!(await knex.schema.hasColumn('${step.previous}', '${step.column}'))) {`,
      `    await knex.schema.alterTable('${step.previous}', (t) => t.integer('${step.column}').nullable());`,
      '  }',
    );
  }
  if (step.seeds) {
    lines.push(
      `  if (await conditionHolds(knex, ${JSON.stringify(seedConditionSql(step.table))})) {`,
      `    await knex.raw(${JSON.stringify(seedInsertSql(step.table))});`,
      '  }',
    );
  }
  lines.push('}', '', '/** @param {import("knex").Knex} knex */', 'export async function down(knex) {');
  if (step.previous) lines.push(`  await knex.schema.alterTable('${step.previous}', (t) => t.dropColumn('${step.column}'));`);
  lines.push(`  await knex.schema.dropTableIfExists('${step.table}');`, '}', '');
  return lines.join('\n');
}

export const knex: BenchTool = {
  name: 'knex',
  label: 'Knex (hasTable/hasColumn)',
  scenarios: ['fresh', 'noop', 'adopt'],
  async unavailable() {
    return null;
  },
  async prepare(dir: string, _dialect: BenchDialect, n: number) {
    const migrations = join(dir, 'migrations');
    await mkdir(migrations);
    const guards = importSpecifier(migrations, join(PEERS, 'knex-guards.mjs'));
    for (const step of workload(n)) {
      await writeFile(join(migrations, `${stepNumber(step)}_step_${step.index}.mjs`), migrationSource(step, guards));
    }
  },
  invocation(dir: string, db: BenchDatabase): Invocation {
    return { command: process.execPath, args: [join(PEERS, 'knex-up.mjs'), db.dialect, db.target, join(dir, 'migrations')] };
  },
};
