/**
 * `idem plan`: the live path without its last step. Each schema operation is
 * classified exactly as `up` classifies it (same classifier, same look-ahead,
 * same declared shapes), but against a snapshot read once, and instead of
 * sending DDL its effect is applied to the snapshot (`simulateOperation`), so
 * later operations of the plan see what the run would have left. Nothing is
 * written: data operations only evaluate their condition (a SELECT), raw SQL
 * is reported and never sent.
 */
import type { CatalogTable } from '../catalog/snapshot.ts';
import { findColumn, namesInUse, tableNamed } from '../catalog/snapshot.ts';
import { applyChanges, simulateChanges } from '../catalog/simulate.ts';
import { IndexedTables } from '../catalog/indexed-tables.ts';
import type { DialectSession } from '../dialect/dialect.ts';
import { IdemError } from '../errors.ts';
import type { OperationExecutor, OperationResult, TableSummary } from '../plan/migration-context.ts';
import { detailWithNote, operationTarget, type Operation } from '../plan/operations.ts';
import { classify, type DeclaredConstraint, type SchemaOperation } from './classify.ts';
import { evaluateCondition } from './condition.ts';
import type { Direction, EventSink, OutcomeCounts } from './events.ts';
import { addCount } from './events.ts';
import { asOperationError, skipForLeftAbsent } from './live-executor.ts';
import type { RunLookahead } from './lookahead.ts';
import { RESUMED, type MigrationProgress } from './progress-journal.ts';
import { declaredConstraints } from './operation-facts.ts';
import { countRows, migrationQuery, tableSummary } from './migration-reads.ts';
import { indexByName } from '../catalog/find-by-shape.ts';

/** The catalog as the plan predicts it, shared by every migration of one plan. */
export class SimulatedCatalog {
  /** As read from the database before the plan: what a condition query can see now. */
  readonly live: ReadonlyMap<string, CatalogTable>;
  /** The plan's own copy, changed in place as each operation is simulated. */
  readonly tables: IndexedTables;
  /** A schema change was simulated: the live database no longer matches the prediction. */
  changed = false;
  /** The engine resolves table names without regard to case (CatalogSnapshot.tableNamesFoldCase). */
  readonly tableNamesFoldCase: boolean;

  constructor(live: Map<string, CatalogTable>, tableNamesFoldCase = false) {
    this.live = live;
    this.tables = IndexedTables.of(live);
    this.tableNamesFoldCase = tableNamesFoldCase;
  }

  /** The table `name` resolves to in the prediction. */
  table(name: string): CatalogTable | undefined {
    return tableNamed(this.tables, name, this.tableNamesFoldCase);
  }

  /**
   * Tables the plan creates (or renames into place) that the database does
   * not have yet: a query reading them now cannot answer. A table the plan
   * only reshapes is still read; should the query fail on its current
   * shape, the condition is reported as not evaluable.
   */
  notYetLive(): string[] {
    return [...this.tables.keys()].filter((name) => !this.live.has(name));
  }
}

export interface PlannedOperation {
  revision: string;
  direction: Direction;
  op: string;
  target: string;
  outcome: OperationResult['outcome'];
  detail?: string;
}

export interface PlanningExecutorOptions {
  session: DialectSession;
  catalog: SimulatedCatalog;
  revision: string;
  direction: Direction;
  emit: EventSink;
  counts: OutcomeCounts;
  declared: Map<string, DeclaredConstraint>;
  lookahead?: RunLookahead;
  position?: number;
  record: PlannedOperation[];
  /** Operations an interrupted run completed: `up` passes over them (progress-journal.ts). */
  progress?: MigrationProgress | undefined;
}

export class PlanningExecutor implements OperationExecutor {
  readonly dialect;
  readonly #o: PlanningExecutorOptions;
  #position: number;

  constructor(options: PlanningExecutorOptions) {
    this.#o = options;
    this.dialect = options.session.dialect;
    this.#position = options.position ?? 0;
  }

  async run(op: Operation): Promise<OperationResult> {
    const started = performance.now();
    const target = operationTarget(op);
    this.#position++;
    try {
      const result = this.#o.progress?.resumes(`${op.kind} ${target}`) ? RESUMED
        : op.kind === 'executeIf' || op.kind === 'sql' ? await this.#data(op) : this.#schema(op);
      for (const [key, shape] of declaredConstraints(op)) this.#o.declared.set(key, shape);
      addCount(this.#o.counts, result.outcome);
      this.#o.record.push({
        revision: this.#o.revision, direction: this.#o.direction, op: op.kind, target, outcome: result.outcome,
        ...detailWithNote(op, result.detail),
      });
      this.#o.emit({
        event: 'op', revision: this.#o.revision, direction: this.#o.direction, op: op.kind, target, outcome: result.outcome,
        ...detailWithNote(op, result.detail),
        ...(result.differences?.length ? { differences: result.differences } : {}),
        ms: Math.round(performance.now() - started), planned: true,
      });
      return result;
    } catch (error) {
      throw asOperationError(error, this.#o.revision, { kind: op.kind, target });
    }
  }

  #schema(op: SchemaOperation): OperationResult {
    const catalog = this.#o.catalog;
    const decision = classify(op, {
      types: this.#o.session.types,
      table: (name) => catalog.table(name),
      names: namesInUse(catalog.tables),
      declared: (table, name) => this.#o.declared.get(`${table}.${name}`),
      ...(this.#o.lookahead ? { lookahead: this.#o.lookahead.after(this.#position) } : {}),
    });
    if (decision.action === 'skip' && decision.leftAbsent) this.#o.lookahead?.leftAbsent.add(decision.leftAbsent.object, decision.leftAbsent.removedBy);
    if (decision.action === 'skip') return { outcome: 'skipped', detail: decision.detail, ...(decision.differences ? { differences: decision.differences } : {}) };
    if (decision.action === 'drift') return { outcome: 'drift', detail: decision.detail, differences: decision.differences };
    applyChanges(catalog.tables, simulateChanges(catalog.tables, decision.op, this.#o.session).changes);
    catalog.changed = true;
    return { outcome: 'applied', ...(decision.detail ? { detail: decision.detail } : {}), ...(decision.differences ? { differences: decision.differences } : {}) };
  }

  async #data(op: Extract<Operation, { kind: 'executeIf' | 'sql' }>): Promise<OperationResult> {
    if (op.kind === 'sql') {
      return { outcome: 'applied', detail: op.idempotent ? 'would run (marked idempotent); not simulated' : 'would run (unguarded); not simulated' };
    }
    const pending = this.#readsPending(op.condition);
    if (pending.length > 0) {
      return { outcome: 'applied', detail: `condition cannot be evaluated before the run: it reads ${pending.join(', ')}, which this plan creates; runs if it holds then` };
    }
    try {
      const holds = await evaluateCondition(this.#o.session, op.condition, op.conditionParams);
      return holds ? { outcome: 'applied', detail: 'condition true now' } : { outcome: 'skipped', detail: 'condition false now' };
    } catch (error) {
      // As up: a condition that reads what this plan leaves absent (a later migration drops it) is skipped.
      const leftAbsent = this.#o.lookahead?.leftAbsent;
      const skip = leftAbsent && !leftAbsent.isEmpty ? skipForLeftAbsent(this.#o.session, leftAbsent, error) : undefined;
      if (skip) return skip;
      // The query may read what an earlier operation of this plan would have created.
      if (this.#o.catalog.changed) {
        return { outcome: 'applied', detail: 'condition cannot be evaluated before the run (it fails on the schema as it is now); runs if it holds then' };
      }
      throw error;
    }
  }

  /** Tables the plan creates that the SQL names (as a word, case-insensitively: over-matching only makes the plan more careful). */
  #readsPending(sql: string): string[] {
    const lower = sql.toLowerCase();
    return this.#o.catalog.notYetLive().filter((name) => new RegExp(`(^|[^a-z0-9_$])${escapeRegExp(name.toLowerCase())}($|[^a-z0-9_$])`).test(lower));
  }

  async tableExists(table: string): Promise<boolean> {
    return this.#o.catalog.table(table) !== undefined;
  }

  async columnExists(table: string, column: string): Promise<boolean> {
    const t = this.#o.catalog.table(table);
    return t !== undefined && findColumn(t, column) !== undefined;
  }

  async indexExists(table: string, name: string): Promise<boolean> {
    const t = this.#o.catalog.table(table);
    return t !== undefined && indexByName(t, name) !== undefined;
  }

  /**
   * Reads are answered from the live database, read-only: only a SELECT (or
   * WITH) is sent, and one that reads a table this plan creates or reshapes
   * is refused, since it could not answer before the run. Data is read as it
   * is now: changes earlier data operations of the plan would make are not simulated.
   */
  async query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    if (!/^\s*(select|with)\b/i.test(sql)) {
      throw new IdemError('OPERATION_INVALID', 'plan answers m.query only for read-only SELECT queries', {
        sql, revision: this.#o.revision, hint: 'use m.executeIf or m.sql for changes; `idem plan` never writes',
      });
    }
    const pending = this.#readsPending(sql);
    if (pending.length > 0) {
      throw new IdemError('OPERATION_INVALID', `plan cannot answer m.query before the run: it reads ${pending.join(', ')}, which this plan creates`, {
        sql, revision: this.#o.revision, hint: 'plan up to the revision before this one, or run `idem up` on a scratch database',
      });
    }
    return migrationQuery(this.#o.session, sql, params, this.#o.revision);
  }

  async summary(table: string): Promise<TableSummary> {
    const t = this.#o.catalog.table(table);
    // Rows are counted only in a table the database has as planned; one the plan creates has none yet.
    const live = t !== undefined && this.#o.catalog.live.get(table) === t;
    const summary = tableSummary(table, t, live ? await countRows(this.#o.session, table) : 0);
    this.#o.emit({ event: 'summary', revision: this.#o.revision, ...summary });
    return summary;
  }

  countPlaceholders(sql: string): number {
    return this.#o.session.countPlaceholders(sql);
  }

  log(message: string): void {
    this.#o.emit({ event: 'log', revision: this.#o.revision, message });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
