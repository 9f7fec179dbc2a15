/**
 * The look-ahead pass: runs a migration's `up` against a context that records
 * each operation and sends nothing. Questions about the database are answered
 * from the catalog as it is before the run, which is what the live run will
 * see for everything the run itself has not created yet.
 */
import { findColumn } from '../catalog/snapshot.ts';
import type { DialectName } from '../dialect/dialect.ts';
import type { OperationRef } from '../errors.ts';
import type { OperationExecutor, OperationResult, Problem, TableSummary } from '../plan/migration-context.ts';
import type { Operation } from '../plan/operations.ts';
import type { CatalogState } from './catalog-state.ts';
import { indexByName } from '../catalog/find-by-shape.ts';
import { callSite, type CallSite } from './call-site.ts';

/** A call the context refused while recording, and where the migration made it. */
export interface RefusedCall {
  call: OperationRef;
  problems: Problem[];
  at?: CallSite;
}

export class RecordingExecutor implements OperationExecutor {
  readonly dialect: DialectName;
  readonly operations: Operation[] = [];
  readonly refused: RefusedCall[] = [];
  readonly #catalog: CatalogState;
  readonly #moduleUrl: string;
  readonly #count: (sql: string) => number;

  /** `moduleUrl`: the migration's, to place refused calls; `countPlaceholders`: the engine's. */
  constructor(dialect: DialectName, catalog: CatalogState, moduleUrl: string, countPlaceholders: (sql: string) => number) {
    this.dialect = dialect;
    this.#catalog = catalog;
    this.#moduleUrl = moduleUrl;
    this.#count = countPlaceholders;
  }

  countPlaceholders(sql: string): number {
    return this.#count(sql);
  }

  /** Kept, and the recording goes on: every problem of the migration is reported at once. */
  async refuse(call: OperationRef, problems: Problem[]): Promise<OperationResult> {
    const at = callSite(this.#moduleUrl);
    this.refused.push({ call, problems, ...(at ? { at } : {}) });
    return { outcome: 'applied', detail: 'refused' };
  }

  async run(op: Operation): Promise<OperationResult> {
    this.operations.push(op);
    return { outcome: 'applied', detail: 'recorded' };
  }

  async tableExists(table: string): Promise<boolean> {
    await this.#catalog.load();
    return this.#catalog.table(table) !== undefined;
  }

  async columnExists(table: string, column: string): Promise<boolean> {
    await this.#catalog.load();
    const t = this.#catalog.table(table);
    return t !== undefined && findColumn(t, column) !== undefined;
  }

  async indexExists(table: string, name: string): Promise<boolean> {
    await this.#catalog.load();
    const t = this.#catalog.table(table);
    return t !== undefined && indexByName(t, name) !== undefined;
  }

  /** Reads are not answered while recording: the tables they read may not exist yet. */
  async query(): Promise<Record<string, unknown>[]> {
    throw new LookaheadStop();
  }

  async summary(table: string): Promise<TableSummary> {
    return { table, exists: false, columns: [], indexes: [], rows: 0 };
  }

  log(): void {}
}

/** Thrown to end a recording early; what was recorded so far still counts. */
export class LookaheadStop extends Error {}
