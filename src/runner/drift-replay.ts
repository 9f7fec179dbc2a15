/**
 * Does the live schema still hold what the applied migrations declare? Every
 * applied migration is planned again as if nothing were recorded (an
 * adoption plan: the planning executor on a simulated copy of the catalog,
 * with the look-ahead), and each schema operation that would not be skipped
 * marks a difference between the database and its migrations. Nothing is
 * written; data is not read.
 *
 * A history may change one object several times: a table created and later
 * dropped, a column altered and later altered back. Only the last operation
 * on an object says what it should be now, so earlier ones are superseded;
 * and the last one, when an earlier operation of the replay already changed
 * the object in the simulation, is judged again against the live catalog
 * itself, so that "the database has" is what the database has.
 *
 * Data operations (executeIf, raw m.sql) cannot be judged from the schema:
 * they are counted, never run, and their conditions are not evaluated.
 */
import { namesInUse, tableNamed, type CatalogTable } from '../catalog/snapshot.ts';
import type { DialectSession } from '../dialect/dialect.ts';
import { describeThrown, isIdemError } from '../errors.ts';
import type { MigrationFile } from '../files/migration-files.ts';
import { createMigrationContext, type Difference, type OperationExecutor, type OperationResult, type TableSummary } from '../plan/migration-context.ts';
import { operationTarget, type Operation } from '../plan/operations.ts';
import { loadAll, recordRun } from './apply-steps.ts';
import { CatalogState } from './catalog-state.ts';
import { classify, type DeclaredConstraint, type SchemaOperation } from './classify.ts';
import { emptyCounts } from './events.ts';
import { POSITIONS_PER_MIGRATION, type RunLookahead } from './lookahead.ts';
import { frozenReader } from './plan-steps.ts';
import { PlanningExecutor, SimulatedCatalog } from './planning-executor.ts';
import type { AppliedRevision } from './version-table.ts';

/** One way the database differs from what an applied migration declares. */
export interface DriftFinding {
  revision: string;
  /** The operation that declares it, as the run prints it: `addColumn users.api_key`. */
  op: string;
  target: string;
  /**
   * `missing`: the database lacks what the migration creates (or lacks the
   * shape an alterColumn gives); `left behind`: it still has what the
   * migration dropped or renamed; `differs`: it exists in another shape.
   */
  kind: 'missing' | 'left behind' | 'differs';
  /** Object and field, both values: `users.email type: database has varchar(50), migration declares varchar(100)`. */
  differences: Difference[];
  /** The engine refused to judge it (both names of a rename exist, …): the classifier's message. */
  error?: string;
}

export interface DriftReport {
  findings: DriftFinding[];
  /** Schema operations judged. */
  judged: number;
  /** Data and raw SQL operations, which the schema cannot judge. */
  notJudged: number;
  /** A migration whose replay stopped (it threw): what it said. Later migrations were not replayed. */
  stopped?: { revision: string; message: string };
}

interface Replayed {
  revision: string;
  op: SchemaOperation;
  result: OperationResult;
  position: number;
}

export async function replayForDrift(session: DialectSession, applied: AppliedRevision[], steps: MigrationFile[]): Promise<DriftReport> {
  const modules = await loadAll(steps);
  const snapshot = await session.catalog.readAll();
  const live = new Map(snapshot.tables);
  const catalog = new SimulatedCatalog(new Map(snapshot.tables));
  const declared = new Map<string, DeclaredConstraint>();
  for (const row of applied) for (const [key, shape] of Object.entries(row.declared)) declared.set(key, shape);
  // Applied migrations: what the check finds is not this report's, and they ran already.
  const { lookahead } = await recordRun(session, new CatalogState(frozenReader(snapshot, session.catalog)), modules);
  const replayed: Replayed[] = [];
  let notJudged = 0;
  let stopped: DriftReport['stopped'];

  for (const [index, file] of steps.entries()) {
    const planner = new PlanningExecutor({
      session, catalog, revision: file.revision, direction: 'up', emit: () => {}, counts: emptyCounts(), declared, record: [],
      lookahead, position: index * POSITIONS_PER_MIGRATION,
    });
    const executor = new ReplayExecutor(planner, file.revision, index * POSITIONS_PER_MIGRATION, replayed, () => { notJudged++; });
    try {
      await modules[index]!.up(createMigrationContext(executor));
    } catch (error) {
      stopped = { revision: file.revision, message: isIdemError(error) ? error.message : describeThrown(error) };
      break;
    }
  }

  const judge = (entry: Replayed): Decision => classifyLive(entry, session, live, snapshot.tableNamesFoldCase === true, declared, lookahead);
  return { findings: findingsOf(replayed, live, judge), judged: replayed.length, notJudged, ...(stopped ? { stopped } : {}) };
}

/**
 * Hands schema operations to the planner and keeps what it predicted. A data
 * operation is passed on as raw SQL, which the planner reports and never
 * sends: its condition is not evaluated (drift is about the schema, and a
 * condition may read what later migrations dropped), and the planner's count
 * of operations stays in step with the look-ahead's numbering.
 */
class ReplayExecutor implements OperationExecutor {
  readonly dialect;
  readonly #planner: PlanningExecutor;
  readonly #revision: string;
  readonly #replayed: Replayed[];
  readonly #dataOperation: () => void;
  #position: number;

  constructor(planner: PlanningExecutor, revision: string, position: number, replayed: Replayed[], dataOperation: () => void) {
    this.dialect = planner.dialect;
    this.#planner = planner;
    this.#revision = revision;
    this.#position = position;
    this.#replayed = replayed;
    this.#dataOperation = dataOperation;
  }

  async run(op: Operation): Promise<OperationResult> {
    this.#position++;
    if (op.kind === 'executeIf' || op.kind === 'sql') {
      this.#dataOperation();
      return this.#planner.run({ kind: 'sql', sql: op.sql, params: op.params, idempotent: true, description: op.description });
    }
    const result = await this.#planner.run(op);
    this.#replayed.push({ revision: this.#revision, op, result, position: this.#position });
    return result;
  }

  tableExists(table: string): Promise<boolean> {
    return this.#planner.tableExists(table);
  }

  columnExists(table: string, column: string): Promise<boolean> {
    return this.#planner.columnExists(table, column);
  }

  indexExists(table: string, name: string): Promise<boolean> {
    return this.#planner.indexExists(table, name);
  }

  query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return this.#planner.query(sql, params);
  }

  summary(table: string): Promise<TableSummary> {
    return this.#planner.summary(table);
  }

  log(): void {}
}

type Decision = { outcome: 'skipped' } | { outcome: 'applied' | 'drift'; differences: Difference[] } | { error: string };

/** The operation judged against the database as it is, not as the replay left it. */
function classifyLive(
  entry: Replayed, session: DialectSession, live: ReadonlyMap<string, CatalogTable>, tableNamesFoldCase: boolean, declared: ReadonlyMap<string, DeclaredConstraint>, lookahead: RunLookahead,
): Decision {
  try {
    const decision = classify(entry.op, {
      types: session.types,
      table: (name) => tableNamed(live, name, tableNamesFoldCase),
      names: namesInUse(live),
      declared: (table, name) => declared.get(`${table}.${name}`),
      lookahead: lookahead.after(entry.position),
    });
    if (decision.action === 'skip') return { outcome: 'skipped' };
    return { outcome: decision.action === 'apply' ? 'applied' : 'drift', differences: decision.differences ?? [] };
  } catch (error) {
    return { error: isIdemError(error) ? error.message : String(error) };
  }
}

/** The objects an operation declares: a whole table (`name` absent), or one column or key of it. */
interface ObjectRef {
  table: string;
  name?: string;
}

function objectsOf(op: SchemaOperation): ObjectRef[] {
  switch (op.kind) {
    case 'createTable': case 'dropTable': return [{ table: op.table }];
    case 'renameTable': return [{ table: op.from }, { table: op.to }];
    case 'addColumn': case 'dropColumn': case 'alterColumn': return [{ table: op.table, name: op.column }];
    case 'renameColumn': return [{ table: op.table, name: op.from }, { table: op.table, name: op.to }];
    case 'createIndex': return [{ table: op.table, name: op.index.name }];
    case 'addUnique': return [{ table: op.table, name: op.unique.name }];
    case 'addForeignKey': return [{ table: op.table, name: op.foreignKey.name }];
    case 'dropIndex': case 'dropUnique': case 'dropForeignKey': return [{ table: op.table, name: op.name }];
  }
}

/** Whether `a` settles what `b` declares: the same object, or the whole table `b` is in. */
function covers(a: SchemaOperation, b: SchemaOperation): boolean {
  return objectsOf(a).some((x) => objectsOf(b).some((y) => x.table === y.table && (x.name === undefined || x.name === y.name)));
}

function findingsOf(replayed: Replayed[], live: ReadonlyMap<string, CatalogTable>, judgeLive: (entry: Replayed) => Decision): DriftFinding[] {
  const findings: DriftFinding[] = [];
  const changed = (r: Replayed): boolean => r.result.outcome !== 'skipped';
  replayed.forEach((entry, index) => {
    if (!changed(entry)) return;
    // A later operation on the same object says what it should be now.
    if (replayed.slice(index + 1).some((later) => changed(later) && covers(later.op, entry.op))) return;
    const simulatedBefore = replayed.slice(0, index).some((earlier) => earlier.result.outcome === 'applied' && covers(earlier.op, entry.op));
    if (!simulatedBefore) {
      findings.push(finding(entry, entry.result.outcome === 'drift' ? 'drift' : 'applied', entry.result.differences ?? []));
      return;
    }
    // A column or key of a table the database does not have: the table's own finding says it
    // (or the table was dropped later, and its contents with it).
    const inTable = objectsOf(entry.op).every((o) => o.name !== undefined);
    if (inTable && !objectsOf(entry.op).some((o) => live.has(o.table))) return;
    const decision = judgeLive(entry);
    if ('error' in decision) findings.push({ ...finding(entry, 'drift', []), error: decision.error });
    else if (decision.outcome !== 'skipped') findings.push(finding(entry, decision.outcome, decision.differences));
  });
  return findings;
}

function finding(entry: Replayed, outcome: 'applied' | 'drift', differences: Difference[]): DriftFinding {
  const target = operationTarget(entry.op);
  const base = { revision: entry.revision, op: entry.op.kind, target };
  if (outcome === 'drift') return { ...base, kind: 'differs', differences };
  const removes = /^(drop|rename)/.test(entry.op.kind);
  return { ...base, kind: removes ? 'left behind' : 'missing', differences: differences.length > 0 ? differences : [existence(entry.op, removes)] };
}

/** An object that is missing, or still present, as a difference of the field `exists`. */
function existence(op: SchemaOperation, removes: boolean): Difference {
  const [object] = objectsOf(op);
  const name = object!.name === undefined ? object!.table : `${object!.table}.${object!.name}`;
  return { object: name, field: 'exists', declared: !removes, actual: removes };
}
