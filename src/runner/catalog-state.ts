/**
 * The catalog as the run knows it: read once, then refreshed only for the
 * tables idem's own DDL touched. Raw SQL may change anything, so it drops the
 * whole snapshot and the next check reads it again. This is what keeps the
 * number of catalog queries flat however many checks a run makes.
 */
import type { CatalogTable } from '../catalog/snapshot.ts';
import type { CatalogReader } from '../dialect/dialect.ts';

export class CatalogState {
  readonly #reader: CatalogReader;
  #tables: Map<string, CatalogTable> | undefined;

  constructor(reader: CatalogReader) {
    this.#reader = reader;
  }

  async load(): Promise<void> {
    if (!this.#tables) this.#tables = (await this.#reader.readAll()).tables;
  }

  /** Synchronous lookup; `load()` must have run since the last invalidation. */
  table(name: string): CatalogTable | undefined {
    if (!this.#tables) throw new Error('catalog read before load()');
    return this.#tables.get(name);
  }

  /** No user table at all (a fresh database); `load()` must have run. */
  isEmpty(): boolean {
    if (!this.#tables) throw new Error('catalog read before load()');
    return this.#tables.size === 0;
  }

  async refresh(names: readonly string[]): Promise<void> {
    if (!this.#tables) return this.load();
    const fresh = await this.#reader.readTables(names);
    for (const name of names) {
      const table = fresh.get(name);
      if (table) this.#tables.set(name, table);
      else this.#tables.delete(name);
    }
  }

  invalidate(): void {
    this.#tables = undefined;
  }
}
