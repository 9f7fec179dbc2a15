/**
 * Imports one migration module and checks its shape. `.ts` files go through
 * Node's own type stripping, so what a migration may contain is decided by
 * Node; this file's job is to turn Node's failures into messages that name the
 * file, the line and the fix.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { IdemError } from '../errors.ts';
import type { MigrationContext } from '../plan/migration-context.ts';

export interface LoadedMigration {
  revision: string;
  revises: string[];
  description: string;
  up: (m: MigrationContext) => Promise<void> | void;
  down?: (m: MigrationContext) => Promise<void> | void;
  /** Run inside one transaction (where the engine has transactional DDL). `export const transaction = false` opts out. */
  transaction: boolean;
  path: string;
  /** The URL the module was imported by, as V8 names it in stack frames: where in the file a call came from. */
  url: string;
}

/** Each `.ts` migration imported, by URL: whether it was imported by its real path (resolved already). */
const typescriptMigrations = new Map<string, boolean>();
/** The folders of those migrations: a `.ts` helper they import from there (`_shared.ts`) is an ES module too. */
const migrationFolders = new Set<string>();
let hooksRegistered = false;

function inMigrationFolder(url: string): boolean {
  if (!url.endsWith('.ts') || url.includes('/node_modules/')) return false;
  for (const folder of migrationFolders) if (url.startsWith(folder)) return true;
  return false;
}

/**
 * `.ts` migrations are ES modules whatever the nearest package.json says: a
 * project whose package.json has "type": "commonjs" (what `npm init` writes)
 * would have Node load them as CommonJS and fail at the first `export`, and
 * one with no "type" has Node parse each file to guess. Hooks tell Node the
 * format of the files imported here and of the `.ts` files beside them (a
 * shared helper), and of nothing else. A file whose real path the scan knows
 * (migration-files.ts) is imported from there and read here, without Node
 * resolving the path again (a stat of every part of it, a package.json
 * look-up). A thousand imports, one process each, no compile cache: 240-260
 * ms so; 270-290 ms with Node resolving and reading; 415-445 ms without
 * hooks, Node guessing each file's format. Registered on the first import,
 * for the process's life.
 * https://nodejs.org/api/module.html#synchronous-hooks-accepted-by-moduleregisterhooks
 */
function importMigration(absolute: string, realPath: string | undefined): Promise<Record<string, unknown>> {
  const url = pathToFileURL(realPath ?? absolute).href;
  if (absolute.endsWith('.ts')) {
    typescriptMigrations.set(url, realPath !== undefined);
    migrationFolders.add(url.slice(0, url.lastIndexOf('/') + 1));
    if (!hooksRegistered) {
      registerHooks({
        resolve: (specifier, context, nextResolve) => (typescriptMigrations.get(specifier) === true
          ? { url: specifier, format: 'module-typescript', shortCircuit: true }
          : nextResolve(specifier, context)),
        load: (target, context, nextLoad) => {
          const resolved = typescriptMigrations.get(target);
          if (resolved === true) return { format: 'module-typescript', source: readFileSync(fileURLToPath(target), 'utf8'), shortCircuit: true };
          return nextLoad(target, resolved === false || inMigrationFolder(target) ? { ...context, format: 'module-typescript' } : context);
        },
      });
      hooksRegistered = true;
    }
  }
  return import(url) as Promise<Record<string, unknown>>;
}

/** `realPath`: where the file really is, when the caller knows it (not a symlink). */
export async function loadMigration(path: string, realPath?: string): Promise<LoadedMigration> {
  const absolute = resolve(path);
  let mod: Record<string, unknown>;
  try {
    mod = await importMigration(absolute, realPath);
  } catch (error) {
    throw await loadError(absolute, error);
  }

  const revision = checkRevision(mod.revision, absolute);
  const revises = checkRevises(mod.revises, absolute);
  const description = checkDescription(mod.description, absolute);
  if (typeof mod.up !== 'function') {
    throw invalid(absolute, mod.up === undefined ? 'it does not export `up`' : `its \`up\` export is ${describe(mod.up)}, not a function`, {
      revision,
      hint: 'export the forward step: `export async function up(m) { ... }`',
    });
  }
  if (mod.down !== undefined && typeof mod.down !== 'function') {
    throw invalid(absolute, `its \`down\` export is ${describe(mod.down)}, not a function`, {
      revision,
      hint: 'make `down` a function, or remove it if the migration cannot be reversed',
    });
  }
  if (mod.transaction !== undefined && typeof mod.transaction !== 'boolean') {
    throw invalid(absolute, `its \`transaction\` export is ${describe(mod.transaction)}, not true or false`, {
      revision,
      hint: 'write `export const transaction = false;` to run outside a transaction, or remove the export',
    });
  }

  const loaded: LoadedMigration = {
    revision,
    revises,
    description,
    up: mod.up as LoadedMigration['up'],
    transaction: mod.transaction !== false,
    path: absolute,
    url: pathToFileURL(realPath ?? absolute).href,
  };
  if (mod.down !== undefined) loaded.down = mod.down as LoadedMigration['down'];
  return loaded;
}

// ------------------------------------------------ header validation (shared with scanMigrations)

const REVISION_ID = /^[A-Za-z0-9_-]+$/;

export function isRevisionId(value: string): boolean {
  return REVISION_ID.test(value);
}

export function checkRevision(value: unknown, path: string): string {
  if (value === undefined) {
    throw invalid(path, 'it does not export `revision`', {
      hint: "add `export const revision = '<id>';` (`idem new` writes one for you)",
    });
  }
  if (typeof value !== 'string' || !REVISION_ID.test(value)) {
    throw invalid(path, `its revision ${describe(value)} is not a revision id`, {
      hint: 'a revision is a non-empty string of letters, digits, `_` and `-`, e.g. \'3f9a1c2b7d4e\'',
    });
  }
  return value;
}

/** `revises` as a list: null (a root) → [], one parent → [it], a merge → its parents. */
export function checkRevises(value: unknown, path: string): string[] {
  if (value === undefined) {
    throw invalid(path, 'it does not export `revises`', {
      hint: "add `export const revises = null;` for the first migration, or the parent's revision: `export const revises = '<id>';`",
    });
  }
  if (value === null) return [];
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? (value as unknown[]) : undefined;
  if (list === undefined) {
    throw invalid(path, `its \`revises\` is ${describe(value)}`, {
      hint: "`revises` is null, a parent revision ('<id>'), or a list of parents for a merge (['<a>', '<b>'])",
    });
  }
  const seen = new Set<string>();
  for (const parent of list) {
    // A parent that is not a valid revision id can never be found in the graph: certainly a typo.
    if (typeof parent !== 'string' || !REVISION_ID.test(parent)) {
      throw invalid(path, `its \`revises\` names ${describe(parent)}, which is not a revision id`, {
        hint: "list parent revisions as non-empty strings of letters, digits, `_` and `-`, e.g. ['3f9a1c2b7d4e']",
      });
    }
    if (seen.has(parent)) {
      throw invalid(path, `its \`revises\` lists '${parent}' twice`, { hint: 'list each parent revision once' });
    }
    seen.add(parent);
  }
  return list as string[];
}

export function checkDescription(value: unknown, path: string): string {
  if (value === undefined) return '';
  if (typeof value !== 'string') {
    throw invalid(path, `its \`description\` is ${describe(value)}, not a string`, {
      hint: "write `export const description = '...';` or remove it",
    });
  }
  return value;
}

/** How a migration's path appears in messages: relative to the working directory when under it, so terminals can link it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function invalid(path: string, what: string, fields: { revision?: string; hint: string }): IdemError {
  return new IdemError('MIGRATION_INVALID', `migration ${displayPath(path)} is invalid: ${what}`, {
    ...fields,
    data: { file: path },
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

// ------------------------------------------------ import failures

interface Location { file: string; line: number; column: number }

async function loadError(path: string, error: unknown): Promise<IdemError> {
  const err = error instanceof Error ? error : new Error(String(error));
  const code = (err as { code?: unknown }).code;

  if (code === 'ERR_UNSUPPORTED_TYPESCRIPT_SYNTAX') {
    return new IdemError('MIGRATION_LOAD', failure(path, locationFromHeader(err.stack), 'uses TypeScript that Node cannot run', err.message), {
      cause: error,
      hint:
        'migrations must use erasable TypeScript only: Node runs .ts files by deleting the types, so syntax that ' +
        'generates JavaScript (enum, namespace, constructor parameter properties) cannot run. Use a union of string ' +
        'literals or a const object instead, fix the file, then re-run',
      data: { file: path },
    });
  }

  if (err instanceof SyntaxError) {
    // Type stripping puts `file:line`, the source line and a caret at the top of the stack. V8's own
    // parse errors for ES modules carry no location at all, so ask `node --check` for it; if the file
    // itself parses, the error came from something it imports and stays without a location, unless
    // a stack frame lies in the file: then running it threw (`JSON.parse('{')`), reported below.
    const at = locationFromHeader(err.stack) ?? (await locationFromCheck(path));
    if (at !== undefined || locationFromFrames(err.stack, path) === undefined) {
      return new IdemError('MIGRATION_LOAD', failure(path, at, 'has a syntax error', err.message), {
        cause: error,
        hint: 'fix the file, then re-run',
        data: { file: path },
      });
    }
  }

  // Thrown while the module body ran (or one of its imports failed): the first stack frame in the file says where.
  const name = err.name && err.name !== 'Error' ? `${err.name}: ` : '';
  return new IdemError('MIGRATION_LOAD', failure(path, locationFromFrames(err.stack, path), 'failed to load', name + err.message), {
    cause: error,
    hint: 'fix the file, then re-run',
    data: { file: path },
  });
}

/** "migration a.ts:3:16 has a syntax error: ..." or, when the fault is in a file it imports, "migration a.ts has a syntax error in b.ts:2:1: ...". */
function failure(path: string, at: Location | undefined, what: string, message: string): string {
  const shown = displayPath(path);
  if (at === undefined) return `migration ${shown} ${what}: ${message}`;
  const position = `:${at.line}:${at.column}`;
  if (at.file === path) return `migration ${shown}${position} ${what}: ${message}`;
  return `migration ${shown} ${what} in ${displayPath(at.file)}${position}: ${message}`;
}

/**
 * Reads Node's decorated header: "<path or file URL>:<line>\n<source line>\n<spaces>^^^".
 * The column is where the caret starts.
 */
function locationFromHeader(stack: string | undefined): Location | undefined {
  if (stack === undefined) return undefined;
  const lines = stack.split('\n');
  const head = /^(.+):(\d+)$/.exec(lines[0] ?? '');
  if (head === null) return undefined;
  const file = toPath(head[1]!);
  if (file === undefined) return undefined;
  const caretLine = lines[2] ?? '';
  const column = /^\s*\^+\s*$/.test(caretLine) ? caretLine.indexOf('^') + 1 : 1;
  return { file, line: Number(head[2]), column };
}

/**
 * Where in a migration file something it ran threw (`0001_add_groups.ts:12:9`),
 * from the first stack frame in that file; undefined when no frame is in it
 * (a non-Error value has no stack).
 */
export function thrownAt(error: unknown, paths: ReadonlyArray<string | undefined>): string | undefined {
  const stack = error instanceof Error ? error.stack : undefined;
  for (const path of paths) {
    const at = path === undefined ? undefined : locationFromFrames(stack, path);
    if (at) return `${displayPath(at.file)}:${at.line}:${at.column}`;
  }
  return undefined;
}

function locationFromFrames(stack: string | undefined, path: string): Location | undefined {
  if (stack === undefined) return undefined;
  const url = pathToFileURL(path).href;
  for (const line of stack.split('\n')) {
    const at = line.indexOf(url + ':');
    if (at < 0) continue;
    const m = /^:(\d+):(\d+)/.exec(line.slice(at + url.length));
    if (m !== null) return { file: path, line: Number(m[1]), column: Number(m[2]) };
  }
  return undefined;
}

/** Only on the failure path: a child `node --check` prints the location V8 knows but does not put on the error. */
function locationFromCheck(path: string): Promise<Location | undefined> {
  return new Promise((done) => {
    execFile(process.execPath, ['--check', path], { timeout: 10_000, encoding: 'utf8' }, (_error, _stdout, stderr) => {
      const at = locationFromHeader(stderr);
      done(at?.file === path ? at : undefined);
    });
  });
}

function toPath(printed: string): string | undefined {
  if (printed.startsWith('file://')) {
    try {
      return fileURLToPath(printed);
    } catch {
      return undefined;
    }
  }
  return isAbsolute(printed) ? printed : undefined;
}
