/**
 * Output for `idem doctor`: one line per finding, marked ok / info / warn /
 * FAIL, its fix indented below; or, under --json, one record per finding and
 * a closing record. The exit code is the one `idem up` would fail with now.
 */
import type { DoctorFinding, DoctorLevel, DoctorResult } from '../api/doctor.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import type { Output } from './render.ts';

const MARK: Record<DoctorLevel, string> = { ok: 'ok', info: 'info', warning: 'warn', error: 'FAIL' };

export function printDoctor(result: DoctorResult, out: Output): number {
  const exit = result.blocking ? exitCodeFor(result.blocking) : EXIT.ok;
  const width = Math.max(...result.findings.map((f) => f.check.length));
  for (const f of result.findings) {
    out.record({ event: 'finding', ...f });
    out.line(`${MARK[f.level].padEnd(4)}  ${f.check.padEnd(width)}  ${f.message}`);
    if (f.fix) out.line(`${' '.repeat(8 + width)}fix: ${f.fix}`);
  }
  const count = (level: DoctorLevel): number => result.findings.filter((f) => f.level === level).length;
  out.record({
    event: 'doctor', url: result.url, findings: result.findings.length, errors: count('error'), warnings: count('warning'),
    blocking: result.blocking ?? null, exit, ms: result.ms,
  });
  out.line(summary(result.findings, result.blocking, exit));
  return exit;
}

function summary(findings: DoctorFinding[], blocking: string | undefined, exit: number): string {
  const errors = findings.filter((f) => f.level === 'error').length;
  const warnings = findings.filter((f) => f.level === 'warning').length;
  const counts = `${errors} error(s), ${warnings} warning(s)`;
  return blocking
    ? `doctor: ${counts}; \`idem up\` would stop with ${blocking} (exit ${exit})`
    : `doctor: ${counts}; nothing stops \`idem up\``;
}
