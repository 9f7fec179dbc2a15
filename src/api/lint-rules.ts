/**
 * The rules of `idem lint`, as pure functions from what was recorded (a dry
 * run of `up`/`down`), read (the source's own `.sql(` / `.executeIf(` calls)
 * or found (graph problems, load failures) to findings. Each rule has one
 * level, listed in RULE_LEVELS and in README.md.
 */
import { isIdemError } from '../errors.ts';
import type { SourceCall } from '../files/source-calls.ts';
import type { GraphProblem } from '../graph/graph-problems.ts';
import { operationTarget, type Operation } from '../plan/operations.ts';
import { hasOwnGuard, isConstantCondition, matchingOperation, sqlExcerpt, statementKind } from '../plan/sql-facts.ts';
import type { CallSite, DryRunResult } from '../runner/lint-executor.ts';

export type LintLevel = 'error' | 'warning';

export const RULE_LEVELS = {
  /** Raw `m.sql` that changes structure (or anything but data) and is not marked idempotent. */
  'unguarded-sql': 'error',
  /** A data change that nothing guards: `executeIf` with no or a constant condition, raw DML not marked idempotent. */
  'data-without-condition': 'error',
  /** `dropTable` / `dropColumn` in `up` without `{ note }` saying why the data may go. */
  'destructive-without-note': 'warning',
  'missing-down': 'warning',
  'empty-down': 'warning',
  /** An operation `idem up` would refuse (an impossible column spec for this engine, a missing name …). */
  'invalid-operation': 'error',
  /** `up`/`down` threw in the dry run for another reason: maybe only because lint has no database. */
  'dry-run-failed': 'warning',
  /** The module does not load: syntax error, throws at import, no revision or up. */
  'load': 'error',
  /** Several heads, a cycle, a missing parent, a duplicate revision id. */
  'graph': 'error',
} as const satisfies Record<string, LintLevel>;

export type LintRule = keyof typeof RULE_LEVELS;

export interface LintFinding {
  level: LintLevel;
  rule: LintRule;
  revision?: string;
  /** The migration file, relative to the working directory. */
  file: string;
  /** Every file concerned, when there are several (a duplicate id, a cycle, several heads). */
  files?: string[];
  line?: number;
  column?: number;
  message: string;
  hint: string;
}

/** Something lint could not check, said so that silence is not read as "clean". */
export interface LintNote {
  file: string;
  revision?: string;
  line?: number;
  column?: number;
  message: string;
}

export interface MigrationRef {
  file: string;
  revision?: string;
}

function finding(rule: LintRule, where: MigrationRef & { at?: CallSite | undefined }, message: string, hint: string): LintFinding {
  return {
    level: RULE_LEVELS[rule], rule,
    ...(where.revision !== undefined ? { revision: where.revision } : {}),
    file: where.file,
    ...(where.at ? { line: where.at.line, column: where.at.column } : {}),
    message, hint,
  };
}

const CONDITION_HINT =
  'give it a condition that is true only while the change is still to do, e.g. ' +
  'SELECT COUNT(*) > 0 FROM users WHERE role IS NULL; a re-run then skips it';

// ------------------------------------------------ recorded calls

/** The finding for one recorded operation, if any: at most one per call. */
export function operationFinding(op: Operation, direction: 'up' | 'down', where: MigrationRef & { at?: CallSite | undefined }): LintFinding | undefined {
  switch (op.kind) {
    case 'sql':
      return op.idempotent ? undefined : rawSqlFinding(op.sql, where, '');
    case 'executeIf':
      return conditionFinding(op.description, op.condition, where, '');
    case 'dropTable': case 'dropColumn':
      if (direction === 'down' || (op.note !== undefined && op.note.trim() !== '')) return undefined;
      return finding('destructive-without-note', where,
        `${op.kind} ${operationTarget(op)} in up has no note: the data in it is lost`,
        op.kind === 'dropTable'
          ? `say why that is safe: m.dropTable('${op.table}', { note: 'replaced by … in …' })`
          : `say why that is safe: m.dropColumn('${op.table}', '${op.column}', { note: 'moved to … in …' })`);
    default:
      return undefined;
  }
}

/** `suffix` marks findings read from the source rather than recorded. */
function rawSqlFinding(sql: string | undefined, where: MigrationRef & { at?: CallSite | undefined }, suffix: string): LintFinding {
  if (sql === undefined) {
    return finding('unguarded-sql', where, `m.sql runs a statement built in code, not marked idempotent${suffix}`,
      'use the matching m. operation (it checks before acting) or m.executeIf with a condition; ' +
      'mark it { idempotent: true } only if running it twice is safe');
  }
  const quoted = `"${sqlExcerpt(sql)}"`;
  const guarded = hasOwnGuard(sql);
  const marking = guarded
    ? 'the statement guards itself: if running it twice is safe, mark it { idempotent: true }'
    : 'mark it { idempotent: true } only if running it twice is safe (e.g. CREATE … IF NOT EXISTS, INSERT … WHERE NOT EXISTS (…))';
  if (statementKind(sql) === 'data') {
    return finding('data-without-condition', where, `m.sql changes data with no condition: ${quoted} runs again on every re-run${suffix}`,
      'use m.executeIf({ sql, condition, description }) with a condition true only while the change is still to do ' +
      `(e.g. SELECT COUNT(*) = 0 FROM roles WHERE name = 'admin'); ${guarded ? marking : 'or guard the statement itself (INSERT … SELECT … WHERE NOT EXISTS (…)) and mark it { idempotent: true }'}`);
  }
  const operation = matchingOperation(sql);
  return finding('unguarded-sql', where, `m.sql runs ${quoted} unguarded (not marked idempotent): a re-run fails or repeats it${suffix}`,
    `${operation ? `use ${operation} instead: it checks first and is skipped when the change already holds` : 'use the matching m. operation, or m.executeIf with a condition'}; ${marking}`);
}

function conditionFinding(description: string | undefined, condition: string, where: MigrationRef & { at?: CallSite | undefined }, suffix: string): LintFinding | undefined {
  const name = description ? `executeIf "${description}"` : 'executeIf';
  if (condition.trim() === '') {
    return finding('data-without-condition', where, `${name} has no condition (idem up refuses it)${suffix}`, CONDITION_HINT);
  }
  if (isConstantCondition(condition)) {
    return finding('data-without-condition', where,
      `${name}: its condition "${sqlExcerpt(condition)}" is a constant: it reads no data, so it cannot tell whether the change already ran${suffix}`,
      CONDITION_HINT);
  }
  return undefined;
}

// ------------------------------------------------ one dry run

export interface DryRunFindings {
  findings: LintFinding[];
  notes: LintNote[];
}

/**
 * Findings of one function's dry run: its calls, how it ended, and (for
 * `down`) whether it did anything. `declaredAt` is where the function is
 * declared, for an empty `down`.
 */
export function dryRunFindings(run: DryRunResult, direction: 'up' | 'down', where: MigrationRef, declaredAt?: CallSite): DryRunFindings {
  const findings: LintFinding[] = [];
  const notes: LintNote[] = [];
  for (const call of run.calls) {
    const f = operationFinding(call.op, direction, { ...where, at: call.at });
    if (f) findings.push(f);
  }
  for (const { call, problems, at } of run.refused) {
    for (const p of problems) findings.push(finding('invalid-operation', { ...where, at }, `${direction}: ${call.kind} ${call.target}: ${p.message}`, p.hint));
  }
  if (run.stoppedAt) {
    notes.push({
      ...where, line: run.stoppedAt.line, column: run.stoppedAt.column,
      message: `${direction} stops at m.query: lint has no database to answer it, so the calls after it were checked by reading the source`,
    });
  }
  if (run.failure) {
    const { error, at } = run.failure;
    const message = error instanceof Error ? error.message : String(error);
    if (isIdemError(error) && error.code === 'OPERATION_INVALID') {
      const op = error.operation;
      const named = op && !message.startsWith(op.kind) ? `${op.kind} ${op.target}: ${message}` : message;
      findings.push(finding('invalid-operation', { ...where, at }, `${direction}: ${named}`, error.hint ?? 'fix the operation; idem up would refuse it the same way'));
    } else {
      findings.push(finding('dry-run-failed', { ...where, at }, `${direction} threw in the dry run: ${message}; the calls after it were checked by reading the source`,
        'lint runs migrations without a database: tableExists and the like answer from the schema the earlier migrations declare, ' +
        'raw SQL is not simulated and m.query is not answered. If the throw comes from that, it is safe to ignore; otherwise fix the migration'));
    }
  }
  if (direction === 'down' && run.calls.length === 0 && !run.stoppedAt && !run.failure) {
    findings.push(finding('empty-down', { ...where, at: declaredAt }, 'down() records no operation: `idem down` would revert nothing here',
      'undo what up does (m.dropTable for a createTable, m.dropColumn for an addColumn, …); if it cannot be undone, remove down(), and `idem down` refuses to pass this revision'));
  }
  return { findings, notes };
}

/** The pending check's file-level problem (a revision id the version table cannot hold), as a finding. */
export function revisionFinding(where: MigrationRef, problem: { line?: number; column?: number; message: string; hint: string }): LintFinding {
  const at = problem.line !== undefined ? { line: problem.line, column: problem.column ?? 1 } : undefined;
  return finding('invalid-operation', { ...where, at }, problem.message, problem.hint);
}

export function missingDownFinding(where: MigrationRef): LintFinding {
  return finding('missing-down', where, 'no down(): `idem down` cannot revert this migration',
    'export async function down(m) { … } undoing what up does (m.dropTable for a createTable, m.dropColumn for an addColumn, …)');
}

// ------------------------------------------------ the source

const FROM_SOURCE = ' (read from the source: the dry run did not reach this call)';

/** A call the dry run did not reach, judged on what its source says literally. */
export function sourceCallFinding(call: SourceCall, where: MigrationRef): LintFinding | undefined {
  const at = { line: call.line, column: call.column };
  if (call.method === 'sql') {
    if (call.idempotent !== false) return undefined;
    return rawSqlFinding(call.text, { ...where, at }, FROM_SOURCE);
  }
  if (call.condition === 'unknown') return undefined;
  return conditionFinding(undefined, call.condition ?? '', { ...where, at }, FROM_SOURCE);
}

// ------------------------------------------------ load failures and the graph

/** A module that does not load: the loader's message (its file and place given separately) and hint. */
export function loadFinding(where: MigrationRef, message: string, hint: string | undefined, at: CallSite | undefined): LintFinding {
  return finding('load', { ...where, at }, `${message}; its up and down were not checked`, hint ?? 'fix the file, then re-run');
}

export function graphFinding(problem: GraphProblem): LintFinding {
  const files = 'files' in problem ? problem.files : [problem.file];
  const base = { level: RULE_LEVELS.graph, rule: 'graph' as const, file: files[0]! };
  switch (problem.kind) {
    case 'duplicate':
      return {
        ...base, revision: problem.revision, files,
        message: `revision "${problem.revision}" is declared by ${files.length} files: ${files.join(', ')}`,
        hint: 'give all but one of these files a new revision id (as `idem new` would generate one), then check which `revises` meant which file',
      };
    case 'missing-parent':
      return {
        ...base, revision: problem.revision,
        message: `${problem.file} revises "${problem.missing}", which no migration declares`,
        hint: `restore the migration that declares "${problem.missing}", or fix \`revises\` to name an existing revision id (see \`idem history\`; a git commit hash is not a revision id)`,
      };
    case 'cycle':
      return {
        ...base, files, ...revisionField(problem.revisions[0]),
        message: `revision cycle: ${[...problem.revisions, problem.revisions[0]].join(' -> ')} (${files.join(', ')})`,
        hint: `fix \`revises\` in one of ${files.join(', ')} so the chain leads back to a base revision`,
      };
    case 'several-heads':
      return {
        ...base, files, ...revisionField(problem.heads[0]),
        message: `${problem.heads.length} heads: ${problem.heads.join(', ')} (${files.join(', ')}); \`idem up\` stops until they are merged`,
        hint: `run \`idem merge ${problem.heads.join(' ')} -m "merge heads"\` and commit the file it writes`,
      };
  }
}

function revisionField(revision: string | undefined): { revision?: string } {
  return revision === undefined ? {} : { revision };
}

/** Files in order, then lines (file-level findings first), then columns and rules: the same output every run. */
export function compareFindings(a: LintFinding, b: LintFinding): number {
  return compareText(a.file, b.file) || (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0) || compareText(a.rule, b.rule)
    || compareText(a.message, b.message);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
