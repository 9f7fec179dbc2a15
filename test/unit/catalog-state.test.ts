/**
 * CatalogState: read once, then kept current by simulating idem's own DDL;
 * where a simulation is not exact, only the tables that DDL touched are read
 * again, only when a check needs them, and every stale table in one query.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IndexedTables } from '../../src/catalog/indexed-tables.ts';
import type { CatalogSnapshot, CatalogTable } from '../../src/catalog/snapshot.ts';
import type { SimulationRules } from '../../src/catalog/simulate.ts';
import type { CatalogReader } from '../../src/dialect/dialect.ts';
import { postgresConventions } from '../../src/dialect/postgres/postgres-conventions.ts';
import { sqliteConventions } from '../../src/dialect/sqlite/sqlite-conventions.ts';
import { SqliteTypeMapper } from '../../src/dialect/sqlite/sqlite-types.ts';
import type { Operation } from '../../src/plan/operations.ts';
import { CatalogState, StaleTable } from '../../src/runner/catalog-state.ts';

const SQLITE: SimulationRules = { types: new SqliteTypeMapper(), conventions: sqliteConventions };
const addColumn = (t: string, c: string): Extract<Operation, { kind: 'addColumn' }> => ({ kind: 'addColumn', table: t, column: c, spec: { type: 'integer' } });

function table(name: string, columns: string[] = ['id']): CatalogTable {
  return {
    name, primaryKey: [], indexes: [], foreignKeys: [],
    columns: columns.map((c) => ({ name: c, type: { raw: 'integer' }, nullable: true, default: null, autoIncrement: false })),
  } as unknown as CatalogTable;
}

/** A reader over a mutable "database", counting its queries. */
function fakeReader(db: Map<string, CatalogTable>) {
  const calls: Array<string[] | 'all'> = [];
  const reader = {
    async readAll(): Promise<CatalogSnapshot> {
      calls.push('all');
      return { tables: new Map(db) };
    },
    async readTables(names: readonly string[]): Promise<Map<string, CatalogTable>> {
      calls.push([...names].sort());
      return new Map([...db].filter(([n]) => names.includes(n)));
    },
    async hasTable(name: string) { return db.has(name); },
  } as unknown as CatalogReader;
  return { reader, calls };
}

describe('CatalogState', () => {
  test('finds a table in another case only where the snapshot says the engine folds table names (MySQL lower_case_table_names 1 or 2, SQLite)', async () => {
    const db = new Map([['Users', table('Users')]]);
    const exact = new CatalogState(fakeReader(db).reader);
    await exact.load();
    assert.equal(exact.table('users'), undefined);
    const folding = {
      async readAll(): Promise<CatalogSnapshot> { return { tables: new Map(db), tableNamesFoldCase: true }; },
      async readTables() { return new Map(); },
      async hasTable() { return true; },
    } as unknown as CatalogReader;
    const state = new CatalogState(folding);
    await state.load();
    assert.equal(state.table('users')?.name, 'Users');
    assert.equal(state.table('USERS')?.name, 'Users');
    assert.equal(state.table('userz'), undefined);
  });

  test('reads everything once, then nothing until a table is touched', async () => {
    const db = new Map([['a', table('a')]]);
    const { reader, calls } = fakeReader(db);
    const state = new CatalogState(reader);
    await state.load();
    await state.load();
    assert.deepEqual(calls, ['all']);
    assert.equal(state.table('a')?.name, 'a');
    assert.equal(state.table('b'), undefined);
  });

  test('touched tables are read again only when a check needs one of them, all stale ones in one query', async () => {
    const db = new Map([['a', table('a')]]);
    const { reader, calls } = fakeReader(db);
    const state = new CatalogState(reader);
    await state.load();
    db.set('b', table('b'));
    state.touched(['b']);
    db.set('a', table('a', ['id', 'c']));
    state.touched(['a']);
    await state.load(['z']); // an operation on an untouched table pays nothing
    assert.deepEqual(calls, ['all']);
    assert.throws(() => state.table('a'), StaleTable, 'a stale table is never answered from the old snapshot');
    assert.equal(state.table('z'), undefined, 'a table not touched is answered');
    await state.load(['a']);
    assert.deepEqual(calls, ['all', ['a', 'b']], 'one query for every stale table');
    assert.deepEqual(state.table('a')?.columns.map((c) => c.name), ['id', 'c']);
    assert.equal(state.table('b')?.name, 'b');
  });

  test('a touched table that no longer exists leaves the snapshot', async () => {
    const db = new Map([['a', table('a')]]);
    const { reader } = fakeReader(db);
    const state = new CatalogState(reader);
    await state.load();
    db.delete('a');
    state.touched(['a']);
    await state.load();
    assert.equal(state.table('a'), undefined);
    assert.equal(state.isEmpty(), true);
  });

  test('invalidate drops the snapshot and the stale set: the next load reads everything', async () => {
    const db = new Map([['a', table('a')]]);
    const { reader, calls } = fakeReader(db);
    const state = new CatalogState(reader);
    await state.load();
    state.touched(['a']);
    state.invalidate();
    assert.throws(() => state.table('a'), /before load/);
    await state.load(['a']);
    assert.deepEqual(calls, ['all', 'all']);
    assert.equal(state.table('a')?.name, 'a');
  });

  test('applied DDL is simulated into the snapshot: no read, but a compiler that needs the real table reads it', async () => {
    const db = new Map([['a', table('a')]]);
    const { reader, calls } = fakeReader(db);
    const state = new CatalogState(reader);
    await state.load();
    db.set('a', table('a', ['id', 'c']));
    await state.applied(addColumn('a', 'c'), SQLITE);
    await state.load(['a']);
    assert.deepEqual(state.table('a')?.columns.map((c) => c.name), ['id', 'c']);
    assert.deepEqual(calls, ['all'], 'the simulation stands in for a read');
    await state.read('a');
    assert.deepEqual(calls, ['all', ['a']], 'read() fetches a simulated table');
    await state.read('a');
    assert.deepEqual(calls, ['all', ['a']], 'and only once: it is real now');
  });

  test('DDL whose effect the engine decides is read again instead; the next simulation starts from that read', async () => {
    const db = new Map([['a', table('a')], ['b', table('b')]]);
    const { reader, calls } = fakeReader(db);
    const state = new CatalogState(reader);
    await state.load();
    // SQLite rebuilds the table to alter a column: not simulated.
    await state.applied({ kind: 'alterColumn', table: 'a', column: 'id', changes: { nullable: false } }, SQLITE);
    assert.throws(() => state.table('a'), StaleTable);
    db.set('b', table('b', ['id', 'c']));
    await state.applied(addColumn('b', 'c'), SQLITE);
    assert.deepEqual(calls, ['all', ['a']], 'the stale table is read before simulating over the snapshot');
    assert.deepEqual(state.table('b')?.columns.map((c) => c.name), ['id', 'c']);
    assert.equal(state.table('a')?.name, 'a');
  });
});

describe('IndexedTables', () => {
  const withIndexes = (name: string, indexes: string[]): CatalogTable =>
    ({ ...table(name), indexes: indexes.map((i) => ({ name: i, columns: ['id'], unique: false, origin: 'index' })) }) as CatalogTable;

  test('knows every table and index name as tables are set, replaced and deleted', () => {
    const tables = IndexedTables.of([['a', withIndexes('a', ['a_pkey', 'shared'])], ['b', withIndexes('b', ['shared'])]]);
    for (const name of ['a', 'b', 'a_pkey', 'shared']) assert.equal(tables.relationNamed(name), true, name);
    assert.equal(tables.relationNamed('c'), false);
    tables.set('a', withIndexes('a', ['a_other']));
    assert.equal(tables.relationNamed('a_pkey'), false, 'the replaced table\'s index is gone');
    assert.equal(tables.relationNamed('shared'), true, 'still on b');
    tables.delete('b');
    assert.deepEqual(['a', 'a_other', 'b', 'shared'].map((n) => tables.relationNamed(n)), [true, true, false, false]);
    tables.clear();
    assert.equal(tables.relationNamed('a'), false);
  });

  test('PostgreSQL\'s primary key name is judged the same from the index as by looking at every table', () => {
    const declared = { ...table('t'), primaryKey: ['id'] } as CatalogTable;
    for (const taken of [[], ['t_pkey']]) {
      const plain = new Map([['other', withIndexes('other', taken)]]);
      const viaScan = postgresConventions.createdTable(declared, plain);
      const viaIndex = postgresConventions.createdTable(declared, IndexedTables.of(plain));
      assert.deepEqual(viaIndex, viaScan);
      assert.equal(viaIndex === undefined, taken.length > 0, 'a taken name is left to a catalog read');
    }
  });
});
