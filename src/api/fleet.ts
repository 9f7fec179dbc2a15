/**
 * Fleets: one command over many databases (a database or a PostgreSQL
 * schema per tenant). The migration files are read and hashed once; each
 * target gets its own connection, lock and version table, at most
 * `concurrency` at a time. A failing target does not stop the others unless
 * `failFast` says so; every event carries the target's masked URL as `db`.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { maskUrl, parseConnectionUrl } from '../dialect/connection-url.ts';
import { IdemError, isIdemError } from '../errors.ts';
import type { IdemEvent } from '../runner/events.ts';
import { resolveConfig, type IdemOptions } from './config.ts';
import { loadProject, type Project } from './project.ts';

export interface FleetOptions extends IdemOptions {
  /** The database URLs, one per tenant. */
  targets: readonly string[];
  /** Targets worked on at once; default 4. */
  concurrency?: number;
  /** Start no further target after the first failure (those running finish). */
  failFast?: boolean;
  /** Called as each target finishes, in the order they finish. */
  onTarget?: (outcome: TargetOutcome<unknown>) => void;
}

export interface TargetOutcome<R> {
  /** The target's URL, password masked. */
  db: string;
  status: 'ok' | 'failed' | 'not run';
  ms: number;
  result?: R;
  error?: IdemError;
}

export interface FleetResult<R> {
  targets: number;
  ok: number;
  failed: number;
  /** Not started: after a failure under failFast, or after an interruption. */
  notRun: number;
  outcomes: TargetOutcome<R>[];
  ms: number;
}

/** The per-target command: the same API call as for one database, with the files already read. */
export type TargetCommand<R> = (options: IdemOptions, project: Project) => Promise<R>;

export const DEFAULT_FLEET_CONCURRENCY = 4;

export async function runFleet<R>(options: FleetOptions, command: TargetCommand<R>): Promise<FleetResult<R>> {
  const started = performance.now();
  const concurrency = options.concurrency ?? DEFAULT_FLEET_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new IdemError('USAGE', `concurrency must be a whole number of at least 1 (got ${concurrency})`, { hint: 'e.g. --concurrency 8' });
  }
  if (options.targets.length === 0) {
    throw new IdemError('USAGE', 'the fleet has no targets', { hint: 'list one database URL per line in the --targets file' });
  }
  const { targets, concurrency: _c, failFast, onTarget, ...common } = options;
  const project = await loadProject(await resolveConfig(common));
  const outcomes: TargetOutcome<R>[] = targets.map((url) => ({ db: maskUrl(url), status: 'not run', ms: 0 }));
  let stop = false;
  let next = 0;

  const work = async (): Promise<void> => {
    while (next < targets.length && !stop && !options.signal?.aborted) {
      const index = next++;
      const outcome = outcomes[index]!;
      const begun = performance.now();
      const onEvent = options.onEvent;
      try {
        outcome.result = await command({
          ...common,
          url: targets[index]!,
          ...(onEvent ? { onEvent: (event: IdemEvent) => onEvent({ ...event, db: outcome.db }) } : {}),
        }, project);
        outcome.status = 'ok';
      } catch (error) {
        outcome.status = 'failed';
        outcome.error = isIdemError(error) ? error
          : new IdemError('INTERNAL', `unexpected error: ${(error as Error)?.stack ?? String(error)}`, { cause: error });
        if (failFast) stop = true;
      }
      outcome.ms = Math.round(performance.now() - begun);
      onTarget?.(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, targets.length) }, work));

  const count = (status: TargetOutcome<R>['status']) => outcomes.filter((o) => o.status === status).length;
  const result: FleetResult<R> = {
    targets: targets.length, ok: count('ok'), failed: count('failed'), notRun: count('not run'), outcomes,
    ms: Math.round(performance.now() - started),
  };
  options.onEvent?.({ event: 'fleet', targets: result.targets, ok: result.ok, failed: result.failed, notRun: result.notRun, ms: result.ms });
  return result;
}

/**
 * A targets file: one database URL per line; blank lines and lines starting
 * with `#` are ignored. Every URL is checked before any target is touched,
 * and a target listed twice is refused (two runs on one database would only
 * wait for each other's lock, and it is almost always a copy-paste slip).
 * Relative SQLite paths are relative to the working directory, as with --url.
 */
export async function readTargetsFile(path: string, cwd: string = process.cwd()): Promise<string[]> {
  const absolute = resolve(cwd, path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new IdemError('CONFIG', `cannot read the targets file ${path}: ${(error as Error).message}`, {
      cause: error, hint: 'write one database URL per line in that file, or fix the path given to --targets',
    });
  }
  const targets: string[] = [];
  const seen = new Map<string, number>();
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const lineNo = index + 1;
    try {
      const parsed = parseConnectionUrl(line, cwd);
      const key = parsed.dialect === 'sqlite' ? `sqlite:${parsed.path}` : line;
      const first = seen.get(key);
      if (first !== undefined) {
        throw new IdemError('CONFIG', `${path} line ${lineNo}: ${maskUrl(line)} is already listed on line ${first}`, {
          hint: 'list each database once',
        });
      }
      seen.set(key, lineNo);
    } catch (error) {
      if (isIdemError(error) && error.code === 'URL_INVALID') {
        throw new IdemError('URL_INVALID', `${path} line ${lineNo}: ${error.message}`, { ...(error.hint ? { hint: error.hint } : {}) });
      }
      throw error;
    }
    targets.push(line);
  }
  if (targets.length === 0) {
    throw new IdemError('CONFIG', `the targets file ${path} lists no database`, {
      hint: 'write one database URL per line (blank lines and # comments are ignored)',
    });
  }
  return targets;
}
