/**
 * `--targets <file>` on up, status and plan: the same command over every
 * database the file lists. One line per target as it finishes (the URL's
 * password masked) and a summary; under --json every event of every target,
 * each with its `db`, then `{"event":"fleet",...}`. The exit code is 0 when
 * every target succeeded, else that of the first failed target in the file's
 * order (130 when interrupted).
 */
import type { IdemOptions } from '../api/config.ts';
import type { TargetCommand, TargetOutcome } from '../api/fleet.ts';
import { IdemError } from '../errors.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { errorEvent, humanError, type Output } from './render.ts';

export interface FleetFlags {
  targets: string;
  concurrency?: string;
  failFast?: boolean;
  json?: boolean;
}

export async function runFleetCommand<R>(
  flags: FleetFlags, options: IdemOptions, out: Output, command: TargetCommand<R>, describe: (result: R) => string,
): Promise<number> {
  const { readTargetsFile, runFleet } = await import('../api/fleet.ts');
  const concurrency = flags.concurrency === undefined ? undefined : Number(flags.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1)) {
    throw new IdemError('USAGE', `--concurrency must be a whole number of at least 1 (got ${flags.concurrency})`, { hint: 'e.g. --concurrency 8' });
  }
  const targets = await readTargetsFile(flags.targets, options.cwd);
  const json = flags.json === true;
  const result = await runFleet({
    ...options,
    targets,
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(flags.failFast ? { failFast: true } : {}),
    // A person reads one line per target; warnings still say which database they are about.
    onEvent: json ? (e) => out.event(e) : (e) => { if (e.event === 'warning') out.event({ ...e, message: `${e.db}: ${e.message}` }); },
    onTarget: (outcome) => report(outcome as TargetOutcome<R>, out, json, describe),
  }, command);
  out.line(`fleet: ${result.targets} target(s), ${result.ok} ok, ${result.failed} failed${result.notRun ? `, ${result.notRun} not run` : ''} (${result.ms} ms)`);
  const firstFailed = result.outcomes.find((o) => o.status === 'failed');
  if (options.signal?.aborted) return EXIT.interrupted;
  return firstFailed?.error ? exitCodeFor(firstFailed.error.code) : EXIT.ok;
}

function report<R>(outcome: TargetOutcome<R>, out: Output, json: boolean, describe: (result: R) => string): void {
  if (outcome.status === 'ok') {
    out.line(`ok      ${outcome.db}  ${describe(outcome.result as R)} (${outcome.ms} ms)`);
    return;
  }
  if (!outcome.error) return;
  if (json) {
    out.record({ ...errorEvent(outcome.error), db: outcome.db });
    return;
  }
  const [first = '', ...rest] = humanError(outcome.error).split('\n');
  out.line(`FAILED  ${outcome.db}  ${first.replace(/^error: /, '')}`);
  for (const l of rest) out.line(`      ${l}`);
}
