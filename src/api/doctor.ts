/**
 * `doctor`: one command that answers "why won't my deploy migrate?". It
 * checks what `idem up` depends on, in turn: the connection, the migrations
 * folder and its graph, the version table, what is applied and pending,
 * revisions the code does not know, edited migrations, who holds the run
 * lock, and whether the live schema still holds what the applied migrations
 * declare. Each finding says what fixes it.
 *
 * Read-only: no DDL, no version row, no lock kept (on SQLite the write lock
 * is tried without waiting and given back at once), and a SQLite file that
 * does not exist is not created. A failure is a finding, never a crash: a
 * database that cannot be reached is reported, and the checks that need it
 * are listed as not run.
 */
import { existsSync } from 'node:fs';
import { maskUrl, parseConnectionUrl } from '../dialect/connection-url.ts';
import type { LockHolder } from '../dialect/dialect.ts';
import { IdemError, isIdemError, type IdemErrorCode } from '../errors.ts';
import { scanMigrations, type MigrationFile } from '../files/migration-files.ts';
import { graphProblems, type GraphProblem } from '../graph/graph-problems.ts';
import { RevisionGraph } from '../graph/revision-graph.ts';
import type { DriftFinding } from '../runner/drift-replay.ts';
import { VERSION_TABLE, type AppliedRevision } from '../runner/version-table.ts';
import { resolveConfig, type IdemOptions, type ResolvedConfig } from './config.ts';
import { checkInterrupted } from './doctor-interrupted.ts';
import { editedRevisions, openDatabase, unknownRevisions, type Database, type Project } from './project.ts';

export type DoctorLevel = 'ok' | 'info' | 'warning' | 'error';

export type DoctorCheck =
  | 'connection' | 'migrations' | 'graph' | 'heads' | 'version-table' | 'applied' | 'pending' | 'unknown' | 'edited' | 'interrupted' | 'lock' | 'drift';

export interface DoctorFinding {
  check: DoctorCheck;
  level: DoctorLevel;
  message: string;
  /** What fixes it: the command to run where there is one (`idem merge a b -m "merge heads"`), else the change to make. */
  fix?: string;
  /** The error `idem up` would stop with because of this. */
  code?: IdemErrorCode;
  /** The facts, for machines: revisions, heads, the lock holder, differences. */
  data?: Record<string, unknown>;
}

export interface DoctorResult {
  /** The database URL, password masked. */
  url: string;
  dir: string;
  findings: DoctorFinding[];
  /** The error `idem up` would stop with now (the first it would meet); absent when nothing would stop it. */
  blocking?: IdemErrorCode;
  ms: number;
}

/** The order findings are listed in. */
const CHECKS: readonly DoctorCheck[] = [
  'connection', 'migrations', 'graph', 'heads', 'version-table', 'applied', 'pending', 'unknown', 'edited', 'interrupted', 'lock', 'drift',
];
/** The checks whose errors stop `idem up`, in the order `up` meets them. */
const UP_ORDER: readonly DoctorCheck[] = ['migrations', 'graph', 'heads', 'connection', 'version-table', 'unknown', 'edited'];
const DATABASE_CHECKS: readonly DoctorCheck[] = ['version-table', 'applied', 'pending', 'unknown', 'edited', 'interrupted', 'lock', 'drift'];
/** Checks that compare the database with the migrations, and so need both. */
const CODE_CHECKS: readonly DoctorCheck[] = ['pending', 'unknown', 'edited', 'drift'];

/** `project`: the migration files already read (a fleet reads them once for every target). */
export async function doctor(options: IdemOptions = {}, project?: Project): Promise<DoctorResult> {
  const started = performance.now();
  const config = await resolveConfig(options);
  const findings: DoctorFinding[] = [];
  const code = await checkMigrations(config, findings, project && [...project.files.values()]);
  const db = await connect(config, findings);
  if (db === undefined) {
    for (const check of DATABASE_CHECKS) findings.push(notRun(check, 'no connection to the database'));
  } else {
    try {
      await checkDatabase(config, code, db, findings);
    } finally {
      await db.session.close();
    }
  }
  // Array.prototype.sort is stable: several findings of one check keep their order.
  findings.sort((a, b) => CHECKS.indexOf(a.check) - CHECKS.indexOf(b.check));
  const blocking = UP_ORDER.map((check) => findings.find((f) => f.check === check && f.level === 'error' && f.code)).find(Boolean)?.code;
  return { url: maskUrl(config.url), dir: config.dir, findings, ...(blocking ? { blocking } : {}), ms: Math.round(performance.now() - started) };
}

/** The migrations as `up` would read them, or why they cannot be compared with the database. */
type Code = { project: Project } | { problem: string };

async function checkMigrations(config: ResolvedConfig, findings: DoctorFinding[], read?: MigrationFile[]): Promise<Code> {
  let files: MigrationFile[];
  try {
    files = read ?? await scanMigrations(config.dir);
  } catch (error) {
    if (!isIdemError(error)) throw error;
    findings.push({ check: 'migrations', level: 'error', message: error.message, code: error.code, ...fixOf(error.hint) });
    findings.push(notRun('graph', 'the migrations could not be read'), notRun('heads', 'the migrations could not be read'));
    return { problem: 'the migrations could not be read' };
  }
  if (files.length === 0) {
    findings.push({ check: 'migrations', level: 'error', code: 'GRAPH_EMPTY', message: `no migrations in ${config.dir}`, fix: 'idem new "<description>"' });
    findings.push(notRun('graph', 'there are no migrations'), notRun('heads', 'there are no migrations'));
    return { problem: 'there are no migrations' };
  }
  findings.push({ check: 'migrations', level: 'ok', message: `${files.length} migration(s) in ${config.dir}` });
  const nodes = files.map((f) => ({ revision: f.revision, revises: f.revises, description: f.description, file: f.file }));
  const problems = graphProblems(nodes).filter((p) => p.kind !== 'several-heads');
  if (problems.length > 0) {
    findings.push(...problems.map(graphFinding), notRun('heads', 'the graph has errors'));
    return { problem: 'the migration graph has errors' };
  }
  const graph = RevisionGraph.build(nodes);
  findings.push({ check: 'graph', level: 'ok', message: `${graph.size} revision(s): no duplicate id, no missing parent, no cycle` });
  const heads = graph.heads();
  findings.push(heads.length === 1
    ? { check: 'heads', level: 'ok', message: `one head: ${heads[0]}` }
    : {
      check: 'heads', level: 'error', code: 'GRAPH_MULTIPLE_HEADS', data: { heads },
      message: `${heads.length} heads: ${heads.join(', ')}; \`idem up\` needs one (\`idem up heads\` applies every branch)`,
      fix: `idem merge ${heads.join(' ')} -m "merge heads"`,
    });
  return { project: { config, files: new Map(files.map((f) => [f.revision, f])), graph } };
}

function graphFinding(p: Exclude<GraphProblem, { kind: 'several-heads' }>): DoctorFinding {
  switch (p.kind) {
    case 'duplicate':
      return {
        check: 'graph', level: 'error', code: 'GRAPH_DUPLICATE', data: p,
        message: `revision "${p.revision}" is declared by ${p.files.length} files: ${p.files.join(', ')}`,
        fix: 'give all but one of these files a new revision id (as `idem new` generates them), then check which `revises` meant which file',
      };
    case 'missing-parent':
      return {
        check: 'graph', level: 'error', code: 'GRAPH_MISSING_PARENT', data: p,
        message: `${p.file} revises "${p.missing}", which no migration declares`,
        fix: `restore the file that declares "${p.missing}", or fix \`revises\` in ${p.file} (\`idem history\` lists revision ids; a git commit hash is not one)`,
      };
    case 'cycle':
      return {
        check: 'graph', level: 'error', code: 'GRAPH_CYCLE', data: p,
        message: `revision cycle: ${[...p.revisions, p.revisions[0]].join(' -> ')}`,
        fix: `fix \`revises\` in one of ${p.files.join(', ')} so the chain leads back to a base revision`,
      };
  }
}

async function connect(config: ResolvedConfig, findings: DoctorFinding[]): Promise<Database | undefined> {
  const masked = maskUrl(config.url);
  try {
    const target = parseConnectionUrl(config.url, config.cwd);
    const absent = target.dialect === 'sqlite' && target.path !== ':memory:' && !existsSync(target.path);
    const db = await openDatabase(config, { create: false });
    findings.push(absent
      ? { check: 'connection', level: 'info', message: `${masked}: the file does not exist yet; \`idem up\` creates it` }
      : { check: 'connection', level: 'ok', message: `connected to ${masked} (${db.session.dialect})` });
    return db;
  } catch (error) {
    // Whatever went wrong while connecting is this finding; the URL shows only masked.
    const message = (isIdemError(error) ? error.message : String((error as Error)?.message ?? error)).replaceAll(config.url, masked);
    findings.push({
      check: 'connection', level: 'error', code: isIdemError(error) ? error.code : 'CONNECTION',
      message: message.includes(masked) ? message : `${masked}: ${message}`, ...fixOf(isIdemError(error) ? error.hint : undefined),
    });
    return undefined;
  }
}

async function checkDatabase(config: ResolvedConfig, code: Code, db: Database, findings: DoctorFinding[]): Promise<void> {
  const applied = await checkVersionTable(db, findings);
  if (applied === undefined) {
    for (const check of ['applied', ...CODE_CHECKS] as const) findings.push(notRun(check, `${VERSION_TABLE} cannot be read`));
  } else {
    findings.push(applied.length === 0
      ? { check: 'applied', level: 'info', message: 'none applied' }
      : { check: 'applied', level: 'ok', message: `${applied.length} applied: ${names(applied.map((a) => a.revision))}`, data: { revisions: applied.map((a) => a.revision) } });
    if ('problem' in code) for (const check of CODE_CHECKS.filter((c) => c !== 'drift')) findings.push(notRun(check, code.problem));
    else checkRevisions(config, code.project, applied, findings);
  }
  findings.push(...await checkInterrupted(db, 'project' in code ? code.project : undefined));
  const holder = await checkLock(config, db, findings);
  if (applied === undefined) return;
  if ('problem' in code) findings.push(notRun('drift', code.problem));
  else if (holder) findings.push(notRun('drift', 'a run holds the lock, so the schema may be changing; run `idem doctor` again when it is done'));
  else await checkDrift(code.project, db, applied, findings);
}

/** The applied revisions, or undefined when the version table is not one idem can read. */
async function checkVersionTable(db: Database, findings: DoctorFinding[]): Promise<AppliedRevision[] | undefined> {
  if (!(await db.versions.exists())) {
    findings.push({ check: 'version-table', level: 'info', message: `${VERSION_TABLE} does not exist: nothing applied yet; \`idem up\` creates it`, fix: 'idem up' });
    return [];
  }
  try {
    const applied = await db.versions.read();
    findings.push({ check: 'version-table', level: 'ok', message: `${VERSION_TABLE} holds ${applied.length} revision(s)` });
    return applied;
  } catch (error) {
    if (!isIdemError(error)) throw error;
    findings.push({ check: 'version-table', level: 'error', code: error.code, message: error.message, ...fixOf(error.hint) });
    return undefined;
  }
}

/** Pending, unknown and edited revisions: what `up` checks before it runs anything. */
function checkRevisions(config: ResolvedConfig, project: Project, applied: AppliedRevision[], findings: DoctorFinding[]): void {
  const done = new Set(applied.map((a) => a.revision));
  const pending = project.graph.topoOrder().filter((revision) => !done.has(revision));
  findings.push(pending.length === 0
    ? { check: 'pending', level: 'ok', message: 'nothing pending' }
    : { check: 'pending', level: 'info', message: `${pending.length} pending: ${names(pending)}`, fix: 'idem up', data: { revisions: pending } });

  const unknown = unknownRevisions(project, applied).map((a) => a.revision);
  if (unknown.length === 0) {
    findings.push({ check: 'unknown', level: 'ok', message: 'every revision in the database is known to the code' });
  } else if (pending.length === 0 && !config.strict) {
    findings.push({
      check: 'unknown', level: 'warning', data: { revisions: unknown },
      message: `the database is ahead of the code: ${names(unknown)} (an older image? \`idem up\` leaves it alone and exits 0)`,
      fix: 'deploy the newer image; if this one should have them, rebuild it without cache (docker build --no-cache)',
    });
  } else {
    findings.push({
      check: 'unknown', level: 'error', code: pending.length === 0 ? 'DB_AHEAD' : 'DB_UNKNOWN_REVISION', data: { revisions: unknown },
      message: `the database has revision(s) no migration file defines: ${names(unknown)}; the image is stale or missing migration files`,
      fix: `rebuild the image without cache (docker build --no-cache) so it has every file in ${project.config.dir}`,
    });
  }

  const edited = editedRevisions(project, applied);
  findings.push(edited.length === 0
    ? { check: 'edited', level: 'ok', message: 'no applied migration changed since it ran' }
    : {
      check: 'edited', level: config.strict ? 'error' : 'warning', ...(config.strict ? { code: 'CHECKSUM_MISMATCH' as const } : {}),
      data: { revisions: edited.map((e) => e.revision) },
      message: `changed since applied: ${edited.map((e) => `${e.file} (${e.revision})`).join(', ')}${config.strict ? '; `idem up --strict` refuses to run' : ''}`,
      fix: 'idem up --reapply-changed (runs them again: what the edit changed is applied, the rest skipped); or restore the file(s) as applied',
    });
}

async function checkLock(config: ResolvedConfig, db: Database, findings: DoctorFinding[]): Promise<LockHolder | null> {
  let holder: LockHolder | null;
  try {
    holder = await db.session.lock.holder();
  } catch (error) {
    findings.push({ check: 'lock', level: 'warning', message: `could not tell who holds the lock: ${(error as Error)?.message ?? String(error)}` });
    return null;
  }
  if (holder === null) {
    findings.push({ check: 'lock', level: 'ok', message: 'free: no runner holds idem\'s lock' });
    return null;
  }
  findings.push({
    check: 'lock', level: 'warning', data: { holder },
    message: `held by ${holder.description}; \`idem up\` waits up to --lock-timeout (${Math.round(config.lockTimeoutMs / 1000)}s) for it`,
    fix: `let that run finish (\`idem up\` then finds nothing to do)${holder.end ? `; if the session is stuck: ${holder.end}` : ''}`,
  });
  return holder;
}

async function checkDrift(project: Project, db: Database, applied: AppliedRevision[], findings: DoctorFinding[]): Promise<void> {
  const done = new Set(applied.map((a) => a.revision));
  const steps = project.graph.topoOrder().filter((revision) => done.has(revision)).map((revision) => project.files.get(revision)!);
  if (steps.length === 0) {
    findings.push({ check: 'drift', level: 'ok', message: 'nothing applied, nothing to compare' });
    return;
  }
  let report;
  try {
    // The replay imports the applied migrations and the planner: loaded only here.
    const { replayForDrift } = await import('../runner/drift-replay.ts');
    report = await replayForDrift(db.session, applied, steps);
  } catch (error) {
    if (!isIdemError(error)) throw error;
    findings.push({ check: 'drift', level: 'warning', message: `could not be checked: ${error.message}`, ...fixOf(error.hint) });
    return;
  }
  for (const f of report.findings) findings.push(driftFinding(f));
  if (report.stopped) {
    findings.push({
      check: 'drift', level: 'warning', message: `the replay of ${report.stopped.revision} stopped: ${report.stopped.message}; it and later migrations were not compared`,
      fix: `\`idem plan\` on a copy of the database shows the same; fix ${report.stopped.revision} if it fails there too`,
    });
  }
  if (report.findings.length === 0 && !report.stopped) {
    const data = report.notJudged > 0 ? `; ${report.notJudged} data or raw SQL operation(s) cannot be judged from the schema and were not` : '';
    findings.push({
      check: 'drift', level: 'ok',
      message: `the live schema holds what the ${steps.length} applied migration(s) declare (${report.judged} schema operation(s) checked${data})`,
    });
  }
}

function driftFinding(f: DriftFinding): DoctorFinding {
  const where = `${f.revision}: ${f.op} ${f.target}`;
  const data = { revision: f.revision, op: f.op, target: f.target, kind: f.kind, differences: f.differences };
  if (f.error !== undefined) return { check: 'drift', level: 'warning', message: `${where} cannot be judged: ${f.error}`, data };
  const message = `${f.differences.map((d) => describeDifference(d, f.op)).join('; ')} (${where})`;
  const objects = [...new Set(f.differences.map((d) => d.object))].join(', ');
  const fix = f.kind === 'differs'
    ? `change ${objects} back by hand, or declare the database's shape in a new migration: idem new "align ${objects}"`
    : `idem up --reapply ${f.revision} (runs it again: ${f.kind === 'missing' ? 'applies what the database lacks' : 'removes what it removed'}, skips what holds)`;
  return { check: 'drift', level: 'warning', message, fix, data };
}

function describeDifference(d: { object: string; field: string; declared: unknown; actual: unknown }, op: string): string {
  if (d.field === 'exists') {
    if (!d.actual) return `${d.object} is missing`;
    return op.startsWith('rename') ? `${d.object} still exists under its old name` : `${d.object} exists, but the migrations drop it`;
  }
  return `${d.object} ${d.field}: database has ${show(d.actual)}, migrations declare ${show(d.declared)}`;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return `(${value.join(', ')})`;
  return value === null || value === undefined ? 'none' : String(value);
}

/** A list of revisions for one line: the first few, then how many more. */
function names(list: readonly string[], max = 8): string {
  return list.length <= max ? list.join(', ') : `${list.slice(0, max).join(', ')} and ${list.length - max} more`;
}

function notRun(check: DoctorCheck, reason: string): DoctorFinding {
  return { check, level: 'info', message: `not checked: ${reason}` };
}

function fixOf(hint: string | undefined): { fix?: string } {
  return hint ? { fix: hint } : {};
}

/**
 * A fleet's verdict on one target: the result with a one-line summary, or,
 * where `idem up` would stop, an IdemError with that code naming the first
 * finding that stops it and its fix.
 */
export function doctorVerdict(result: DoctorResult): DoctorResult & { summary: string } {
  const warnings = result.findings.filter((f) => f.level === 'warning');
  if (result.blocking !== undefined) {
    const first = result.findings.find((f) => f.level === 'error' && f.code === result.blocking)
      ?? result.findings.find((f) => f.level === 'error');
    throw new IdemError(result.blocking, `${first?.check ?? 'doctor'}: ${first?.message ?? 'idem up would fail here'}`, {
      ...(first?.fix ? { hint: `fix: ${first.fix}` } : {}), data: { findings: result.findings },
    });
  }
  const summary = warnings.length === 0
    ? 'nothing stops idem up'
    : `nothing stops idem up; ${warnings.length} warning(s): ${warnings.map((w) => w.check).join(', ')}`;
  return { ...result, summary };
}
