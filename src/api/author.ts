/** `new` and `merge`: write migration files that revise the current head(s). */
import { IdemError } from '../errors.ts';
import { scanMigrations } from '../files/migration-files.ts';
import { writeMigration } from '../files/migration-writer.ts';
import { RevisionGraph } from '../graph/revision-graph.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import { existsSync } from 'node:fs';

export interface WrittenMigration {
  path: string;
  revision: string;
  revises: string[];
}

/**
 * A new migration revising the current head(s): with branches, it revises
 * every head, so it also joins them (as a merge does) and the graph has one
 * head again.
 */
export async function newMigration(options: IdemOptions & { description: string }): Promise<WrittenMigration> {
  const config = await resolveConfig(options);
  const graph = existsSync(config.dir) ? RevisionGraph.build(await scanMigrations(config.dir)) : RevisionGraph.build([]);
  const heads = graph.heads();
  const written = await writeMigration(config.dir, { description: options.description, revises: heads });
  return { ...written, revises: heads };
}

/** A migration revising several revisions (usually the heads), joining the branches. */
export async function merge(options: IdemOptions & { revisions: string[]; description: string }): Promise<WrittenMigration> {
  const config = await resolveConfig(options);
  const graph = RevisionGraph.build(await scanMigrations(config.dir));
  if (!options.revisions || options.revisions.length < 2) {
    throw new IdemError('USAGE', 'merge needs at least two revisions', { hint: `run \`idem merge ${graph.heads().join(' ') || '<rev> <rev>'} -m "merge heads"\`` });
  }
  const revises = [...new Set(options.revisions.map((r) => graph.resolve(r)))];
  if (revises.length < 2) throw new IdemError('USAGE', 'merge needs two different revisions', { hint: 'name each head once' });
  const written = await writeMigration(config.dir, { description: options.description, revises });
  return { ...written, revises };
}
