/**
 * Tables and columns a run left absent because a later migration of the same
 * run removes them (lookahead.ts, laterRemoval). A data operation between the
 * create and the drop may read one of them: on a database already in its
 * final shape the statement then fails on a missing object, and that failure
 * means the data work has nothing to do (the object it reads or fills is not
 * there, and will not be). A database that still has the object left nothing
 * absent, so its data work runs as always; and a statement that fails on any
 * other missing object still fails.
 */
import type { MissingObject } from '../dialect/dialect.ts';

export class LeftAbsent {
  /** `table` or `table.column`, lower-cased for the engines that fold names: the revision that removes it. */
  readonly #tables = new Map<string, string>();
  readonly #columns = new Map<string, string>();

  get isEmpty(): boolean {
    return this.#tables.size === 0 && this.#columns.size === 0;
  }

  add(object: { table: string; column?: string }, removedBy: string): void {
    if (object.column === undefined) this.#tables.set(object.table.toLowerCase(), removedBy);
    else this.#columns.set(object.column.toLowerCase(), removedBy);
  }

  /**
   * The revision that removes the object an engine error names, if this run
   * left it absent. Engines name a column without its table (`no such column:
   * old_name`, `column "old_name" does not exist`), so a column is matched by
   * its name alone.
   */
  removing(missing: MissingObject): string | undefined {
    const name = missing.name.toLowerCase();
    return missing.kind === 'table' ? this.#tables.get(name) : this.#columns.get(name);
  }
}
