/**
 * Output for `idem verify`: where it runs, then one line per migration and
 * step as each ends (`ok`, `FAIL`, `skip`), the differences and the engine's
 * error indented below a failed one, and a closing summary. Under --json,
 * one `verify` record per step between `verify-start` and `verify-done`.
 */
import type { ScratchInfo, VerifyProgress, VerifyResult, VerifyStep, VerifyStepName } from '../api/verify.ts';
import { IdemError } from '../errors.ts';
import type { Output } from './render.ts';

const LABELS: Record<VerifyStepName, string> = {
  'up': '1 up',
  'up-again': '2 up again',
  'down': '3 down',
  'down-again': '3 down again',
  'up-after-down': '4 up after down',
  'adoption': 'adoption',
};
const LABEL_WIDTH = Math.max(...Object.values(LABELS).map((l) => l.length));
const INDENT = ' '.repeat(2 + 4 + 2 + LABEL_WIDTH + 2);
/** The runner's message for raw SQL the database refused: the sql and cause lines say it all. */
const GENERIC_STATEMENT_FAILURE = 'the statement failed';

/** A progress callback that prints as verification goes; `quiet` keeps only failed steps. */
export function verifyPrinter(out: Output, quiet: boolean): (progress: VerifyProgress) => void {
  let printed: string | undefined;
  return (progress) => {
    if (progress.type === 'start') {
      out.record({ event: 'verify-start', scratch: progress.scratch, migrations: progress.migrations });
      if (!quiet) out.line(`verify: ${progress.migrations} migration(s) ${whereText(progress.scratch)}`);
      return;
    }
    const step = progress.step;
    out.record({ event: 'verify', ...step });
    if (quiet && step.ok) return;
    const heading = step.revision === null
      ? 'adoption: every migration up on a fresh database, version table emptied, up again'
      : `${step.revision} ${step.description} (${step.file})`;
    if (heading !== printed) {
      out.line(heading);
      printed = heading;
    }
    for (const line of stepLines(step)) out.line(line);
  };
}

/** The closing summary; a failure found is an IdemError (exit 1) with what to do. */
export function printVerifyDone(result: VerifyResult, out: Output): void {
  out.record({
    event: 'verify-done', ok: result.ok, migrations: result.migrations, passed: result.passed, failed: result.failed,
    skipped: result.skipped, scratch: result.scratch, ms: result.ms,
  });
  const removed = result.scratch.removed ? `${result.scratch.server ? 'temporary database dropped' : 'temporary file removed'}` : 'the scratch database was NOT removed (see the warning)';
  const counts = `${result.passed} passed, ${result.failed} failed, ${result.skipped} skipped`;
  out.line(result.ok
    ? `verify: ok, ${result.migrations} migration(s), ${counts} (${result.ms} ms); ${removed}`
    : `verify: FAILED in ${failedWhere(result).join(', ')}: ${counts} (${result.ms} ms); ${removed}`);
  if (!result.ok) {
    throw new IdemError('VERIFY_FAILED', `verify found ${result.failed} failing step(s) in ${failedWhere(result).join(', ')}`, {
      data: { failed: result.failed },
      hint: 'guard what runs twice (m.executeIf with a condition that turns false once done, or m.sql(…, { idempotent: true }) for SQL safe to repeat), '
        + 'make down() undo everything up() does, then re-run `idem verify`',
    });
  }
}

function whereText(s: ScratchInfo): string {
  switch (s.source) {
    case 'temporary file': return `on a temporary SQLite file ${s.name} (your database is not opened)`;
    case 'database URL': return `in a temporary database ${s.name} on ${s.server}, the server of your database (your database itself is not changed)`;
    case 'verifyUrl': return `in a temporary database ${s.name} on ${s.server} (--scratch)`;
    case 'IDEM_VERIFY_URL': return `in a temporary database ${s.name} on ${s.server} (IDEM_VERIFY_URL)`;
  }
}

function stepLines(step: VerifyStep): string[] {
  const mark = step.skipped !== undefined ? 'skip' : step.ok ? 'ok' : 'FAIL';
  const lines = [`  ${mark.padEnd(4)}  ${LABELS[step.step].padEnd(LABEL_WIDTH)}  ${step.detail}`];
  for (const d of step.differences) lines.push(`${INDENT}${d.message}`);
  const e = step.error;
  if (e) {
    // The step's own line already says which operation failed; the message is shown when it says more.
    if (!step.detail.includes(e.message) && e.message !== GENERIC_STATEMENT_FAILURE) lines.push(`${INDENT}error: ${e.message}`);
    if (e.sql) lines.push(`${INDENT}sql:   ${e.sql.replace(/\s+/g, ' ').trim()}`);
    if (e.cause && !e.message.includes(e.cause)) lines.push(`${INDENT}cause: ${e.cause}`);
  }
  return lines;
}

/** The revisions (and adoption) with a failed step, in the order they ran. */
function failedWhere(result: VerifyResult): string[] {
  return [...new Set(result.steps.filter((s) => !s.ok).map((s) => s.revision ?? 'adoption'))];
}
