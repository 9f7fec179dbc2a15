/**
 * Human and JSON output for `idem lint`: one line per finding in the
 * `file:line:col  level  rule  message` form editors and CI annotate, its
 * hint indented below, notes on what could not be checked, and a summary.
 * Under --json: one `lint` record per finding, one `lint-note` per note, and
 * a closing `lint-done`.
 */
import type { LintFinding, LintResult } from '../api/lint.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import type { Output } from './render.ts';

export interface LintListingOptions {
  /** More warnings than this fail the run too (`--max-warnings`). */
  maxWarnings?: number;
}

export function printLint(result: LintResult, out: Output, options: LintListingOptions = {}): number {
  for (const f of result.findings) {
    out.record({ event: 'lint', ...f });
    out.line(`${where(f)}  ${f.level}  ${f.rule}  ${f.message}`);
    out.line(`    hint: ${f.hint}`);
  }
  for (const n of result.notes) {
    out.record({ event: 'lint-note', ...n });
    out.line(`${where(n)}  note  ${n.message}`);
  }
  const tooManyWarnings = options.maxWarnings !== undefined && result.warnings > options.maxWarnings;
  out.record({
    event: 'lint-done', errors: result.errors, warnings: result.warnings, migrations: result.migrations, dialect: result.dialect,
    ...(options.maxWarnings !== undefined ? { maxWarnings: options.maxWarnings } : {}),
  });
  if (result.findings.length > 0 || result.notes.length > 0) out.line('');
  out.line(`${count(result.errors, 'error')}, ${count(result.warnings, 'warning')} in ${count(result.migrations, 'migration')} (linted for ${result.dialect})`
    + (tooManyWarnings ? `; more than --max-warnings ${options.maxWarnings}` : ''));
  return result.errors > 0 || tooManyWarnings ? exitCodeFor('LINT_FAILED') : EXIT.ok;
}

function where(f: Pick<LintFinding, 'file' | 'line' | 'column'>): string {
  return f.line === undefined ? f.file : `${f.file}:${f.line}:${f.column ?? 1}`;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
