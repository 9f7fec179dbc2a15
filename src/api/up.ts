/**
 * `up`: apply every pending revision up to the target. With nothing pending
 * it lists the folder, hashes the files and reads the version table once: no
 * migration module is imported, no lock is taken.
 */
import { IdemError } from '../errors.ts';
import { applySteps, totals, type StepResult } from '../runner/apply-steps.ts';
import type { EventSink, OutcomeCounts } from '../runner/events.ts';
import type { AppliedRevision } from '../runner/version-table.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import { editedRevisions, loadProject, unknownRevisions, withDatabase, type Project } from './project.ts';

export interface RunResult extends OutcomeCounts {
  command: 'up' | 'down';
  migrations: StepResult[];
  ms: number;
}

export interface UpOptions extends IdemOptions {
  /** A revision (or unique prefix), `head` (default: the single head) or `heads` (every branch). */
  target?: string;
}

export async function up(options: UpOptions = {}): Promise<RunResult> {
  const started = performance.now();
  const config = await resolveConfig(options);
  const project = await loadProject(config);
  const targets = resolveUpTargets(project, options.target ?? 'head');
  return withDatabase(config, async ({ session, versions }) => {
    let applied = await versions.read();
    let pending = pendingFor(project, targets, applied);
    checkHistory(project, applied, pending.length, config.strict, config.emit);
    if (pending.length > 0) {
      await session.lock.acquire(config.lockTimeoutMs);
      try {
        // Another runner may have finished while we waited: read again under the lock.
        applied = await versions.read();
        pending = pendingFor(project, targets, applied);
        const migrations = pending.length === 0 ? [] : await applySteps({
          session, versions, applied, direction: 'up', strict: config.strict, emit: config.emit, signal: config.signal,
          steps: pending.map((revision) => project.files.get(revision)!),
        });
        return finish('up', migrations, started, config.emit);
      } finally {
        await session.lock.release();
      }
    }
    return finish('up', [], started, config.emit);
  });
}

export function finish(command: 'up' | 'down', migrations: StepResult[], started: number, emit: EventSink): RunResult {
  const result: RunResult = { command, migrations, ...totals(migrations), ms: Math.round(performance.now() - started) };
  emit({ event: 'done', command, migrations: migrations.length, applied: result.applied, skipped: result.skipped, drift: result.drift, ms: result.ms });
  return result;
}

function resolveUpTargets(project: Project, target: string): string[] {
  if (project.graph.size === 0) {
    throw new IdemError('GRAPH_EMPTY', `no migrations in ${project.config.dir}`, {
      hint: 'write one with `idem new "<description>"`, or point --dir at your migrations folder',
    });
  }
  if (target === 'heads') return project.graph.heads();
  return [project.graph.resolve(target)];
}

function pendingFor(project: Project, targets: string[], applied: AppliedRevision[]): string[] {
  return project.graph.upPath(targets, new Set(applied.map((a) => a.revision)));
}

/**
 * The database and the code must agree before anything runs. A database that
 * is simply ahead (a rolled-back image starting) is left alone with a
 * warning so the old image still starts; unknown revisions with work pending
 * are an error; edited migrations are reported.
 */
function checkHistory(project: Project, applied: AppliedRevision[], pending: number, strict: boolean, emit: EventSink): void {
  const unknown = unknownRevisions(project, applied).map((a) => a.revision);
  if (unknown.length > 0) {
    const list = unknown.join(', ');
    if (pending === 0 && !strict) {
      emit({
        event: 'warning', code: 'DB_AHEAD',
        message: `the database has revision(s) this code does not know: ${list}; every revision the code knows is applied, so nothing was changed`,
        hint: 'this is an older build than the one that migrated the database; deploy the newer image (rebuild it without cache if it should already have them)',
      });
    } else {
      throw new IdemError(pending === 0 ? 'DB_AHEAD' : 'DB_UNKNOWN_REVISION',
        `the database has revision(s) no migration file defines: ${list}`, {
          data: { unknown },
          hint: 'the image is stale or missing migration files: rebuild it without cache (docker build --no-cache) so it has every file in migrations/; `idem status` lists the unknown revisions',
        });
    }
  }
  for (const edited of editedRevisions(project, applied)) {
    const message = `migration ${edited.file} (${edited.revision}) changed since it was applied`;
    if (strict) {
      throw new IdemError('CHECKSUM_MISMATCH', message, {
        revision: edited.revision, hint: 'restore the file as applied, or put the change in a new migration',
      });
    }
    emit({ event: 'warning', code: 'CHECKSUM_MISMATCH', message, revision: edited.revision, hint: 'put changes to applied migrations in a new migration; the edit is not re-run' });
  }
}
