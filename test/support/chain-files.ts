/**
 * A generated chain (random-chain.ts) as migration files a person can read:
 * one `await m.<operation>(…)` line per step, arguments as literals. Every
 * file also routes `m` through a small pause hook (PAUSE_HOOK_FILE, next to
 * the migrations folder) so a test can stop the live run right after a given
 * operation and kill it there, deterministically.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Chain, Migration, Step } from './random-chain.ts';
import type { TestProject } from './project.ts';

export const PAUSE_HOOK_FILE = 'fuzz-pause.mjs';
/** `<revision>:<n>`: the live run of that migration waits after its n-th operation. */
export const PAUSE_ENV = 'IDEM_FUZZ_PAUSE_AT';

const PAUSE_HOOK = `// Test hook (test/support/chain-files.ts): with ${PAUSE_ENV}=<revision>:<n>, the live run of that
// migration waits after its n-th operation, whose event is already printed, so a kill lands exactly
// there. The look-ahead pass records operations without running them (detail 'recorded'): no wait.
const OPERATIONS = new Set(['createTable', 'dropTable', 'renameTable', 'addColumn', 'dropColumn', 'renameColumn',
  'alterColumn', 'createIndex', 'dropIndex', 'addForeignKey', 'dropForeignKey', 'addUnique', 'dropUnique', 'executeIf', 'sql']);

export function pauseHook(m, revision) {
  const at = process.env.${PAUSE_ENV} ?? '';
  if (!at.startsWith(revision + ':')) return m;
  const after = Number(at.slice(revision.length + 1));
  let done = 0;
  return new Proxy(m, {
    get(target, key) {
      const value = target[key];
      if (typeof value !== 'function' || !OPERATIONS.has(key)) return value;
      return async (...args) => {
        const result = await value.apply(target, args);
        if (result?.detail !== 'recorded' && ++done === after) await new Promise((resolve) => setTimeout(resolve, 60_000));
        return result;
      };
    },
  });
}
`;

export interface MigrationFileText {
  file: string;
  text: string;
}

export function chainFiles(chain: Chain): MigrationFileText[] {
  return chain.map((migration, i) => ({
    file: `${String(i + 1).padStart(4, '0')}_${migration.revision}.ts`,
    text: migrationText(migration, chain[i - 1]?.revision),
  }));
}

/** Writes the chain and the pause hook into the project. */
export async function writeChain(p: TestProject, chain: Chain): Promise<void> {
  await writeFile(join(p.dir, PAUSE_HOOK_FILE), PAUSE_HOOK);
  for (const { file, text } of chainFiles(chain)) await p.writeRaw(file, text);
}

/** Writes the chain and the hook into `dir` (with its own migrations folder): a failing case to replay by hand. */
export async function writeChainTo(dir: string, chain: Chain): Promise<void> {
  await mkdir(join(dir, 'migrations'), { recursive: true });
  await writeFile(join(dir, PAUSE_HOOK_FILE), PAUSE_HOOK);
  for (const { file, text } of chainFiles(chain)) await writeFile(join(dir, 'migrations', file), text);
}

function migrationText(migration: Migration, revises: string | undefined): string {
  return `import type { MigrationContext } from 'idem';
import { pauseHook } from '../${PAUSE_HOOK_FILE}';

export const revision = '${migration.revision}';
export const revises: string | string[] | null = ${revises === undefined ? 'null' : `'${revises}'`};
export const description = '${migration.revision}';

export async function up(m: MigrationContext): Promise<void> {
  m = pauseHook(m, revision);
${migration.steps.map((s) => `  ${stepLine(s)}`).join('\n')}
}
`;
}

/** The chain as its operations, migration by migration: the short form of a counterexample. */
export function chainListing(chain: Chain): string {
  return chain.map((m, i) => `${m.revision}${i === 0 ? '' : ` (revises ${chain[i - 1]!.revision})`}:\n${m.steps.map((s, n) => `  ${n + 1}. ${stepLine(s)}`).join('\n')}`).join('\n');
}

export function stepLine(step: Step): string {
  return `await m.${step.method}(${step.args.map(code).join(', ')});`;
}

/** A value as TypeScript source: single-quoted strings (double when the SQL inside has quotes), bare keys. */
function code(value: unknown): string {
  if (typeof value === 'string') return value.includes("'") ? JSON.stringify(value) : `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(code).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{ ${entries.map(([k, v]) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : JSON.stringify(k)}: ${code(v)}`).join(', ')} }`;
  }
  return String(value);
}
