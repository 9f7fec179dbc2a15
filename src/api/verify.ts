/**
 * `verify`: proves the migrations idempotent and reversible on a scratch
 * database, never the user's: a temporary SQLite file, or a temporary
 * database `idem_verify_<random>` that idem creates on a server and drops
 * afterwards, whatever happens (failure, interruption).
 *
 * For each migration in graph order (parents first, every branch and merge):
 *   1. up                 it applies (drift counts as a failure);
 *   2. up again           with its version row removed: every operation
 *                         skipped, schema and data unchanged;
 *   3. down               the schema is as before step 1;
 *      down again         with the row put back: nothing fails, nothing more changes;
 *   4. up after down      schema and data as after step 1.
 * Then adoption: every migration up on a fresh database, the version table
 * emptied, `up` again: every operation skipped, nothing changed.
 *
 * "Skipped" is how the runner judged the operation. Raw `m.sql` not marked
 * idempotent, and an `executeIf` whose condition still holds and changes
 * rows, are not idempotent however the data ends up.
 *
 * The result is data; nothing is printed. A failure found is a failed step
 * in the result (`ok: false`), not a throw; what prevents verifying at all
 * (no migrations, a module that does not load, no right to create the
 * scratch database) throws an IdemError.
 */
import { maskUrl, parseConnectionUrl, type ConnectionTarget } from '../dialect/connection-url.ts';
import { createScratchDatabase, type ScratchDatabase } from '../dialect/scratch-database.ts';
import type { DialectName } from '../dialect/dialect.ts';
import { IdemError } from '../errors.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import { loadAll } from '../runner/apply-steps.ts';
import { throwIfInterrupted } from '../runner/interruption.ts';
import { resolveConfig, type IdemOptions, type ResolvedConfig } from './config.ts';
import { loadProject, openDatabase } from './project.ts';
import { ScratchRunner, type VerifyError } from './verify-run.ts';
import {
  countsOf, notRun, notSkipped, stateDifferences, stepRecorder, type Report, type VerifyStep,
} from './verify-steps.ts';

export type { VerifyError };
export type { OperationDifference, VerifyDifference, VerifyStep, VerifyStepName } from './verify-steps.ts';

export interface VerifyOptions extends IdemOptions {
  /**
   * A server on which idem creates its temporary database (and drops it):
   * postgres://…, mysql://…, mariadb://…. Default: IDEM_VERIFY_URL; else,
   * when the database URL names a server, a temporary database on that same
   * server (never the database itself); else a temporary SQLite file.
   */
  verifyUrl?: string;
  /** Called as verification goes: where it runs, then each step as it ends. */
  onProgress?: (progress: VerifyProgress) => void;
}

export type ScratchSource = 'verifyUrl' | 'IDEM_VERIFY_URL' | 'database URL' | 'temporary file';

export interface ScratchInfo {
  dialect: DialectName;
  /** The temporary SQLite file's path, or the temporary database's name. */
  name: string;
  /** The server the temporary database lives on, password masked; absent for a SQLite file. */
  server?: string;
  /** What chose it: the verifyUrl option (`--scratch`), IDEM_VERIFY_URL, the server of the database URL, or none (a temporary file). */
  source: ScratchSource;
}

export type VerifyProgress =
  | { type: 'start'; scratch: ScratchInfo; migrations: number }
  | { type: 'step'; step: VerifyStep };

export interface VerifyResult {
  ok: boolean;
  scratch: ScratchInfo & { removed: boolean };
  migrations: number;
  steps: VerifyStep[];
  passed: number;
  failed: number;
  skipped: number;
  ms: number;
}

export async function verify(options: VerifyOptions = {}): Promise<VerifyResult> {
  const started = performance.now();
  const config = await resolveConfig(options);
  const where = scratchServer(config, options);
  const project = await loadProject(config);
  if (project.graph.size === 0) {
    throw new IdemError('GRAPH_EMPTY', `no migrations in ${config.dir}`, {
      hint: 'write one with `idem new "<description>"`, or point --dir at your migrations folder',
    });
  }
  const files = project.graph.topoOrder().map((revision) => project.files.get(revision)!);
  // Every module loads (and says whether it has a down) before any database is created.
  const modules = await loadAll(files);
  const hasDown = new Set(modules.filter((m) => m.down).map((m) => m.revision));

  const steps: VerifyStep[] = [];
  const report = (step: VerifyStep): void => {
    steps.push(step);
    options.onProgress?.({ type: 'step', step });
  };
  throwIfInterrupted(config.signal, 'before verify created its scratch database');
  const scratch = await createScratchDatabase(where.server);
  const info: ScratchInfo = { dialect: scratch.dialect, name: scratch.name, ...(scratch.server ? { server: scratch.server } : {}), source: where.source };
  let removed = false;
  try {
    options.onProgress?.({ type: 'start', scratch: info, migrations: files.length });
    const stopped = await verifyChain(scratch, config, files, hasDown, report);
    if (stopped === undefined) {
      // Adoption starts from an empty database, as a lost version table over a built schema does.
      await scratch.reset();
      await onScratch(scratch, config, (runner) => verifyAdoption(runner, files, report));
    } else {
      report(notRun(null, 'adoption', `not run: ${stopped}`));
    }
  } finally {
    try {
      await scratch.drop();
      removed = true;
    } catch (error) {
      config.emit({
        event: 'warning', code: 'VERIFY_SCRATCH_LEFT',
        message: `could not remove the scratch database ${scratch.name}${scratch.server ? ` on ${scratch.server}` : ''}: ${(error as Error)?.message ?? String(error)}`,
        hint: scratch.server ? `drop it by hand: DROP DATABASE ${scratch.name}` : `delete it by hand: ${scratch.name}`,
      });
    }
  }
  const failed = steps.filter((s) => !s.ok).length;
  const skipped = steps.filter((s) => s.skipped !== undefined).length;
  return {
    ok: failed === 0, scratch: { ...info, removed }, migrations: files.length, steps,
    passed: steps.length - failed - skipped, failed, skipped, ms: Math.round(performance.now() - started),
  };
}

/**
 * Where the scratch database goes. Never the user's database: on a server,
 * a new database next to it; for SQLite, a temporary file (the user's file
 * is not even opened).
 */
function scratchServer(config: ResolvedConfig, options: VerifyOptions): { server: ConnectionTarget | undefined; source: ScratchSource } {
  const env = options.env ?? process.env;
  const given: { url: string; source: ScratchSource } | undefined = options.verifyUrl
    ? { url: options.verifyUrl, source: 'verifyUrl' }
    : env.IDEM_VERIFY_URL ? { url: env.IDEM_VERIFY_URL, source: 'IDEM_VERIFY_URL' } : undefined;
  if (given) {
    const target = parseConnectionUrl(given.url, config.cwd);
    if (target.dialect === 'sqlite') {
      const name = given.source === 'verifyUrl' ? '--scratch' : 'IDEM_VERIFY_URL';
      throw new IdemError('USAGE', `${name} names a SQLite database (${maskUrl(given.url)}); it names the server idem creates its temporary database on`, {
        hint: `give a server URL (postgres://…, mysql://…, mariadb://…), or leave ${name} out: for a SQLite database idem verify uses a temporary file by itself`,
      });
    }
    return { server: target, source: given.source };
  }
  const own = parseConnectionUrl(config.url, config.cwd);
  return own.dialect === 'sqlite' ? { server: undefined, source: 'temporary file' } : { server: own, source: 'database URL' };
}

/** A session on the scratch database, holding the run lock as `up` does, closed whatever happens. */
async function onScratch<T>(scratch: ScratchDatabase, config: ResolvedConfig, work: (runner: ScratchRunner) => Promise<T>): Promise<T> {
  const { session, versions } = await openDatabase({ ...config, url: scratch.url, urlSource: 'option' });
  try {
    await session.lock.acquire(config.lockTimeoutMs);
    try {
      return await work(new ScratchRunner(session, versions, config.signal));
    } finally {
      await session.lock.release();
    }
  } finally {
    await session.close();
  }
}

/**
 * What the chain does after a migration: go on from the state it left; start
 * again from an empty database rebuilt up to it (its state is not known: a
 * failed up after down, or a failed down on an engine that cannot roll DDL
 * back); or stop (it does not apply, so nothing after it can be built on it).
 */
type Next = { then: 'continue' } | { then: 'rebuild' } | { then: 'stop'; reason: string };

/**
 * Each migration in turn, on the database the ones before it built. Returns
 * why the chain stopped, or undefined when every migration was verified.
 */
async function verifyChain(
  scratch: ScratchDatabase, config: ResolvedConfig, files: MigrationFile[], hasDown: Set<string>, report: Report,
): Promise<string | undefined> {
  let next = 0;
  let rebuild = false;
  while (next < files.length) {
    if (rebuild) await scratch.reset();
    const outcome: Next = await onScratch(scratch, config, async (runner) => {
      if (rebuild) {
        const built = await runner.run('up', files.slice(0, next));
        if (!built.ok) return { then: 'stop', reason: `the scratch database could not be rebuilt up to ${files[next - 1]!.revision} (${built.error.message})` };
      }
      while (next < files.length) {
        const file = files[next]!;
        throwIfInterrupted(config.signal, `before verifying ${file.revision}`);
        next++;
        const after = await verifyMigration(runner, file, hasDown.has(file.revision), report);
        if (after.then !== 'continue') return after;
      }
      return { then: 'continue' };
    });
    if (outcome.then === 'stop') {
      for (const later of files.slice(next)) report(notRun(later, 'up', `not run: ${outcome.reason}, and the migrations after it build on it`));
      return outcome.reason;
    }
    rebuild = outcome.then === 'rebuild';
  }
  return undefined;
}

async function verifyMigration(runner: ScratchRunner, file: MigrationFile, hasDown: boolean, report: Report): Promise<Next> {
  const step = stepRecorder(file, report);
  const before = await runner.state();

  // 1. up
  const first = await runner.run('up', [file]);
  if (!first.ok) {
    step.failed('up', first.error);
    for (const name of ['up-again', 'down', 'down-again', 'up-after-down'] as const) report(notRun(file, name, 'not run: step 1 (up) failed'));
    return { then: 'stop', reason: `${file.revision} failed at step 1 (up)` };
  }
  const applied = await runner.state();
  step.checked('up', countsOf(first.operations), notSkipped(first.operations, 'up'));

  // 2. up again, as if the version row were lost
  const row = (await runner.row(file.revision))!;
  await runner.forget(file.revision);
  const again = await runner.run('up', [file]);
  if (again.ok) {
    step.checked('up-again', 'every operation skipped; schema and data unchanged', [
      ...notSkipped(again.operations, 'up-again'),
      ...stateDifferences(applied, await runner.state(), 'after up again', true),
    ]);
  } else {
    step.failed('up-again', again.error, notSkipped(again.operations, 'up-again'));
    await runner.restore(row);
  }

  // 3. down, and down again as if the row were still there
  if (!hasDown) {
    const reason = 'not run: the migration has no down() (idem lint reports it)';
    for (const name of ['down', 'down-again', 'up-after-down'] as const) report(notRun(file, name, reason));
    return { then: 'continue' };
  }
  const recorded = (await runner.row(file.revision))!;
  const down = await runner.run('down', [file]);
  if (!down.ok) {
    step.failed('down', down.error);
    for (const name of ['down-again', 'up-after-down'] as const) report(notRun(file, name, 'not run: step 3 (down) failed'));
    // Where DDL rolls back, the failed down left the migration applied, as the chain needs it;
    // elsewhere (MySQL) it may have left part of its work.
    return runner.transactionalDdl ? { then: 'continue' } : { then: 'rebuild' };
  }
  const reverted = await runner.state();
  step.checked('down', 'schema as before step 1', stateDifferences(before, reverted, 'after down', false));

  await runner.restore(recorded);
  const downAgain = await runner.run('down', [file]);
  if (downAgain.ok) {
    step.checked('down-again', 'every operation skipped; schema unchanged', [
      ...notSkipped(downAgain.operations, 'down-again'),
      ...stateDifferences(reverted, await runner.state(), 'after down again', false),
    ]);
  } else {
    step.failed('down-again', downAgain.error, notSkipped(downAgain.operations, 'down-again'));
    await runner.forget(file.revision);
  }

  // 4. up after down
  const redo = await runner.run('up', [file]);
  if (!redo.ok) {
    step.failed('up-after-down', redo.error);
    return { then: 'rebuild' };
  }
  step.checked('up-after-down', 'schema and data as after step 1', stateDifferences(applied, await runner.state(), 'after down and up', true));
  return { then: 'continue' };
}

async function verifyAdoption(runner: ScratchRunner, files: MigrationFile[], report: Report): Promise<void> {
  const step = stepRecorder(null, report);
  const first = await runner.run('up', files);
  if (!first.ok) {
    step.failed('adoption', { ...first.error, message: `building the schema on a fresh database: ${first.error.message}` });
    return;
  }
  const built = await runner.state();
  await runner.forgetAll();
  const again = await runner.run('up', files);
  if (!again.ok) {
    step.failed('adoption', again.error, notSkipped(again.operations, 'adoption'));
    return;
  }
  step.checked('adoption', `${again.operations.length} operation(s) re-checked with the version table emptied, every one skipped; schema and data unchanged`, [
    ...notSkipped(again.operations, 'adoption'),
    ...stateDifferences(built, await runner.state(), 'after adoption', true),
  ]);
}
