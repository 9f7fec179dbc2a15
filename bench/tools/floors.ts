/**
 * The two floors no tool can beat: for `fresh`, the workload as a raw SQL
 * script through the same driver (bench/peers/raw-script.mjs); for `noop`, a
 * bare node process that opens the database and reads one row
 * (bench/peers/floor.mjs), run on the database idem just migrated.
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchDatabase } from '../databases.ts';
import { rawScript, type BenchDialect } from '../workload.ts';
import type { BenchTool, Invocation, ToolName } from './tool.ts';

const PEERS = resolve(dirname(fileURLToPath(import.meta.url)), '../peers');

export const RAW_SCRIPT_FILE = 'script.sql';

export async function writeRawScript(dir: string, dialect: BenchDialect, n: number): Promise<string> {
  const path = join(dir, RAW_SCRIPT_FILE);
  await writeFile(path, rawScript(dialect, n).map((statement) => `${statement};\n`).join(''));
  return path;
}

export function rawScriptInvocation(path: string, db: BenchDatabase): Invocation {
  return { command: process.execPath, args: [join(PEERS, 'raw-script.mjs'), db.dialect, db.target, path] };
}

export const raw: BenchTool = {
  name: 'raw',
  label: 'raw SQL script (floor)',
  scenarios: ['fresh'],
  async unavailable() {
    return null;
  },
  async prepare(dir: string, dialect: BenchDialect, n: number) {
    await writeRawScript(dir, dialect, n);
  },
  invocation(dir: string, db: BenchDatabase): Invocation {
    return rawScriptInvocation(join(dir, RAW_SCRIPT_FILE), db);
  },
};

/** The row the floor reads: one of idem's version rows, from the database idem migrated. */
export const FLOOR_QUERY = 'SELECT revision FROM idem_version ORDER BY seq LIMIT 1';

/** A floor for `noop`: a peer script run on the database idem just migrated, with the folder of idem's migrations. */
function noopFloor(name: ToolName, label: string, script: string, extraArgs: (migrations: string) => string[]): BenchTool {
  return {
    name,
    label,
    scenarios: ['noop'],
    async unavailable() {
      return null;
    },
    async prepare() {},
    invocation(dir: string, db: BenchDatabase): Invocation {
      return { command: process.execPath, args: [join(PEERS, script), db.dialect, db.target, FLOOR_QUERY, ...extraArgs(join(dir, 'migrations'))] };
    },
  };
}

export const floor = noopFloor('floor', 'bare node: open + read 1 row (floor)', 'floor.mjs', () => []);

/**
 * The floor for `noop` of any tool that reports edited migrations: the bare
 * floor plus reading and hashing every migration file (idem's own, in its
 * folder), which such a tool cannot skip. What idem adds beyond it is idem.
 */
export const floorFiles = noopFloor(
  'floor-files', 'bare node: open + read 1 row + read and hash every migration file (floor)', 'floor-files.mjs', (migrations) => [migrations],
);

/** The floors run on the database idem just left at head, with idem's folder. */
export const NOOP_FLOORS: readonly ToolName[] = ['floor', 'floor-files'];
