/**
 * A run's table snapshot that also knows every relation name in it: each
 * table's and each of its indexes'. PostgreSQL keeps both in one namespace
 * per schema, and whether `<table>_pkey` is taken used to be asked of every
 * table's indexes for each createTable: quadratic in a run that creates a
 * thousand tables. Tables are replaced, never changed in place (simulate.ts
 * returns new objects), so counting names on set and delete keeps the index
 * exact.
 */
import type { CatalogTable, TablesByName } from './snapshot.ts';

export class IndexedTables extends Map<string, CatalogTable> implements TablesByName {
  /** How many relations (tables, indexes) carry each name; a name appears twice on two tables' indexes (SQLite, MySQL). */
  readonly #names = new Map<string, number>();

  static of(tables: Iterable<readonly [string, CatalogTable]>): IndexedTables {
    const indexed = new IndexedTables();
    for (const [name, table] of tables) indexed.set(name, table);
    return indexed;
  }

  override set(name: string, table: CatalogTable): this {
    const old = super.get(name);
    if (old !== undefined) this.#count(old, -1);
    this.#count(table, 1);
    return super.set(name, table);
  }

  override delete(name: string): boolean {
    const old = super.get(name);
    if (old !== undefined) this.#count(old, -1);
    return super.delete(name);
  }

  override clear(): void {
    this.#names.clear();
    super.clear();
  }

  relationNamed(name: string): boolean {
    return this.#names.has(name);
  }

  #count(table: CatalogTable, by: 1 | -1): void {
    for (const name of [table.name, ...table.indexes.map((i) => i.name)]) {
      const count = (this.#names.get(name) ?? 0) + by;
      if (count > 0) this.#names.set(name, count);
      else this.#names.delete(name);
    }
  }
}
