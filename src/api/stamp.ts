/**
 * `stamp`: record a revision (and its unrecorded ancestors) as applied
 * without running it, or remove every record with `base`. For a database
 * whose schema someone else built; `up` over it does the same job while
 * checking every operation, so it is usually the better choice.
 */
import { IdemError } from '../errors.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import { loadProject, withDatabase } from './project.ts';

export interface StampResult {
  recorded: string[];
  removed: string[];
}

export async function stamp(options: IdemOptions & { revision: string }): Promise<StampResult> {
  if (!options?.revision) throw new IdemError('USAGE', 'stamp needs a revision', { hint: 'run `idem stamp <revision>` or `idem stamp base`' });
  const config = await resolveConfig(options);
  const project = await loadProject(config);
  return withDatabase(config, async ({ session, versions }) => {
    await session.lock.acquire(config.lockTimeoutMs);
    try {
      const applied = await versions.read();
      const result: StampResult = { recorded: [], removed: [] };
      if (options.revision === 'base') {
        for (const row of [...applied].reverse()) {
          await versions.remove(row.revision);
          result.removed.push(row.revision);
          config.emit({ event: 'stamp', revision: row.revision, description: row.description, action: 'removed' });
        }
        return result;
      }
      const target = project.graph.resolve(options.revision);
      await versions.ensure();
      for (const revision of project.graph.upPath([target], new Set(applied.map((a) => a.revision)))) {
        const file = project.files.get(revision)!;
        await versions.insert({
          revision, description: file.description, checksum: file.checksum, durationMs: 0,
          counts: { applied: 0, skipped: 0, drift: 0 }, how: 'stamped', declared: {},
        });
        result.recorded.push(revision);
        config.emit({ event: 'stamp', revision, description: file.description, action: 'recorded' });
      }
      return result;
    } finally {
      await session.lock.release();
    }
  });
}
