/**
 * Runs operations for real: classify against the catalog, compile, send,
 * refresh. Every failure leaves here as an IdemError naming the operation,
 * the SQL and the database's message.
 */
import type { CatalogTable } from '../catalog/snapshot.ts';
import { findColumn } from '../catalog/snapshot.ts';
import type { DialectSession } from '../dialect/dialect.ts';
import { IdemError, isIdemError } from '../errors.ts';
import type { OperationExecutor, OperationResult, TableSummary } from '../plan/migration-context.ts';
import { detailWithNote, operationTarget, type Operation } from '../plan/operations.ts';
import { StaleTable, type CatalogState } from './catalog-state.ts';
import { classify, type Decision, type DeclaredConstraint, type SchemaOperation } from './classify.ts';
import type { LeftAbsent } from './left-absent.ts';
import type { RunLookahead } from './lookahead.ts';
import { RESUMED, type MigrationProgress } from './progress-journal.ts';
import { throwIfInterrupted } from './interruption.ts';
import { countRows, migrationQuery, tableSummary } from './migration-reads.ts';
import type { Direction, EventSink, OutcomeCounts } from './events.ts';
import { addCount } from './events.ts';
import { evaluateCondition } from './condition.ts';
import { changesOnlyRows } from '../plan/sql-facts.ts';
import { touchedTables, declaredConstraints } from './operation-facts.ts';
import { indexByName } from '../catalog/find-by-shape.ts';

export interface LiveExecutorOptions {
  session: DialectSession;
  catalog: CatalogState;
  revision: string;
  direction: Direction;
  strict: boolean;
  emit: EventSink;
  counts: OutcomeCounts;
  /** Constraint shapes declared by applied migrations and by this run so far. */
  declared: Map<string, DeclaredConstraint>;
  /** The run's recorded operations, and where this migration's begin in it. */
  lookahead?: RunLookahead;
  position?: number;
  signal?: AbortSignal | undefined;
  /** Where DDL commits as it goes: operations an interrupted run completed, and this run's journal. */
  progress?: MigrationProgress | undefined;
}

export class LiveExecutor implements OperationExecutor {
  readonly dialect;
  readonly #o: LiveExecutorOptions;
  /** Shapes this migration declared, stored with its version row. */
  readonly declaredHere: Record<string, DeclaredConstraint> = {};
  /** This operation's place in the run, matching the look-ahead's numbering. */
  #position: number;
  /** Set once the runner gave up on the migration: its code may still be running, and must not send more. */
  #stopped = false;

  constructor(options: LiveExecutorOptions) {
    this.#o = options;
    this.dialect = options.session.dialect;
    this.#position = options.position ?? 0;
  }

  async run(op: Operation): Promise<OperationResult> {
    const started = performance.now();
    const target = operationTarget(op);
    this.#position++;
    if (this.#stopped) {
      throw new IdemError('INTERRUPTED', `${op.kind} ${target} was called after the migration was stopped`, { revision: this.#o.revision });
    }
    throwIfInterrupted(this.#o.signal, `before ${op.kind} ${target}`);
    const journaled = `${op.kind} ${target}`;
    try {
      const resumed = this.#o.progress?.resumes(journaled) ?? false;
      if (!resumed) await this.#o.progress?.beforeNext(op.kind);
      const { result, sql } = resumed ? { result: RESUMED, sql: [] }
        : op.kind === 'executeIf' || op.kind === 'sql' ? await this.#data(op) : await this.#schema(op);
      for (const [key, shape] of declaredConstraints(op)) {
        this.#o.declared.set(key, shape);
        this.declaredHere[key] = shape;
      }
      addCount(this.#o.counts, result.outcome);
      this.#o.emit({
        event: 'op', revision: this.#o.revision, direction: this.#o.direction, op: op.kind, target, outcome: result.outcome,
        ...detailWithNote(op, result.detail),
        ...(result.differences?.length ? { differences: result.differences } : {}),
        ...(result.rows !== undefined ? { rows: result.rows } : {}),
        ...(sql.length ? { sql } : {}),
        ...(op.kind === 'sql' && !op.idempotent && !resumed ? { unguarded: true as const } : {}),
        ms: Math.round(performance.now() - started),
      });
      if (!resumed) this.#o.progress?.completed(journaled, result.outcome === 'applied');
      return result;
    } catch (error) {
      throw asOperationError(error, this.#o.revision, { kind: op.kind, target });
    }
  }

  async #schema(op: SchemaOperation): Promise<{ result: OperationResult; sql: string[] }> {
    const catalog = this.#o.catalog;
    await catalog.load(touchedTables(op));
    const decision = await this.#classifyFresh(op);
    if (decision.action === 'skip' && decision.leftAbsent) this.#o.lookahead?.leftAbsent.add(decision.leftAbsent.object, decision.leftAbsent.removedBy);
    if (decision.action === 'skip') return { result: { outcome: 'skipped', detail: decision.detail, ...(decision.differences ? { differences: decision.differences } : {}) }, sql: [] };
    if (decision.action === 'drift') {
      if (this.#o.strict) {
        throw new IdemError('DRIFT', `${op.kind} ${operationTarget(op)}: ${decision.detail}`, {
          data: { differences: decision.differences },
          hint: 'make the database match the migration (or the migration match the database with a new migration), or run without --strict to report drift as a warning',
        });
      }
      return { result: { outcome: 'drift', detail: decision.detail, differences: decision.differences }, sql: [] };
    }
    const table = this.#o.session.ddl.readsCatalog(decision.op) ? await catalog.read(tableOf(decision.op)) : catalog.table(tableOf(decision.op));
    await this.#guardNotNull(decision.op, table);
    const statements = this.#o.session.ddl.compile(decision.op, table);
    const sent: string[] = [];
    for (const statement of statements) {
      try {
        // Only the first statement of an operation can meet an object created concurrently.
        const transactions = this.#o.session.transactions;
        await (sent.length === 0 && transactions.attempt
          ? transactions.attempt(statement.sql, statement.params)
          : this.#o.session.driver.execute(statement.sql, statement.params));
        sent.push(statement.sql);
      } catch (error) {
        // Something outside idem created the object at the same moment: judge again on a fresh catalog.
        if (sent.length === 0 && this.#o.session.isAlreadyExistsError(error)) {
          catalog.touched(touchedTables(op));
          await catalog.load();
          const again = this.#classify(op);
          if (again.action !== 'apply') {
            const outcome = again.action === 'skip' ? 'skipped' : 'drift';
            return { result: { outcome, detail: `${again.detail} (created concurrently)`, ...(again.differences ? { differences: again.differences } : {}) }, sql: [] };
          }
        }
        throw new IdemError('OPERATION_FAILED', `${op.kind} ${operationTarget(op)} failed`, { sql: statement.sql, cause: error, hint: failureHint(op) });
      }
    }
    await catalog.applied(decision.op, this.#o.session);
    return {
      result: { outcome: 'applied', ...(decision.detail ? { detail: decision.detail } : {}), ...(decision.differences ? { differences: decision.differences } : {}) },
      sql: sent,
    };
  }

  /**
   * Classifies against a catalog brought up to date for the operation's own
   * tables; a judgement that needs another table changed earlier in the run
   * (a later name, a referenced table) loads every stale table and judges again.
   */
  async #classifyFresh(op: SchemaOperation): Promise<Decision> {
    try {
      return this.#classify(op);
    } catch (error) {
      if (!(error instanceof StaleTable)) throw error;
      await this.#o.catalog.load();
      return this.#classify(op);
    }
  }

  #classify(op: SchemaOperation): Decision {
    return classify(op, {
      types: this.#o.session.types,
      table: (name) => this.#o.catalog.table(name),
      names: this.#o.catalog.namesInUse(),
      declared: (table, name) => this.#o.declared.get(`${table}.${name}`),
      ...(this.#o.lookahead ? { lookahead: this.#o.lookahead.after(this.#position) } : {}),
    });
  }

  /** A NOT NULL column without a default cannot be added to a table with rows: say so before changing anything. */
  async #guardNotNull(op: SchemaOperation, table: CatalogTable | undefined): Promise<void> {
    if (op.kind !== 'addColumn' || op.spec.nullable !== false || (op.spec.default !== undefined && op.spec.default !== null)) return;
    if (op.spec.primaryKey || op.spec.autoIncrement) return;
    if (!table) return;
    const q = this.#o.session.quoteIdentifier(op.table);
    const rows = await this.#o.session.driver.query(`SELECT 1 AS one FROM ${q} LIMIT 1`);
    if (rows.length > 0) {
      throw new IdemError('OPERATION_INVALID', `addColumn ${op.table}.${op.column}: NOT NULL without a default, and ${op.table} has rows`, {
        hint: `give it a default (default: …), or add it nullable, fill it with m.executeIf, then m.alterColumn('${op.table}', '${op.column}', { nullable: false })`,
      });
    }
  }

  /**
   * A data operation of a run that left a table or column absent (a later
   * migration drops it) may read it: where its statement fails on exactly
   * such an object, there is no data work to do, and it is skipped saying
   * so (left-absent.ts). The statements run guarded then, so that on
   * PostgreSQL the failure leaves the migration's transaction usable.
   */
  async #data(op: Extract<Operation, { kind: 'executeIf' | 'sql' }>): Promise<{ result: OperationResult; sql: string[] }> {
    const leftAbsent = this.#o.lookahead?.leftAbsent;
    if (!leftAbsent || leftAbsent.isEmpty) return this.#runData(op);
    const transactions = this.#o.session.transactions;
    try {
      return await (transactions.guard ? transactions.guard(() => this.#runData(op)) : this.#runData(op));
    } catch (error) {
      // A batch of held DDL that failed in front of the guard is the migration's failure, not this statement's.
      const skip = transactions.batchFailed?.() ? undefined : skipForLeftAbsent(this.#o.session, leftAbsent, error);
      if (skip) return { result: skip, sql: [] };
      throw error;
    }
  }

  async #runData(op: Extract<Operation, { kind: 'executeIf' | 'sql' }>): Promise<{ result: OperationResult; sql: string[] }> {
    const session = this.#o.session;
    if (op.kind === 'executeIf') {
      const holds = await evaluateCondition(session, op.condition, op.conditionParams);
      if (!holds) return { result: { outcome: 'skipped', detail: 'condition false' }, sql: [] };
      const sql = session.bindPlaceholders(op.sql);
      const result = await this.#send(sql, op.params);
      this.#forgetCatalogUnlessRowsOnly(op.sql);
      return { result: { outcome: 'applied', detail: `condition true, ${result.rowsAffected} row(s)`, rows: result.rowsAffected }, sql: [op.sql] };
    }
    const result = await this.#send(session.bindPlaceholders(op.sql), op.params);
    this.#forgetCatalogUnlessRowsOnly(op.sql);
    return {
      result: { outcome: 'applied', detail: op.idempotent ? `idempotent, ${result.rowsAffected} row(s)` : 'unguarded raw SQL', rows: result.rowsAffected },
      sql: [op.sql],
    };
  }

  /**
   * SQL may change anything, so what the run read of the catalog goes, and
   * the next check reads it again: all of it, which every tenth migration of
   * a long run made quadratic. Statements that only read and write rows keep it.
   */
  #forgetCatalogUnlessRowsOnly(sql: string): void {
    if (!changesOnlyRows(sql)) this.#o.catalog.invalidate();
  }

  async #send(sql: string, params: unknown[]): Promise<{ rowsAffected: number }> {
    try {
      return await this.#o.session.driver.execute(sql, params);
    } catch (error) {
      throw new IdemError('OPERATION_FAILED', 'the statement failed', { sql, cause: error, hint: 'fix the SQL in the migration, then re-run `idem up`' });
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  async tableExists(table: string): Promise<boolean> {
    await this.#o.catalog.load();
    return this.#o.catalog.table(table) !== undefined;
  }

  async columnExists(table: string, column: string): Promise<boolean> {
    await this.#o.catalog.load();
    const t = this.#o.catalog.table(table);
    return t !== undefined && findColumn(t, column) !== undefined;
  }

  async indexExists(table: string, name: string): Promise<boolean> {
    await this.#o.catalog.load();
    const t = this.#o.catalog.table(table);
    return t !== undefined && indexByName(t, name) !== undefined;
  }

  async query(sql: string, params: unknown[]): Promise<Record<string, unknown>[]> {
    return migrationQuery(this.#o.session, sql, params, this.#o.revision);
  }

  async summary(table: string): Promise<TableSummary> {
    await this.#o.catalog.load();
    // As the catalog has it, in its order: a summary is for people reading the log.
    const t = await this.#o.catalog.read(table);
    const summary = tableSummary(table, t, t ? await countRows(this.#o.session, table) : 0);
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

/** The skip of a data operation whose statement failed on an object this run left absent, if it did. */
export function skipForLeftAbsent(session: DialectSession, leftAbsent: LeftAbsent, error: unknown): OperationResult | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const missing = session.missingObject(e);
    if (!missing) continue;
    const removedBy = leftAbsent.removing(missing);
    return removedBy === undefined ? undefined : { outcome: 'skipped', detail: `reads ${missing.name}, absent; dropped later by ${removedBy}` };
  }
  return undefined;
}

function tableOf(op: SchemaOperation): string {
  return op.kind === 'renameTable' ? op.from : op.table;
}

function failureHint(op: SchemaOperation): string {
  return op.kind === 'alterColumn'
    ? 'make the existing values fit the new declaration (or change the declaration), then re-run `idem up`'
    : 'fix the cause the database names, then re-run `idem up`: operations that already hold are skipped';
}

/** Anything thrown inside an operation, as an IdemError naming the migration and operation. */
export function asOperationError(error: unknown, revision: string, operation: { kind: string; target: string }): IdemError {
  if (isIdemError(error)) return error.within(revision, operation);
  return new IdemError('OPERATION_FAILED', `${operation.kind} ${operation.target} failed`, {
    revision, operation, cause: error, hint: 'fix the cause, then re-run `idem up`',
  });
}
