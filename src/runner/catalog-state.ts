/**
 * The catalog as the run knows it: read once, then re-read only for the
 * tables idem's own DDL touched, and only when a later check needs them:
 * the touched tables are noted as stale, and the next `load()` reads every
 * stale table in one query. A migration that creates a table, adds a column
 * to another and indexes the first costs one catalog query, not three. Raw
 * SQL may change anything, so it drops the whole snapshot and the next check
 * reads it again. This is what keeps the number of catalog queries flat
 * however many checks a run makes.
 */
import type { CatalogTable } from '../catalog/snapshot.ts';
import type { CatalogReader } from '../dialect/dialect.ts';

export class CatalogState {
  readonly #reader: CatalogReader;
  #tables: Map<string, CatalogTable> | undefined;
  readonly #stale = new Set<string>();

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
      this.#tables = (await this.#reader.readAll()).tables;
      this.#stale.clear();
      return;
    }
    if (this.#stale.size === 0) return;
    if (needed && !needed.some((name) => this.#stale.has(name))) return;
    const names = [...this.#stale];
    this.#stale.clear();
    const fresh = await this.#reader.readTables(names);
    for (const name of names) {
      const table = fresh.get(name);
      if (table) this.#tables.set(name, table);
      else this.#tables.delete(name);
    }
  }

  /**
   * Synchronous lookup; `load()` must have run. A table still stale throws
   * StaleTable: the caller loads everything stale and asks again.
   */
  table(name: string): CatalogTable | undefined {
    if (!this.#tables) throw new Error('catalog read before load()');
    if (this.#stale.has(name)) throw new StaleTable(name);
    return this.#tables.get(name);
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

  invalidate(): void {
    this.#tables = undefined;
    this.#stale.clear();
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
