/**
 * `up`: apply every pending revision up to the target. With nothing pending
 * it lists the folder, hashes the files and reads the version table once: no
 * migration module is imported, no lock is taken.
 *
 * `reapply` / `reapplyChanged` run applied migrations again, after the
 * pending ones, under the same lock: safe because every operation is
 * idempotent. What the edit changed is applied, what already holds is
 * skipped, and the version row takes the file's new checksum.
 */
import { IdemError, isIdemError } from '../errors.ts';
import type { StepResult } from '../runner/apply-steps.ts';
import { totals, type EventSink, type OutcomeCounts } from '../runner/events.ts';
import type { AppliedChecksum } from '../runner/version-table.ts';
import { resolveConfig, type IdemOptions, type ResolvedConfig } from './config.ts';
import {
  anyFileChanged, editedRevisions, loadProject, unknownRevisions, withDatabase, type Database, type EditedRevision, type Project,
} from './project.ts';

export interface RunResult extends OutcomeCounts {
  command: 'up' | 'down';
  migrations: StepResult[];
  ms: number;
}

export interface UpOptions extends IdemOptions {
  /** A revision (or unique prefix), `head` (default: the single head) or `heads` (every branch). */
  target?: string;
  /**
   * Applied migrations to run again (revision ids or unique prefixes; an
   * entry may be a comma list), after the pending ones, in graph order. One
   * that is not applied but pending on the way to the target simply runs as
   * pending; one that is neither is a USAGE error.
   */
  reapply?: string[];
  /** Run again every applied migration whose file changed since it was applied. */
  reapplyChanged?: boolean;
}

/** `project`: the migration files already read (a fleet reads them once for every target). */
export async function up(options: UpOptions = {}, project?: Project): Promise<RunResult> {
  const started = performance.now();
  const config = await resolveConfig(options);
  project ??= await loadProject(config);
  const targets = resolveUpTargets(project, options.target ?? 'head');
  const request: ReapplyRequest = { named: resolveReapply(project, options.reapply ?? []), changed: options.reapplyChanged === true };
  return withDatabase(config, async ({ session, versions }) => {
    // Revisions and checksums are all a start needs while every file is as applied. Where one changed,
    // whether that matters is in its whole row (`how`: a stamped revision's edit is not reported).
    const recorded = await versions.readChecksums();
    const edited = anyFileChanged(project, recorded) ? editedRevisions(project, await versions.read()) : [];
    let pending = pendingFor(project, targets, recorded);
    const again = reapplyFor(project, request, recorded, pending, edited);
    checkHistory(project, recorded, edited, pending.length + again.length, config.strict, config.emit, new Set(again));
    if (pending.length > 0 || again.length > 0) {
      await session.lock.acquire(config.lockTimeoutMs);
      try {
        // Another runner may have finished while we waited: read again under the lock.
        const applied = await versions.read();
        pending = pendingFor(project, targets, applied);
        // The runner (executors, classifier, DDL) is loaded only when there is work: a no-op start skips it.
        const { applySteps } = await import('../runner/apply-steps.ts');
        const migrations = pending.length === 0 ? [] : await applySteps({
          session, versions, applied, direction: 'up', strict: config.strict, emit: config.emit, signal: config.signal,
          steps: pending.map((revision) => project.files.get(revision)!),
        });
        if (again.length > 0) migrations.push(...await reapplySteps(project, request, migrations, { session, versions }, config));
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

function pendingFor(project: Project, targets: string[], applied: AppliedChecksum[]): string[] {
  return project.graph.upPath(targets, new Set(applied.map((a) => a.revision)));
}

/**
 * The database and the code must agree before anything runs. A database that
 * is simply ahead (a rolled-back image starting) is left alone with a
 * warning so the old image still starts; unknown revisions with work pending
 * are an error; edited migrations are reported.
 */
function checkHistory(
  project: Project, applied: AppliedChecksum[], edited: EditedRevision[], pending: number, strict: boolean, emit: EventSink,
  reapplying: ReadonlySet<string>,
): void {
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
  // An edit this run reapplies is what was asked for: neither a warning nor, under --strict, an error.
  for (const { revision, file } of edited.filter((e) => !reapplying.has(e.revision))) {
    const message = `migration ${file} (${revision}) changed since it was applied`;
    const reapply = `\`idem up --reapply ${revision}\``;
    if (strict) {
      throw new IdemError('CHECKSUM_MISMATCH', message, {
        revision, hint: `restore the file as applied, put the change in a new migration, or run the edit now with ${reapply}`,
      });
    }
    emit({
      event: 'warning', code: 'CHECKSUM_MISMATCH', message, revision,
      hint: `put changes to applied migrations in a new migration; the edit is not re-run unless asked: ${reapply} (what already holds is skipped)`,
    });
  }
}

/** What to run again: the revisions named with --reapply (resolved), and whether every edited one too. */
interface ReapplyRequest {
  named: string[];
  changed: boolean;
}

/** `--reapply` values as revision ids: each entry may be a comma list; prefixes resolve through the graph. */
function resolveReapply(project: Project, entries: string[]): string[] {
  const names = entries.flatMap((entry) => entry.split(',')).map((name) => name.trim());
  return [...new Set(names.map((name) => {
    if (name === '') {
      throw new IdemError('USAGE', '--reapply needs a revision id (or a comma list of them)', { hint: 'e.g. `idem up --reapply 3f9a1c2b`; `idem history` lists revision ids' });
    }
    try {
      return project.graph.resolve(name);
    } catch (error) {
      if (!isIdemError(error) || error.code !== 'GRAPH_UNKNOWN_TARGET') throw error;
      throw new IdemError('USAGE', `--reapply ${name}: ${error.message}`, {
        ...(error.data ? { data: error.data } : {}), hint: error.hint ?? 'run `idem history` to see revision ids',
      });
    }
  }))];
}

/**
 * The applied revisions to run again, in graph order. A named one that is
 * pending in this run simply runs as pending; one neither applied nor
 * pending cannot be reapplied (checked before the lock only: under it, a
 * revision reverted meanwhile is left out).
 */
function reapplyFor(
  project: Project, request: ReapplyRequest, applied: AppliedChecksum[], pending: string[], edited: EditedRevision[], check = true,
): string[] {
  const done = new Set(applied.map((a) => a.revision));
  const wanted = new Set<string>();
  for (const revision of request.named) {
    if (done.has(revision)) wanted.add(revision);
    else if (check && !pending.includes(revision)) {
      throw new IdemError('USAGE', `--reapply ${revision}: it is not applied, so there is nothing to run again`, {
        revision, hint: `\`idem up\` (to the head) applies it; \`idem status\` shows what is applied`,
      });
    }
  }
  if (request.changed) for (const { revision } of edited) wanted.add(revision);
  return project.graph.topoOrder().filter((revision) => wanted.has(revision));
}

/**
 * The reapply part of a run, under the lock, after the pending migrations:
 * the version table is read again (the pending ones just joined it), and a
 * failure keeps the outcomes of the pending migrations that succeeded.
 */
async function reapplySteps(
  project: Project, request: ReapplyRequest, before: StepResult[], db: Database, config: ResolvedConfig,
): Promise<StepResult[]> {
  const { applySteps } = await import('../runner/apply-steps.ts');
  const applied = await db.versions.read();
  const again = reapplyFor(project, request, applied, [], request.changed ? editedRevisions(project, applied) : [], false);
  if (again.length === 0) return [];
  // The applied migrations after each reapplied one are the look-ahead: renames and later declarations as the database has them.
  const appliedNow = new Set(applied.map((a) => a.revision));
  const later = new Set(again.flatMap((revision) => [...project.graph.descendants(revision)].filter((r) => appliedNow.has(r))));
  try {
    return await applySteps({
      ...db, applied, direction: 'up', strict: config.strict, emit: config.emit, signal: config.signal,
      steps: again.map((revision) => project.files.get(revision)!),
      reapply: {
        onlyIfChanged: new Set(again.filter((revision) => !request.named.includes(revision))),
        lookahead: project.graph.topoOrder().filter((revision) => later.has(revision)).map((revision) => project.files.get(revision)!),
      },
    });
  } catch (error) {
    if (!isIdemError(error) || before.length === 0) throw error;
    const completed = Array.isArray(error.data?.completed) ? error.data.completed as StepResult[] : [];
    throw new IdemError(error.code, error.message, {
      revision: error.revision, operation: error.operation, sql: error.sql, hint: error.hint, cause: error.cause,
      data: { ...error.data, completed: [...before, ...completed] },
    });
  }
}
