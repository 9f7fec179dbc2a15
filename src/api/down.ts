/** `down`: revert applied revisions back to a target (`-1`, a revision, or `base`). */
import { IdemError } from '../errors.ts';
import { applySteps } from '../runner/apply-steps.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import { loadProject, unknownRevisions, withDatabase, type Project } from './project.ts';
import { finish, type RunResult } from './up.ts';

export interface DownOptions extends IdemOptions {
  /** `-1` (one step; `-N` for N), a revision or unique prefix (revert everything after it), or `base` (revert all). */
  target: string;
}

export async function down(options: DownOptions): Promise<RunResult> {
  const started = performance.now();
  if (!options?.target) {
    throw new IdemError('USAGE', 'down needs a target', { hint: 'say how far: `idem down -1`, `idem down <revision>` or `idem down base`' });
  }
  const config = await resolveConfig(options);
  const project = await loadProject(config);
  const target = resolveDownTarget(project, options.target);
  return withDatabase(config, async ({ session, versions }) => {
    await session.lock.acquire(config.lockTimeoutMs);
    try {
      const applied = await versions.read();
      const unknown = unknownRevisions(project, applied);
      if (unknown.length > 0) {
        throw new IdemError('DB_UNKNOWN_REVISION', `the database has revision(s) no migration file defines: ${unknown.map((u) => u.revision).join(', ')}`, {
          hint: 'revert with the build that applied them (it has their down()), or restore their files',
        });
      }
      const path = project.graph.downPath(target, new Set(applied.map((a) => a.revision)), applied.map((a) => a.revision));
      const migrations = path.length === 0 ? [] : await applySteps({
        session, versions, applied, direction: 'down', strict: config.strict, emit: config.emit, signal: config.signal,
        steps: path.map((revision) => project.files.get(revision)!),
      });
      return finish('down', migrations, started, config.emit);
    } finally {
      await session.lock.release();
    }
  });
}

function resolveDownTarget(project: Project, target: string): string {
  if (target === 'base' || /^-\d+$/.test(target)) return target;
  return project.graph.resolve(target);
}
