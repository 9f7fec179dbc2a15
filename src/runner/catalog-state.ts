/**
 * The catalog as the run knows it: read once, then kept current by idem's
 * own DDL. After an operation the snapshot is updated by simulating it
 * (src/catalog/simulate.ts), which the dialect's conventions make exactly
 * what the engine reports (test/engine/catalog-write-through.test.ts), so a
 * run that creates a thousand tables reads the catalog once, not a thousand
 * times. Where the engine decides what the operation alone does not say
 * (InnoDB's foreign-key indexes), the tables it touched are noted as stale
 * instead, and the next `load()` that needs one reads every stale table in
 * one query. Raw SQL may change anything, so it drops the whole snapshot and
 * the next check reads it again. This keeps the number of catalog queries
 * flat however many checks a run makes.
 */
import { IndexedTables } from '../catalog/indexed-tables.ts';
import { simulateChanges, type SchemaChange, type SimulationRules } from '../catalog/simulate.ts';
import type { CatalogTable, NamesInUse } from '../catalog/snapshot.ts';
import type { CatalogReader } from '../dialect/dialect.ts';
import { touchedTables } from './operation-facts.ts';

export class CatalogState {
  readonly #reader: CatalogReader;
  #tables: IndexedTables | undefined;
  /** The engine resolves table names without regard to case (the snapshot says so when read). */
  #tableNamesFoldCase = false;
  readonly #stale = new Set<string>();
  /** Tables whose entry is simulated since they were last read: exact for judging, without what only a read gives (SQLite's CREATE text). */
  readonly #simulated = new Set<string>();

  constructor(reader: CatalogReader) {
    this.#reader = reader;
  }

  /**
   * Brings the snapshot up to date: all of it the first time, then the stale
   * tables, in one query. With `needed`, only when one of those is stale:
   * an operation on another table does not pay for them.
   */
  async load(needed?: readonly string[]): Promise<void> {
    if (!this.#tables) {
      const snapshot = await this.#reader.readAll();
      this.#tables = IndexedTables.of(snapshot.tables);
      this.#tableNamesFoldCase = snapshot.tableNamesFoldCase === true;
      this.#stale.clear();
      this.#simulated.clear();
      return;
    }
    if (this.#stale.size === 0) return;
    if (needed && !needed.some((name) => this.#stale.has(name))) return;
    const names = [...this.#stale];
    this.#stale.clear();
    await this.#read(names);
  }

  /**
   * A table as the catalog has it, read again if its entry is simulated: for
   * a compiler that needs what only a read gives (DdlCompiler.readsCatalog).
   * `load()` must have run for it.
   */
  async read(name: string): Promise<CatalogTable | undefined> {
    if (this.#simulated.has(name)) await this.#read([name]);
    return this.table(name);
  }

  async #read(names: readonly string[]): Promise<void> {
    const fresh = await this.#reader.readTables(names);
    for (const name of names) {
      this.#simulated.delete(name);
      const table = fresh.get(name);
      if (table) this.#tables!.set(name, table);
      else this.#tables!.delete(name);
    }
  }

  /**
   * Synchronous lookup; `load()` must have run. A table still stale throws
   * StaleTable: the caller loads everything stale and asks again.
   */
  table(name: string): CatalogTable | undefined {
    if (!this.#tables) throw new Error('catalog read before load()');
    const kept = this.#tableNamesFoldCase && !this.#tables.has(name) ? this.#tables.nameFolded(name) ?? name : name;
    if (this.#stale.has(kept)) throw new StaleTable(kept);
    return this.#tables.get(kept);
  }

  /**
   * The names the schema's objects hold. What a stale table holds is not
   * known: asked then, this throws StaleTable, and the caller loads and asks again.
   */
  namesInUse(): NamesInUse {
    const current = (): IndexedTables => {
      if (!this.#tables) throw new Error('catalog read before load()');
      const [stale] = this.#stale;
      if (stale !== undefined) throw new StaleTable(stale);
      return this.#tables;
    };
    return { relation: (name) => current().relationNamed(name), foreignKey: (name) => current().foreignKeyNamed(name) };
  }

  /** No user table at all (a fresh database); `load()` must have run. */
  isEmpty(): boolean {
    if (!this.#tables || this.#stale.size > 0) throw new Error('catalog read before load()');
    return this.#tables.size === 0;
  }

  /** These tables changed (idem's DDL ran on them): read them again before the next lookup. */
  touched(names: readonly string[]): void {
    if (!this.#tables) return;
    for (const name of names) this.#stale.add(name);
  }

  /**
   * idem's DDL just applied `op`: the snapshot takes its effect by
   * simulation where that is exact. It is not where the engine decides more
   * than the operation says: the tables it touched are noted as stale then.
   * A simulation starts from a snapshot that holds nothing stale (it may look
   * at other tables: a name PostgreSQL finds taken), so what an earlier
   * such operation left stale is read first.
   */
  async applied(op: SchemaChange, rules: SimulationRules): Promise<void> {
    if (!this.#tables) return;
    await this.load();
    const { changes, exact } = simulateChanges(this.#tables, op, rules);
    if (!exact) {
      this.touched(touchedTables(op));
      return;
    }
    for (const [name, table] of changes) {
      if (table) {
        this.#tables.set(name, table);
        this.#simulated.add(name);
      } else {
        this.#tables.delete(name);
        this.#simulated.delete(name);
      }
    }
  }

  invalidate(): void {
    this.#tables = undefined;
    this.#stale.clear();
    this.#simulated.clear();
  }
}

/** A lookup of a table idem's DDL changed since it was read: load() and look again. */
export class StaleTable extends Error {
  readonly table: string;

  constructor(table: string) {
    super(`table ${table} was read before load() after it changed`);
    this.table = table;
  }
}
