/**
 * A scratch SQLite database for `idem verify`: a file in a folder of its own
 * under the system's temp directory, so removing the folder removes the
 * journal and WAL files SQLite may leave beside it too.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdemError } from '../../errors.ts';

export interface SqliteScratchFile {
  /** The database file. */
  path: string;
  /** Empties the folder: the next connection starts from an empty database. */
  reset(): Promise<void>;
  /** Removes the folder and everything in it. */
  remove(): Promise<void>;
}

export async function createSqliteScratchFile(): Promise<SqliteScratchFile> {
  let dir: string;
  try {
    dir = await mkdtemp(join(tmpdir(), 'idem-verify-'));
  } catch (error) {
    throw new IdemError('CONFIG', `idem verify cannot create its temporary SQLite file in ${tmpdir()}: ${(error as Error).message}`, {
      cause: error, hint: 'point TMPDIR at a folder this user can write to',
    });
  }
  return {
    path: join(dir, 'scratch.db'),
    async reset() {
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
