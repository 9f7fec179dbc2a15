/**
 * A run's table snapshot that also knows every relation name in it: each
 * table's and each of its indexes'. PostgreSQL keeps both in one namespace
 * per schema, and whether `<table>_pkey` is taken used to be asked of every
 * table's indexes for each createTable: quadratic in a run that creates a
 * thousand tables. Tables are replaced, never changed in place (simulate.ts
 * returns new objects), so counting names on set and delete keeps the index
 * exact.
 */
import { foldCase, type CatalogTable, type TablesByName } from './snapshot.ts';

export class IndexedTables extends Map<string, CatalogTable> implements TablesByName {
  /** How many relations (tables, indexes) carry each name; a name appears twice on two tables' indexes (SQLite, MySQL). */
  readonly #names = new Map<string, number>();
  /** How many foreign keys carry each name (MySQL keeps one namespace of them per database). */
  readonly #foreignKeyNames = new Map<string, number>();
  /** Table names by their case-folded form, for engines that resolve names so (tableNamed()). */
  readonly #folded = new Map<string, string>();

  static of(tables: Iterable<readonly [string, CatalogTable]>): IndexedTables {
    const indexed = new IndexedTables();
    for (const [name, table] of tables) indexed.set(name, table);
    return indexed;
  }

  override set(name: string, table: CatalogTable): this {
    const old = super.get(name);
    if (old !== undefined) this.#count(old, -1);
    this.#count(table, 1);
    this.#folded.set(foldCase(name), name);
    return super.set(name, table);
  }

  override delete(name: string): boolean {
    const old = super.get(name);
    if (old !== undefined) this.#count(old, -1);
    if (this.#folded.get(foldCase(name)) === name) this.#folded.delete(foldCase(name));
    return super.delete(name);
  }

  override clear(): void {
    this.#names.clear();
    this.#foreignKeyNames.clear();
    this.#folded.clear();
    super.clear();
  }

  nameFolded(name: string): string | undefined {
    return this.#folded.get(foldCase(name));
  }

  relationNamed(name: string): boolean {
    return this.#names.has(name);
  }

  foreignKeyNamed(name: string): boolean {
    return this.#foreignKeyNames.has(name);
  }

  #count(table: CatalogTable, by: 1 | -1): void {
    for (const name of [table.name, ...table.indexes.map((i) => i.name)]) countName(this.#names, name, by);
    for (const key of table.foreignKeys) if (key.name !== null) countName(this.#foreignKeyNames, key.name, by);
  }
}

function countName(names: Map<string, number>, name: string, by: 1 | -1): void {
  const count = (names.get(name) ?? 0) + by;
  if (count > 0) names.set(name, count);
  else names.delete(name);
}
