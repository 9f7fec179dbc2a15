/**
 * Alembic with the seed's helpers (bench/alembic/migration_utils.py), which
 * inspect the catalog on every call: the system idem replaces. Debian's
 * python3-alembic (with python3-psycopg2 and python3-pymysql for the
 * servers); where it is missing, the bench skips Alembic and says why.
 */
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from '../databases.ts';
import { seedConditionSql, seedInsertSql, stepNumber, workload, type BenchDialect, type WorkloadStep } from '../workload.ts';
import type { BenchTool, Invocation } from './tool.ts';

const HERE = resolve(dirname(fileURLToPath(import.meta.url)), '../alembic');
const DRIVER_MODULE: Record<BenchDialect, string | null> = { sqlite: null, postgres: 'psycopg2', mariadb: 'pymysql' };
const DEBIAN_PACKAGE: Record<string, string> = { alembic: 'python3-alembic', psycopg2: 'python3-psycopg2', pymysql: 'python3-pymysql' };

/** The first Python that has Alembic: IDEM_BENCH_PYTHON, then Debian's own (a pyenv shim may shadow it on PATH), then python3. */
function pythonCandidates(): string[] {
  const list = [process.env.IDEM_BENCH_PYTHON, '/usr/bin/python3', 'python3'].filter((p): p is string => Boolean(p));
  return [...new Set(list)].filter((p) => p === 'python3' || existsSync(p));
}

function missingModules(python: string, modules: string[]): string[] | null {
  const probe = `import importlib.util, sys\nprint(",".join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))`;
  const result = spawnSync(python, ['-c', probe, ...modules], { encoding: 'utf8' });
  if (result.status !== 0) return null;
  return result.stdout.trim().split(',').filter(Boolean);
}

let python: string | undefined;

/** The Python that runs Alembic, once `unavailable()` found one. */
export function alembicPython(): string | undefined {
  return python;
}

function step(s: WorkloadStep): string {
  const revises = s.index === 1 ? 'None' : `'a${stepNumber({ ...s, index: s.index - 1 })}'`;
  const lines = [
    `"""step ${s.index}`,
    '',
    `Revision ID: a${stepNumber(s)}`,
    `Revises: ${s.index === 1 ? '' : `a${stepNumber({ ...s, index: s.index - 1 })}`}`,
    '"""',
    'import os',
    'import sys',
    '',
    'import sqlalchemy as sa',
    'from alembic import op',
    '',
    '# Import path setup, as the seed\'s template has it',
    'alembic_dir = os.path.dirname(__file__)',
    'parent_dir = os.path.dirname(alembic_dir)',
    'if parent_dir not in sys.path:',
    '    sys.path.append(parent_dir)',
    '',
    'from migration_utils import execute_sql_if_condition, safe_add_column, safe_create_index, safe_create_table',
    '',
    `revision = 'a${stepNumber(s)}'`,
    `down_revision = ${revises}`,
    'branch_labels = None',
    'depends_on = None',
    '',
    '',
    'def upgrade() -> None:',
    `    safe_create_table('${s.table}',`,
    `        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True),`,
    `        sa.Column('name', sa.String(50), nullable=False),`,
    `        sa.Column('created_at', sa.DateTime(), nullable=True),`,
    '    )',
  ];
  if (s.previous) lines.push(`    safe_add_column('${s.previous}', '${s.column}', sa.Integer(), nullable=True)`);
  lines.push(`    safe_create_index('${s.indexName}', '${s.table}', ['name'])`);
  if (s.seeds) {
    lines.push(
      '    execute_sql_if_condition(',
      `        sql=${JSON.stringify(seedInsertSql(s.table))},`,
      `        condition_sql=${JSON.stringify(seedConditionSql(s.table))},`,
      `        description='seed ${s.table}',`,
      '    )',
    );
  }
  lines.push('', '', 'def downgrade() -> None:');
  if (s.previous) lines.push(`    op.drop_column('${s.previous}', '${s.column}')`);
  lines.push(`    op.drop_table('${s.table}')`);
  return `${lines.join('\n')}\n`;
}

export const alembic: BenchTool = {
  name: 'alembic',
  label: 'Alembic + seed helpers (per-call inspection)',
  scenarios: ['fresh', 'noop', 'adopt'],
  async unavailable(dialect: BenchDialect) {
    const modules = ['alembic', 'sqlalchemy', ...(DRIVER_MODULE[dialect] ? [DRIVER_MODULE[dialect]!] : [])];
    let best: string[] | undefined;
    for (const candidate of pythonCandidates()) {
      const missing = missingModules(candidate, modules);
      if (missing === null) continue;
      if (missing.length === 0) {
        python = candidate;
        return null;
      }
      if (!best || missing.length < best.length) best = missing;
    }
    if (!best) return 'no python3 found (set IDEM_BENCH_PYTHON)';
    const packages = best.map((m) => DEBIAN_PACKAGE[m] ?? m).join(' ');
    return `Python module(s) ${best.join(', ')} missing: install with \`apt-get install -y ${packages}\` (Debian/Ubuntu), or point IDEM_BENCH_PYTHON at a Python that has them`;
  },
  async prepare(dir: string, _dialect: BenchDialect, n: number) {
    const scriptLocation = join(dir, 'alembic');
    await mkdir(join(scriptLocation, 'versions'), { recursive: true });
    await copyFile(join(HERE, 'env.py'), join(scriptLocation, 'env.py'));
    await copyFile(join(HERE, 'migration_utils.py'), join(scriptLocation, 'migration_utils.py'));
    for (const s of workload(n)) await writeFile(join(scriptLocation, 'versions', `a${stepNumber(s)}_step_${s.index}.py`), step(s));
  },
  invocation(dir: string, db: BenchDatabase): Invocation {
    if (!python) throw new Error('alembic.invocation before alembic.unavailable() found a Python with Alembic');
    return { command: python, args: [join(HERE, 'up.py'), join(dir, 'alembic'), db.sqlalchemyUrl] };
  },
};
