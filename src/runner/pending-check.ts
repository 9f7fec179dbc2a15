/**
 * The check of every pending migration before the run sends anything: each
 * call its `up` (or `down`) makes while recorded (recording-executor.ts) is
 * judged whole, and every problem of every migration is reported at once,
 * each with its file and line. One problem found stops the run before its
 * first statement: a migration found wrong halfway would leave, on an
 * engine whose DDL commits as it goes, what ran before it.
 */
import { readFileSync } from 'node:fs';
import { IdemError, isIdemError } from '../errors.ts';
import { displayPath, type LoadedMigration } from '../files/migration-loader.ts';
import { callSiteIn } from './call-site.ts';
import type { RecordingExecutor } from './recording-executor.ts';

export interface PendingProblem {
  revision: string;
  /** The migration's file, as messages show it. */
  file: string;
  line?: number;
  column?: number;
  /** The call, when the problem is one call's. */
  op?: string;
  target?: string;
  message: string;
  hint: string;
}

/**
 * The longest revision id: the version table and the progress journal hold
 * it as varchar(64) on MySQL/MariaDB (mysql-ddl.ts), where a longer one is
 * never recorded and the migration runs again on every start. The same limit
 * on every engine, so a migration written against SQLite runs on MariaDB.
 */
export const MAX_REVISION_LENGTH = 64;

/** What one recorded migration showed: the calls the context refused, and a refusal it threw. */
export function recordedProblems(module: LoadedMigration, recorder: RecordingExecutor, thrown: unknown): PendingProblem[] {
  const base = { revision: module.revision, file: displayPath(module.path) };
  const problems: PendingProblem[] = [];
  for (const { call, problems: found, at } of recorder.refused) {
    for (const p of found) problems.push({ ...base, ...(at ? { line: at.line, column: at.column } : {}), op: call.kind, target: call.target, ...p });
  }
  // A refusal the context could only throw (m.query's values), or a check of an executor.
  if (isIdemError(thrown) && thrown.code === 'OPERATION_INVALID') {
    const at = callSiteIn(thrown.stack, module.url);
    problems.push({
      ...base, ...(at ? { line: at.line, column: at.column } : {}),
      ...(thrown.operation ? { op: thrown.operation.kind, target: thrown.operation.target } : {}),
      message: thrown.operation && thrown.message.startsWith(`${thrown.operation.kind} ${thrown.operation.target}: `)
        ? thrown.message.slice(thrown.operation.kind.length + thrown.operation.target.length + 3) : thrown.message,
      hint: thrown.hint ?? 'fix the call',
    });
  }
  return problems;
}

export function revisionProblem(module: LoadedMigration): PendingProblem | undefined {
  if (module.revision.length <= MAX_REVISION_LENGTH) return undefined;
  const line = lineOf(module.path, `'${module.revision}'`) ?? lineOf(module.path, `"${module.revision}"`);
  return {
    revision: module.revision, file: displayPath(module.path), ...(line ? { line: line.line, column: line.column } : {}),
    message: `its revision id is ${module.revision.length} characters long; the version table holds at most ${MAX_REVISION_LENGTH}`,
    hint: `give it a shorter revision id (\`idem new\` writes 12 characters) and update the \`revises\` that name it`,
  };
}

/** Throws VALIDATION_FAILED listing every problem; nothing when there is none. */
export function refuseProblems(problems: readonly PendingProblem[], command: string): void {
  if (problems.length === 0) return;
  const lines = problems.map((p) => {
    const place = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column}`;
    const call = p.op === undefined ? '' : `${p.op} ${p.target}: `;
    return `  ${place}  ${p.revision} > ${call}${p.message} (${p.hint})`;
  });
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new IdemError('VALIDATION_FAILED', `${count} in the pending migrations; nothing was sent to the database:\n${lines.join('\n')}`, {
    hint: `fix each one, then re-run \`idem ${command}\`; \`idem lint\` reports the same without a database`,
    data: { problems },
  });
}

/** Where `text` first appears in the file, 1-based; undefined when the file does not say it literally. */
function lineOf(path: string, text: string): { line: number; column: number } | undefined {
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const at = source.indexOf(text);
  if (at < 0) return undefined;
  const before = source.slice(0, at).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
}
