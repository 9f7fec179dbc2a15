/** `status`, `history` and `heads`: what the code has, what the database has, and how they differ. */
import { maskUrl } from '../dialect/connection-url.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import { editedRevisions, loadProject, unknownRevisions, withDatabase, type Project } from './project.ts';

export interface RevisionInfo {
  revision: string;
  revises: string[];
  description: string;
  file: string;
  applied: boolean;
  appliedAt?: string;
  head: boolean;
  edited: boolean;
}

export interface StatusResult {
  url: string;
  dir: string;
  heads: string[];
  applied: string[];
  pending: string[];
  /** In the database, unknown to the code: a stale build, or a database ahead of it. */
  unknown: string[];
  /** Applied, but the file changed since. */
  edited: string[];
  /** Every revision the code knows, in graph order. */
  revisions: RevisionInfo[];
}

/** `project`: the migration files already read (a fleet reads them once for every target). */
export async function status(options: IdemOptions = {}, project?: Project): Promise<StatusResult> {
  const config = await resolveConfig(options);
  project ??= await loadProject(config);
  const applied = await withDatabase(config, ({ versions }) => versions.read(), { create: false });
  const appliedAt = new Map(applied.map((a) => [a.revision, a.appliedAt]));
  const heads = project.graph.heads();
  const headSet = new Set(heads);
  const edited = new Set(editedRevisions(project, applied).map((e) => e.revision));
  const revisions = project.graph.topoOrder().map((revision): RevisionInfo => {
    const file = project.files.get(revision)!;
    const at = appliedAt.get(revision);
    return {
      revision, revises: file.revises, description: file.description, file: file.file,
      applied: at !== undefined, ...(at !== undefined ? { appliedAt: at } : {}),
      head: headSet.has(revision), edited: edited.has(revision),
    };
  });
  return {
    url: maskUrl(config.url),
    dir: config.dir,
    heads,
    applied: applied.map((a) => a.revision),
    pending: revisions.filter((r) => !r.applied).map((r) => r.revision),
    unknown: unknownRevisions(project, applied).map((a) => a.revision),
    edited: [...edited],
    revisions,
  };
}
