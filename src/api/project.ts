/**
 * The pieces every command needs: the migration files and their graph (read
 * without importing any module), and, when asked, a database session with
 * its version table.
 */
import { existsSync } from 'node:fs';
import { maskUrl, parseConnectionUrl } from '../dialect/connection-url.ts';
import { openSession } from '../dialect/connect.ts';
import type { DialectSession } from '../dialect/dialect.ts';
import { IdemError, isIdemError } from '../errors.ts';
import { scanMigrations, type MigrationFile } from '../files/migration-files.ts';
import { RevisionGraph } from '../graph/revision-graph.ts';
import { IDEM_TABLES } from '../runner/idem-tables.ts';
import { VERSION_TABLE, VersionTable, type AppliedChecksum, type AppliedRevision } from '../runner/version-table.ts';
import type { ResolvedConfig } from './config.ts';
import { connectWithWait } from './connection-wait.ts';

export interface Project {
  config: ResolvedConfig;
  files: Map<string, MigrationFile>;
  graph: RevisionGraph;
}

export async function loadProject(config: ResolvedConfig): Promise<Project> {
  const list = await scanMigrations(config.dir);
  // A MigrationFile is a RevisionNode: the graph takes the files as they are, no copy of a thousand.
  const graph = RevisionGraph.build(list);
  return { config, files: new Map(list.map((f) => [f.revision, f])), graph };
}

export interface Database {
  session: DialectSession;
  versions: VersionTable;
}

export interface OpenOptions {
  /** false for commands that only read: a SQLite file that does not exist yet is read as empty, not created. */
  create?: boolean;
}

export async function openDatabase(config: ResolvedConfig, options: OpenOptions = {}): Promise<Database> {
  const parsed = parseConnectionUrl(config.url, config.cwd);
  // A SQLite file that does not exist has nothing applied, and asking must not leave an empty one behind.
  const target = options.create === false && parsed.dialect === 'sqlite' && parsed.path !== ':memory:' && !existsSync(parsed.path)
    ? { ...parsed, path: ':memory:' } : parsed;
  const session = await connectWithWait(() => openSession(target, IDEM_TABLES, {
    lockLeaseMs: config.lockLeaseMs, warn: (warning) => config.emit({ event: 'warning', ...warning }),
  }), { waitMs: config.waitMs, emit: config.emit });
  let versionTableExists: boolean;
  try {
    // A first read: opening can succeed on something that is not a database (SQLite opens any
    // file lazily), and that must read as "unavailable", not as a bug in idem. Its answer also
    // spares the version table asking again.
    versionTableExists = await session.catalog.hasTable(VERSION_TABLE);
  } catch (error) {
    await session.close().catch(() => undefined);
    if (isIdemError(error)) throw error;
    throw new IdemError('CONNECTION', `cannot read the database ${maskUrl(config.url)}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error, hint: 'check that the URL points at the right database (for SQLite: a SQLite database file, not another file)',
    });
  }
  return { session, versions: new VersionTable(session, versionTableExists) };
}

/** Run `work` with a database, closing it whatever happens. */
export async function withDatabase<T>(config: ResolvedConfig, work: (db: Database) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const db = await openDatabase(config, options);
  try {
    return await work(db);
  } finally {
    await db.session.close();
  }
}

/** Applied revisions the code does not know: a stale build, or a database ahead of it. */
export function unknownRevisions<Row extends AppliedChecksum>(project: Project, applied: Row[]): Row[] {
  return applied.filter((a) => !project.graph.has(a.revision));
}

/** Whether any applied revision's file differs from the checksum recorded for it (edited, or stamped from another text). */
export function anyFileChanged(project: Project, applied: readonly AppliedChecksum[]): boolean {
  return applied.some((a) => {
    const file = project.files.get(a.revision);
    return file !== undefined && file.checksum !== a.checksum;
  });
}

/** Applied revisions whose file changed since (checksums ignore line endings and trailing spaces). */
export interface EditedRevision {
  revision: string;
  file: string;
}

export function editedRevisions(project: Project, applied: AppliedRevision[]): EditedRevision[] {
  const edited: EditedRevision[] = [];
  for (const a of applied) {
    const file = project.files.get(a.revision);
    // `how` last: it parses the row's operations, which only a changed file needs.
    if (file && file.checksum !== a.checksum && a.how === 'applied') edited.push({ revision: a.revision, file: file.file });
  }
  return edited;
}
