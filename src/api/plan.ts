/**
 * `plan`: what `up` (or `down`, with `down: <target>`) would do now,
 * operation by operation, each predicted applied / skipped / drift from the
 * live catalog. Changes nothing: no lock, no DDL, no data, no version row
 * (the version table is not created either); a SQLite file that does not
 * exist is read as empty and not created.
 *
 * Data operations evaluate their condition now (a SELECT); one that reads a
 * table the plan itself creates or reshapes cannot be evaluated before the
 * run and is reported so. Raw `m.sql` is reported, never run. `m.query`
 * runs read-only SELECTs against the live database.
 */
import { IdemError } from '../errors.ts';
import type { StepResult } from '../runner/apply-steps.ts';
import { totals, type Direction, type OutcomeCounts } from '../runner/events.ts';
import { planSteps } from '../runner/plan-steps.ts';
import type { PlannedOperation } from '../runner/planning-executor.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import { loadProject, unknownRevisions, withDatabase, type Project } from './project.ts';

export interface PlanOptions extends IdemOptions {
  /** For `up`: a revision (or unique prefix), `head` (default) or `heads`. */
  target?: string;
  /** Plan `down` to this target instead (`-1`, `-N`, a revision, or `base`). */
  down?: string;
}

export interface PlanResult extends OutcomeCounts {
  command: 'plan';
  direction: Direction;
  planned: true;
  migrations: StepResult[];
  /** Every operation in run order with its predicted outcome. */
  operations: PlannedOperation[];
  ms: number;
}

export type { PlannedOperation };

/** `project`: the migration files already read (a fleet reads them once for every target). */
export async function plan(options: PlanOptions = {}, project?: Project): Promise<PlanResult> {
  const started = performance.now();
  if (options.down !== undefined && options.target !== undefined) {
    throw new IdemError('USAGE', 'plan takes either an up target or --down <target>, not both', { hint: 'e.g. `idem plan` or `idem plan --down base`' });
  }
  const config = await resolveConfig(options);
  project ??= await loadProject(config);
  const direction: Direction = options.down !== undefined ? 'down' : 'up';
  if (project.graph.size === 0 && direction === 'up') {
    throw new IdemError('GRAPH_EMPTY', `no migrations in ${config.dir}`, {
      hint: 'write one with `idem new "<description>"`, or point --dir at your migrations folder',
    });
  }
  return withDatabase(config, async ({ session, versions }) => {
    const applied = await versions.read();
    const unknown = unknownRevisions(project, applied).map((a) => a.revision);
    const done = new Set(applied.map((a) => a.revision));
    let path: string[];
    if (direction === 'up') {
      const target = options.target ?? 'head';
      const targets = target === 'heads' ? project.graph.heads() : [project.graph.resolve(target)];
      path = project.graph.upPath(targets, done);
    } else {
      const target = options.down!;
      const resolved = target === 'base' || /^-\d+$/.test(target) ? target : project.graph.resolve(target);
      path = project.graph.downPath(resolved, done, applied.map((a) => a.revision));
    }
    if (unknown.length > 0) {
      const message = `the database has revision(s) no migration file defines: ${unknown.join(', ')}`;
      if (path.length > 0) {
        throw new IdemError('DB_UNKNOWN_REVISION', message, {
          data: { unknown }, hint: 'the image is stale or missing migration files: `idem up` would refuse too; `idem status` lists them',
        });
      }
      config.emit({ event: 'warning', code: 'DB_AHEAD', message });
    }
    const { migrations, operations } = path.length === 0 ? { migrations: [], operations: [] } : await planSteps({
      session, applied, direction, emit: config.emit, steps: path.map((revision) => project.files.get(revision)!),
    });
    const counts = totals(migrations);
    const ms = Math.round(performance.now() - started);
    config.emit({ event: 'done', command: 'plan', migrations: migrations.length, ...counts, ms, planned: true });
    return { command: 'plan', direction, planned: true, migrations, operations, ...counts, ms };
  }, { create: false });
}
