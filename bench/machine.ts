/**
 * The machine and versions a run measured, for the head of results.md:
 * figures from two machines are not comparable, ratios from one run are.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminQuery, type ServerUrls } from './databases.ts';
import type { Machine } from './results.ts';
import type { BenchDialect } from './workload.ts';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'not installed';
  }
}

function pythonVersions(python: string | undefined): Record<string, string> {
  if (!python) return {};
  const probe = 'import sys, alembic, sqlalchemy; print(sys.version.split()[0], alembic.__version__, sqlalchemy.__version__)';
  const result = spawnSync(python, ['-c', probe], { encoding: 'utf8' });
  const [py, alembic, sqlalchemy] = result.status === 0 ? result.stdout.trim().split(' ') : [];
  return py ? { python: py, alembic: alembic!, sqlalchemy: sqlalchemy! } : {};
}

/** The commit the bench ran, and whether src/ differed from it (the build measured is of the working tree). */
function idemVersion(): string {
  const git = (args: string[]) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  if (head.status !== 0) return 'not a git checkout';
  const changed = git(['status', '--porcelain', '--', 'src']).stdout.trim().split('\n').filter(Boolean).length;
  return `${head.stdout.trim()}${changed > 0 ? ` + uncommitted changes in ${changed} file(s) under src/` : ''}`;
}

export async function describeMachine(dialects: BenchDialect[], servers: ServerUrls, python: string | undefined, load: Machine['load']): Promise<Machine> {
  const engines: Machine['engines'] = {};
  const { DatabaseSync } = await import('node:sqlite');
  const memory = new DatabaseSync(':memory:');
  engines.sqlite = `SQLite ${(memory.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v} (node:sqlite)`;
  memory.close();
  for (const dialect of dialects) {
    if (dialect === 'sqlite' || !servers[dialect]) continue;
    const rows = await adminQuery(dialect, servers[dialect]!, 'SELECT version() AS v').catch(() => []);
    const version = String(rows[0]?.v ?? 'unreachable');
    engines[dialect] = dialect === 'postgres' ? version.split(' on ')[0]! : `MariaDB ${version}`;
  }
  return {
    idem: idemVersion(),
    load,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: cpus().length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    node: process.version,
    engines,
    peers: { knex: packageVersion('knex'), kysely: packageVersion('kysely'), pg: packageVersion('pg'), mysql2: packageVersion('mysql2'), ...pythonVersions(python) },
  };
}
