/**
 * The migrations directory as data: every migration's identity, parents and
 * checksum. This runs on every `idem up`, so it reads each file once and,
 * where the header is the plain form `idem new` writes, does not import it.
 */
import { readdirSync, readFileSync, realpathSync, statSync, type Dirent } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { IdemError } from '../errors.ts';
import { migrationChecksum } from './checksum.ts';
import { checkDescription, checkRevises, checkRevision, displayPath, loadMigration } from './migration-loader.ts';
import { readStaticHeader } from './static-header.ts';

export interface MigrationFile {
  /** File name within the directory, e.g. `20240102030405_add_groups.ts`. */
  file: string;
  /** Absolute path. */
  path: string;
  revision: string;
  revises: string[];
  description: string;
  checksum: string;
  /**
   * Where Node would import the file from (the folder's real path), for a
   * file that is not a symlink: the import goes there directly, without
   * resolving the path again (migration-loader.ts).
   */
  realPath?: string;
}

const MIGRATION_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/**
 * Whether a directory entry is a migration. Declaration files are build output;
 * names starting with `.` (editor backups) or `_` (shared helpers) are left alone.
 */
export function isMigrationFileName(name: string): boolean {
  if (name.startsWith('.') || name.startsWith('_')) return false;
  if (name.endsWith('.d.ts') || name.endsWith('.d.mts')) return false;
  return MIGRATION_EXTENSIONS.some((ext) => name.endsWith(ext) && name.length > ext.length);
}

export async function scanMigrations(dir: string): Promise<MigrationFile[]> {
  const root = resolve(dir);
  const entries = await listMigrationEntries(root);
  // Where Node would import a file from: the folder's real path (it may be a symlink, and a
  // migration's relative imports resolve from where it really is).
  const realRoot = realpathSync(root);
  const results: MigrationFile[] = [];
  // The first error in file order is the one reported: with several broken files, the same each run.
  for (const { name, symlink } of entries) {
    const file = readMigrationFile(root, name, symlink ? undefined : realRoot);
    // Only a header that is not the plain form is read by importing the file: the rest need no await.
    results.push(file instanceof Promise ? await file : file);
  }
  return results;
}

export async function listMigrationNames(root: string): Promise<string[]> {
  return (await listMigrationEntries(root)).map((entry) => entry.name);
}

async function listMigrationEntries(root: string): Promise<Array<{ name: string; symlink: boolean }>> {
  let entries: Dirent[];
  try {
    // Synchronous, like the reads below: node:fs/promises would be loaded for this one call.
    entries = readdirSync(root, { withFileTypes: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new IdemError(
        'CONFIG',
        code === 'ENOENT'
          ? `migrations directory ${displayPath(root)} does not exist`
          : `migrations directory ${displayPath(root)} is not a directory`,
        { cause: error, hint: 'create it with `idem new "<description>"` or pass --dir', data: { dir: root } },
      );
    }
    throw error;
  }
  const found: Array<{ name: string; symlink: boolean }> = [];
  for (const entry of entries) {
    if (!isMigrationFileName(entry.name)) continue;
    if (entry.isFile()) found.push({ name: entry.name, symlink: false });
    // A symlinked migration counts if it points at a file.
    else if (entry.isSymbolicLink() && pointsAtFile(join(root, entry.name))) found.push({ name: entry.name, symlink: true });
  }
  // Code-unit order, not localeCompare: the same order on every machine and locale.
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A broken link, a loop or one pointing at a folder is not a migration. */
function pointsAtFile(link: string): boolean {
  try {
    return statSync(link).isFile();
  } catch {
    return false;
  }
}

/**
 * Read synchronously: this runs for every file on every `idem up`, and a
 * promise per file (open, stat, read, close through the thread pool) cost
 * ten times the read itself: 85 ms against 8 ms for a thousand migrations.
 */
function readMigrationFile(root: string, name: string, realRoot: string | undefined): MigrationFile | Promise<MigrationFile> {
  // Both folders are absolute and normalized (resolve, realpathSync); a directory entry's name holds no separator.
  const path = inFolder(root, name);
  const text = readFileSync(path, 'utf8');
  const checksum = migrationChecksum(text);
  const realPath = realRoot === undefined ? undefined : inFolder(realRoot, name);
  const header = readStaticHeader(text);
  // Not the plain form (a computed value, `export { }`, ...): only running the module can tell.
  if (header === null) return importHeader(name, path, checksum, realPath);
  // The same checks an import gets, so a file is valid or not regardless of which way it was read.
  const file: MigrationFile = {
    file: name,
    path,
    revision: checkRevision(header.revision, path),
    revises: checkRevises(header.revises, path),
    description: checkDescription(header.description, path),
    checksum,
  };
  if (realPath !== undefined) file.realPath = realPath;
  return file;
}

async function importHeader(name: string, path: string, checksum: string, realPath: string | undefined): Promise<MigrationFile> {
  const loaded = await loadMigration(path, realPath);
  const file: MigrationFile = { file: name, path, revision: loaded.revision, revises: loaded.revises, description: loaded.description, checksum };
  if (realPath !== undefined) file.realPath = realPath;
  return file;
}

/** `folder/name` for an absolute, normalized folder: what path.join gives, without normalizing again a thousand times. */
function inFolder(folder: string, name: string): string {
  return folder.endsWith(sep) ? folder + name : folder + sep + name;
}
