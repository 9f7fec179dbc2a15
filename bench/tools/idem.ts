/**
 * idem as its users run it: the built CLI (`node dist/cli/bin.js up`, what
 * `npx idem up` starts), TypeScript migrations as `idem new` writes them.
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from '../databases.ts';
import { seedConditionSql, seedInsertSql, stepNumber, workload, type BenchDialect, type WorkloadStep } from '../workload.ts';
import { operationCount, type BenchTool, type Invocation, type Scenario } from './tool.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The build `npm run build` writes; the bench runs a copy of it (see run.ts). */
export const BUILT_DIST = join(REPO, 'dist');
export const BIN_IN_DIST = 'cli/bin.js';

/** A revision id like the ones `idem new` makes (12 hex digits), stable across runs. */
export function idemRevision(step: number): string {
  return createHash('sha256').update(`idem-bench-${step}`).digest('hex').slice(0, 12);
}

function migrationSource(step: WorkloadStep): string {
  const revises = step.index === 1 ? 'null' : `'${idemRevision(step.index - 1)}'`;
  const ops = [
    `  await m.createTable('${step.table}', {\n`
    + `    id: { type: 'integer', primaryKey: true, autoIncrement: true },\n`
    + `    name: { type: 'string', length: 50, nullable: false },\n`
    + `    created_at: { type: 'timestamp' },\n`
    + `  });`,
  ];
  if (step.previous) ops.push(`  await m.addColumn('${step.previous}', '${step.column}', { type: 'integer', nullable: true });`);
  ops.push(`  await m.createIndex('${step.table}', ['name'], { name: '${step.indexName}' });`);
  if (step.seeds) {
    ops.push(`  await m.executeIf({\n`
      + `    description: 'seed ${step.table}',\n`
      + `    sql: ${JSON.stringify(seedInsertSql(step.table))},\n`
      + `    condition: ${JSON.stringify(seedConditionSql(step.table))},\n`
      + `  });`);
  }
  const downs = [`  await m.dropIndex('${step.table}', '${step.indexName}');`];
  if (step.previous) downs.push(`  await m.dropColumn('${step.previous}', '${step.column}');`);
  downs.push(`  await m.dropTable('${step.table}');`);
  return `import type { MigrationContext } from 'idem';\n\n`
    + `export const revision = '${idemRevision(step.index)}';\n`
    + `export const revises: string | string[] | null = ${revises};\n`
    + `export const description = 'step ${step.index}';\n\n`
    + `export async function up(m: MigrationContext): Promise<void> {\n${ops.join('\n')}\n}\n\n`
    + `export async function down(m: MigrationContext): Promise<void> {\n${downs.join('\n')}\n}\n`;
}

/** idem's closing line: `up: 10 migration(s), 31 applied, 0 skipped, 0 drift in 52 ms`. */
const DONE = /^up: (\d+) migration\(s\), (\d+) applied, (\d+) skipped, (\d+) drift in \d+ ms$/m;

/** idem run from the build in `dist` (a folder laid out as `npm run build` writes it). */
export function idemTool(dist: string): BenchTool {
  return {
    name: 'idem',
    label: 'idem',
    scenarios: ['fresh', 'noop', 'adopt'],
    async unavailable() {
      return null;
    },
    async prepare(dir: string, _dialect: BenchDialect, n: number) {
      await mkdir(join(dir, 'migrations'));
      for (const step of workload(n)) {
        await writeFile(join(dir, 'migrations', `20250101${stepNumber(step)}00_step_${step.index}.ts`), migrationSource(step));
      }
    },
    invocation(dir: string, db: BenchDatabase): Invocation {
      return { command: process.execPath, args: [join(dist, BIN_IN_DIST), '--url', db.idemUrl, '--dir', join(dir, 'migrations'), 'up'] };
    },
    checkOutput(scenario: Scenario, stdout: string, n: number) {
      if (scenario === 'noop') return /^up: nothing to do \(\d+ ms\)$/m.test(stdout) ? null : `expected "up: nothing to do", got: ${lastLine(stdout)}`;
      const done = DONE.exec(stdout);
      if (!done) return `no closing line in idem's output: ${lastLine(stdout)}`;
      const [migrations, applied, skipped, drift] = done.slice(1).map(Number);
      const ops = operationCount(n);
      const expected = scenario === 'fresh' ? [n, ops, 0, 0] : [n, 0, ops, 0];
      return [migrations, applied, skipped, drift].every((v, i) => v === expected[i])
        ? null
        : `expected ${expected[0]} migration(s), ${expected[1]} applied, ${expected[2]} skipped, 0 drift; got: ${done[0]}`;
    },
  };
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() ?? '(no output)';
}
