/**
 * `up` keeps its catalog snapshot current by simulating each operation it
 * applied (src/catalog/simulate.ts) instead of reading the tables again, and
 * `plan` predicts with the same simulation. That holds only if the
 * simulation is what the engine then reports. Here every operation kind runs
 * on every engine: the catalog read before it, with the operation simulated,
 * must equal the catalog read after it, wherever the simulation says it is
 * exact; and the operations of an ordinary migration must be exact.
 *
 * "Equal" as the run uses the snapshot: defaults through the dialect's
 * normalizeDefault, RESTRICT and NO ACTION alike, an index's CREATE text
 * (SQLite) left out. The compilers that use those read the table instead
 * (DdlCompiler.readsCatalog).
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { simulateOperation } from '../../src/catalog/simulate.ts';
import type { CatalogTable } from '../../src/catalog/snapshot.ts';
import { openSession } from '../../src/dialect/connect.ts';
import { parseConnectionUrl } from '../../src/dialect/connection-url.ts';
import type { DialectSession } from '../../src/dialect/dialect.ts';
import { createMigrationContext, type MigrationContext, type OperationExecutor } from '../../src/plan/migration-context.ts';
import { operationTarget, type Operation, type ReferentialAction } from '../../src/plan/operations.ts';
import { classify } from '../../src/runner/classify.ts';
import { IDEM_TABLES } from '../../src/runner/idem-tables.ts';
import { engines, type TestDatabase } from '../engines.ts';

interface Step {
  op: string;
  /** The simulation's own verdict. */
  exact: boolean;
  /** Where simulated and real differ, one line each. */
  differences: string[];
}

/** Runs `steps` as the live run would (classify, compile, execute), comparing simulated and real catalogs after each operation. */
async function simulateAlongside(url: string, steps: (m: MigrationContext) => Promise<void>, setup: string[] = []): Promise<Step[]> {
  const session = await openSession(parseConnectionUrl(url), IDEM_TABLES);
  const results: Step[] = [];
  try {
    for (const sql of setup) await session.driver.execute(sql);
    const executor: OperationExecutor = {
      dialect: session.dialect,
      async run(op: Operation) {
        if (op.kind === 'sql' || op.kind === 'executeIf') throw new Error('schema operations only');
        const before = (await session.catalog.readAll()).tables;
        const decision = classify(op, { types: session.types, table: (n) => before.get(n), declared: () => undefined });
        if (decision.action !== 'apply') throw new Error(`${op.kind} ${operationTarget(op)}: ${decision.action}, ${decision.detail}`);
        const applied = decision.op;
        for (const s of session.ddl.compile(applied, before.get(applied.kind === 'renameTable' ? applied.from : applied.table))) {
          await session.driver.execute(s.sql, s.params);
        }
        const real = (await session.catalog.readAll()).tables;
        const simulated = simulateOperation(before, applied, session);
        const differences: string[] = [];
        for (const name of new Set([...real.keys(), ...simulated.tables.keys()])) {
          for (const d of tableDifferences(session, simulated.tables.get(name), real.get(name))) differences.push(`${name} ${d}`);
        }
        results.push({ op: `${op.kind} ${operationTarget(op)}`, exact: simulated.exact, differences });
        return { outcome: 'applied' };
      },
      tableExists: async () => false,
      columnExists: async () => false,
      indexExists: async () => false,
      query: async () => [],
      summary: async () => { throw new Error('not used'); },
      log() {},
    };
    await steps(createMigrationContext(executor));
  } finally {
    await session.close();
  }
  return results;
}

function tableDifferences(session: DialectSession, simulated: CatalogTable | undefined, real: CatalogTable | undefined): string[] {
  if (!simulated || !real) return simulated === real ? [] : [`simulated ${simulated ? 'present' : 'absent'}, real ${real ? 'present' : 'absent'}`];
  const out: string[] = [];
  const field = (what: string, a: unknown, b: unknown): void => {
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${what}: simulated ${JSON.stringify(a)}, real ${JSON.stringify(b)}`);
  };
  field('columns', simulated.columns.map((c) => c.name), real.columns.map((c) => c.name));
  for (const c of simulated.columns) {
    const r = real.columns.find((x) => x.name === c.name);
    if (!r) continue;
    field(`column ${c.name} type`, c.type, r.type);
    field(`column ${c.name} nullable`, c.nullable, r.nullable);
    field(`column ${c.name} autoIncrement`, c.autoIncrement, r.autoIncrement);
    field(`column ${c.name} default`, session.types.normalizeDefault(c.default), session.types.normalizeDefault(r.default));
  }
  field('primaryKey', simulated.primaryKey, real.primaryKey);
  const indexes = (t: CatalogTable) => new Map(t.indexes.map(({ sql: _sql, partial, ...i }) => [i.name, { ...i, partial: partial === true }]));
  const si = indexes(simulated), ri = indexes(real);
  for (const n of new Set([...si.keys(), ...ri.keys()])) field(`index ${n}`, si.get(n), ri.get(n));
  const refuse = (a: ReferentialAction) => (a === 'restrict' ? 'no action' : a);
  const keys = (t: CatalogTable) => new Map(t.foreignKeys.map((f) => [String(f.name), { ...f, onDelete: refuse(f.onDelete), onUpdate: refuse(f.onUpdate) }]));
  const sf = keys(simulated), rf = keys(real);
  for (const n of new Set([...sf.keys(), ...rf.keys()])) field(`foreignKey ${n}`, sf.get(n), rf.get(n));
  return out;
}

/** Operations on tables without foreign keys: what ordinary migrations do. Each must be simulated exactly. */
async function plainTables(m: MigrationContext): Promise<void> {
  await m.createTable('users', {
    id: { type: 'integer', primaryKey: true, autoIncrement: true },
    email: { type: 'string', length: 100, nullable: false, unique: true },
    role: { type: 'string', length: 20, nullable: false, default: 'user' },
    bio: { type: 'text' },
    score: { type: 'decimal', precision: 10, scale: 2, default: 0 },
    big: { type: 'bigint' },
    active: { type: 'boolean', nullable: false, default: true },
    born: { type: 'date' },
    seen: { type: 'timestamp', default: { sql: 'CURRENT_TIMESTAMP' } },
    meta: { type: 'json' },
    token: { type: 'uuid' },
  });
  await m.createIndex('users', ['role']);
  await m.createIndex('users', ['role', 'email'], { unique: true, name: 'ux_role_email' });
  await m.addColumn('users', 'api_key', { type: 'string', length: 64, nullable: true });
  await m.addColumn('users', 'code', { type: 'string', length: 10, unique: true });
  await m.addColumn('users', 'level', { type: 'integer', nullable: false, default: 1 });
  await m.addUnique('users', ['api_key', 'level']);
  await m.renameColumn('users', 'bio', 'about');
  await m.dropIndex('users', 'ix_users_role');
  await m.dropUnique('users', 'uq_users_api_key_level');
  await m.dropColumn('users', 'about');
  await m.dropColumn('users', 'role');
  // A key of text, and of two columns: an index of its own on every engine.
  await m.createTable('codes', { code: { type: 'string', length: 8, primaryKey: true }, label: { type: 'string', length: 40 } });
  await m.createTable('tags', { post_id: { type: 'integer', nullable: false }, tag: { type: 'string', length: 30, nullable: false } }, { primaryKey: ['post_id', 'tag'] });
  await m.createTable('plain', { note: { type: 'text' } }, { indexes: [{ columns: ['note'], unique: true }] });
  await m.renameTable('tags', 'labels');
  await m.createIndex('labels', ['tag']);
  await m.dropTable('codes');
  // PostgreSQL cuts the key's name to 63 bytes.
  await m.createTable('a_table_name_long_enough_that_postgres_cuts_its_pkey_name_xx', { id: { type: 'integer', primaryKey: true } });
}

/** Foreign keys, alterations and rebuilds: exact where the simulation says so, read again where not. */
async function keysAndAlterations(m: MigrationContext): Promise<void> {
  await m.createTable('users', {
    id: { type: 'integer', primaryKey: true, autoIncrement: true },
    email: { type: 'string', length: 100, nullable: false, unique: true },
    api_key: { type: 'string', length: 64 },
    level: { type: 'integer', nullable: false, default: 1 },
    code: { type: 'string', length: 10, unique: true },
  });
  await m.alterColumn('users', 'email', { length: 200 });
  await m.alterColumn('users', 'api_key', { nullable: false, default: 'none' });
  await m.alterColumn('users', 'level', { type: 'bigint' });
  await m.alterColumn('users', 'code', { unique: false });
  await m.createTable('posts', {
    id: { type: 'integer', primaryKey: true, autoIncrement: true },
    user_id: { type: 'integer', nullable: false },
    title: { type: 'string', length: 100, nullable: false },
  }, { foreignKeys: [{ columns: ['user_id'], references: { table: 'users', columns: ['id'] } }] });
  await m.createTable('tags', { post_id: { type: 'integer', nullable: false }, tag: { type: 'string', length: 30, nullable: false } }, { primaryKey: ['post_id', 'tag'] });
  await m.addForeignKey('tags', ['post_id'], 'posts', ['id'], { onDelete: 'cascade' });
  await m.addUnique('posts', ['title', 'user_id']);
  await m.renameColumn('posts', 'title', 'headline');
  await m.createIndex('posts', ['headline']);
  await m.renameTable('posts', 'articles');
  // PostgreSQL kept `posts_pkey` with the renamed table: a new posts gets another name.
  await m.createTable('posts', { id: { type: 'integer', primaryKey: true } });
  await m.dropForeignKey('tags', 'fk_tags_post_id_posts');
  await m.dropUnique('articles', 'uq_posts_title_user_id');
  await m.dropColumn('articles', 'headline');
  await m.dropTable('tags');
}

/** A table an init script made, with keys the engine named: what adoption meets. */
const HAND_MADE = ['CREATE TABLE legacy (id INTEGER PRIMARY KEY, email VARCHAR(100) UNIQUE, nick VARCHAR(20), code VARCHAR(10), UNIQUE (nick, code))'];

async function handMadeTable(m: MigrationContext): Promise<void> {
  await m.addColumn('legacy', 'note', { type: 'string', length: 50 });
  await m.createIndex('legacy', ['code']);
  await m.renameColumn('legacy', 'email', 'mail');
  await m.dropColumn('legacy', 'mail');
  await m.addUnique('legacy', ['note']);
  await m.dropColumn('legacy', 'code');
  await m.dropIndex('legacy', 'uq_legacy_note');
}

const ORDINARY_KINDS = new Set(['createTable', 'dropTable', 'renameTable', 'addColumn', 'dropColumn', 'renameColumn', 'createIndex', 'dropIndex', 'addUnique', 'dropUnique']);

const dbs: TestDatabase[] = [];
after(async () => {
  for (const db of dbs) await db.drop();
});

for (const engine of engines) {
  describe(`${engine.name}: the simulated catalog is the engine's`, () => {
    test(`${engine.name}: tables without foreign keys, every operation exact`, async () => {
      const db = await engine.createDatabase();
      dbs.push(db);
      const steps = await simulateAlongside(db.url, plainTables);
      assert.deepEqual(steps.filter((s) => !s.exact).map((s) => s.op), [], 'ordinary operations are simulated, not read again');
      assert.deepEqual(steps.flatMap((s) => s.differences.map((d) => `${s.op}: ${d}`)), []);
      assert.ok(new Set(steps.map((s) => s.op.split(' ')[0])).size === ORDINARY_KINDS.size);
    });

    test(`${engine.name}: foreign keys and alterations, exact wherever the simulation says so`, async () => {
      const db = await engine.createDatabase();
      dbs.push(db);
      const steps = await simulateAlongside(db.url, keysAndAlterations);
      assert.deepEqual(steps.filter((s) => s.exact).flatMap((s) => s.differences.map((d) => `${s.op}: ${d}`)), []);
      // Not a vacuous pass: most of them are simulated on every engine.
      assert.ok(steps.filter((s) => s.exact).length >= 6, steps.map((s) => `${s.op} ${s.exact}`).join(', '));
    });

    test(`${engine.name}: a table made by hand, keys named by the engine, exact wherever the simulation says so`, async () => {
      const db = await engine.createDatabase();
      dbs.push(db);
      const steps = await simulateAlongside(db.url, handMadeTable, HAND_MADE);
      assert.deepEqual(steps.filter((s) => s.exact).flatMap((s) => s.differences.map((d) => `${s.op}: ${d}`)), []);
      assert.ok(steps.filter((s) => s.exact).length >= 4, steps.map((s) => `${s.op} ${s.exact}`).join(', '));
    });
  });
}
