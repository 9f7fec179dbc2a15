/**
 * Where DDL commits as it goes (MariaDB, MySQL), a killed migration stays
 * half-applied and its re-run meets, early in the migration, what its own
 * later operations did. Some patterns cannot converge from there today; the
 * random chain generator leaves them out on such engines (unless asked not
 * to, IDEM_FUZZ_KNOWN=1), so the property keeps looking for new failures.
 * Each has a deterministic reproduction in test/engine/half-applied-rerun.test.ts:
 *
 * 1. An operation on a table or column that a later operation of the same
 *    migration drops: on the re-run the table or column is gone and the
 *    operation fails (`addColumn t.a: table t does not exist`, `Key column 'a'
 *    doesn't exist`) instead of being left to the drop.
 * 2. A name a rename moved away from, reused later in the same migration
 *    (renameTable t -> u, then createTable t): the re-run finds both names and
 *    refuses the rename.
 * 3. A key or NOT NULL added and then dropped or relaxed in the same
 *    migration, with data the key refuses written in between or after: the
 *    re-run adds the key again, over that data, and fails.
 * 4. A data operation whose condition (or an update's column) names a table or
 *    column that a later operation of the same migration renames or drops: the
 *    re-run's condition query fails. idem cannot rewrite a migration's SQL.
 * 5. A column name a drop freed, taken again in the same migration (by
 *    addColumn or a rename), or a table name a drop freed, taken by a rename:
 *    the re-run's drop removes the new one. With a rename the re-run then
 *    fails; with addColumn it succeeds and the values written to the new
 *    column are silently lost.
 * 6. A table or column renamed more than once in the chain (t1 -> t2, later
 *    t2 -> t3), the run killed between the renames: the re-run looks for it
 *    only under its last name, recreates t1 (or fails: both t1 and t2 exist).
 *
 * One scope per migration; it records what the migration did so far and
 * answers whether the next operation would make one of these patterns.
 * `renamedInto` is the chain's: the names (`t`, `t.c`) any rename produced.
 */
export class HalfAppliedRules {
  /** The chain's, shared by every migration's scope. */
  readonly #renamedInto: Set<string>;
  /** Tables, and `table.column` keys, an operation of this migration asked for. */
  readonly #named = new Set<string>();
  /** Tables this migration created (its re-run creates them again before anything uses them). */
  readonly #created = new Set<string>();
  /** Names (`t`, `t.c`) a rename of this migration moved away from, and columns it dropped. */
  readonly #vacated = new Set<string>();
  /** Tables this migration dropped. */
  readonly #dropped = new Set<string>();
  /** Tables and `table.column` keys a data operation of this migration names in SQL. */
  readonly #readByData = new Set<string>();
  /** Key names added, and `table.column` keys made NOT NULL, by this migration. */
  readonly #tightened = new Set<string>();

  constructor(renamedInto: Set<string>) {
    this.#renamedInto = renamedInto;
  }

  named(...objects: string[]): void {
    for (const o of objects) this.#named.add(o);
  }

  created(table: string): void {
    this.#created.add(table);
  }

  vacated(name: string): void {
    this.#vacated.add(name);
  }

  renamed(from: string, to: string): void {
    this.#vacated.add(from);
    this.#renamedInto.add(to);
  }

  dropped(table: string): void {
    this.#dropped.add(table);
  }

  readByData(...objects: string[]): void {
    for (const o of objects) this.#readByData.add(o);
  }

  tightened(...objects: string[]): void {
    for (const o of objects) this.#tightened.add(o);
  }

  /** Pattern 2: not a name this migration renamed something away from, nor one it already used. */
  mayCreateTable(name: string): boolean {
    return !this.#vacated.has(name) && !this.#named.has(name);
  }

  /** Patterns 2 and 5 (a table dropped and created again converges: its rows are all this migration's, written again). */
  mayRenameTableTo(name: string): boolean {
    return this.mayCreateTable(name) && !this.#dropped.has(name);
  }

  /** Patterns 1 and 4, unless this migration created the table (its re-run creates it again first). */
  mayDropTable(table: string): boolean {
    return this.#created.has(table) || !(this.#named.has(table) || this.#readByData.has(table));
  }

  /** Patterns 4 and 6. */
  mayRenameTable(table: string): boolean {
    return !this.#readByData.has(table) && !this.#renamedInto.has(table);
  }

  /** Patterns 2 and 5. */
  mayTakeColumnName(table: string, column: string): boolean {
    return !this.#vacated.has(`${table}.${column}`);
  }

  /** Patterns 1, 3 (a NOT NULL column without default, added to a table that then got rows) and 4. */
  mayDropColumn(table: string, column: string): boolean {
    const key = `${table}.${column}`;
    return !this.#named.has(key) && !this.#readByData.has(key) && !this.#tightened.has(key);
  }

  /** Patterns 4 and 6. */
  mayRenameColumn(table: string, column: string): boolean {
    return !this.#readByData.has(`${table}.${column}`) && !this.#renamedInto.has(`${table}.${column}`);
  }

  /** Pattern 3: a NOT NULL made here is not relaxed here. */
  mayMakeNullable(table: string, column: string): boolean {
    return !this.#tightened.has(`${table}.${column}`);
  }

  /** Pattern 3: a key added here is not dropped here. */
  mayDropKey(name: string): boolean {
    return !this.#tightened.has(name);
  }
}
