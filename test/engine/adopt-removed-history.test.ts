/**
 * Adoption over a history that creates something and a later migration
 * removes it. A database already in the final shape (made by a clean run,
 * then its version table lost) must adopt with nothing applied and no error:
 * the transient object is absent, and re-creating it would only be dropped
 * again, or fail outright when today's data violates it (two users sharing an
 * email once the unique key went, a child row whose parent key went). A
 * create, drop, create-again chain is judged by the object's last declared
 * shape, so the drop in the middle never empties the table the database has.
 * And a data migration between the create and the drop that reads the absent
 * object is skipped with the reason, while a partial database that still has
 * the object gets the data work done.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { opDetails, upOk, withProject } from '../support/scenario.ts';
import { opLines, type TestProject } from '../support/project.ts';

const id = `id: { type: 'integer', primaryKey: true }`;

/** Empties the version table, then `up`: exit 0, every operation skipped, schema and rows as before. */
async function adoptsUnchanged(p: TestProject, revisions: string[]): Promise<string[]> {
  const before = await p.fingerprint();
  await p.exec('DELETE FROM idem_version');
  const plan = await p.cli(['--json', 'plan']);
  assert.equal(plan.code, 0, show(plan));
  assert.deepEqual(opLines(plan).filter((l) => !l.startsWith('skipped ')), [], opDetails(plan).join('\n'));
  const run = await p.cli(['--json', 'up']);
  assert.equal(run.code, 0, show(run));
  assert.deepEqual(opLines(run).filter((l) => !l.startsWith('skipped ')), [], opDetails(run).join('\n'));
  assert.deepEqual(await p.recorded(), revisions);
  assert.equal(await p.fingerprint(), before, 'adoption changed the schema or the rows');
  return opDetails(run);
}

for (const engine of engines) {
  test(`${engine.name}: a unique key and a table that a later migration drops are not re-created on adoption`, () => withProject(engine, async (p) => {
    await p.write({
      revision: 'v1',
      up: `await m.createTable('users', { ${id}, email: { type: 'string', length: 100 } });
await m.addUnique('users', ['email'], { name: 'uq_users_email' });
await m.createTable('legacy', { ${id} });`,
    });
    await p.write({ revision: 'v2', revises: 'v1', up: `await m.dropUnique('users', 'uq_users_email');\nawait m.dropTable('legacy');` });
    await upOk(p);
    await p.exec(`INSERT INTO users (id, email) VALUES (1, 'a@x'), (2, 'a@x')`);
    const lines = await adoptsUnchanged(p, ['v1', 'v2']);
    assert.ok(lines.includes('skipped addUnique users.uq_users_email — absent; dropped later by v2'), lines.join('\n'));
    assert.ok(lines.includes('skipped createTable legacy — absent; dropped later by v2'), lines.join('\n'));
    const doctor = await p.cli(['doctor']);
    assert.equal(doctor.code, 0, show(doctor));
    const verify = await p.cli(['verify']);
    assert.equal(verify.code, 0, show(verify));
  }));

  test(`${engine.name}: a foreign key that a later migration drops is not re-created over rows that violate it`, () => withProject(engine, async (p) => {
    await p.write({
      revision: 'v1',
      up: `await m.createTable('parent', { ${id} });
await m.createTable('child', { ${id}, parent_id: { type: 'integer' } });
await m.addForeignKey('child', ['parent_id'], 'parent', ['id'], { name: 'fk_child_parent' });`,
    });
    await p.write({ revision: 'v2', revises: 'v1', up: `await m.dropForeignKey('child', 'fk_child_parent');` });
    await upOk(p);
    await p.exec(`INSERT INTO child (id, parent_id) VALUES (1, 99)`);
    const lines = await adoptsUnchanged(p, ['v1', 'v2']);
    assert.ok(lines.includes('skipped addForeignKey child.fk_child_parent — absent; dropped later by v2'), lines.join('\n'));
  }));

  test(`${engine.name}: columns, indexes and a table's contents that later migrations drop are left absent`, () => withProject(engine, async (p) => {
    await p.write({
      revision: 'v1',
      up: `await m.createTable('users', { ${id}, email: { type: 'string', length: 100 } });
await m.addColumn('users', 'old_flag', { type: 'integer' });
await m.createIndex('users', ['old_flag'], { name: 'ix_users_old_flag' });
await m.createIndex('users', ['email'], { name: 'ix_users_email' });
await m.createTable('scratch', { ${id}, v: { type: 'integer' } });`,
    });
    await p.write({
      revision: 'v2', revises: 'v1',
      up: `await m.addColumn('scratch', 'w', { type: 'integer' });
await m.createIndex('scratch', ['v'], { name: 'ix_scratch_v' });
await m.alterColumn('users', 'old_flag', { nullable: false, default: 0 });`,
    });
    await p.write({
      revision: 'v3', revises: 'v2',
      up: `await m.dropIndex('users', 'ix_users_email');
await m.dropIndex('users', 'ix_users_old_flag');
await m.dropColumn('users', 'old_flag');
await m.dropTable('scratch');`,
    });
    await upOk(p);
    const lines = await adoptsUnchanged(p, ['v1', 'v2', 'v3']);
    for (const line of [
      'skipped addColumn users.old_flag — absent; dropped later by v3',
      'skipped createIndex users.ix_users_old_flag — absent; dropped later by v3',
      'skipped createIndex users.ix_users_email — absent; dropped later by v3',
      'skipped addColumn scratch.w — table scratch absent; dropped later by v3',
      'skipped alterColumn users.old_flag — absent; dropped later by v3',
    ]) assert.ok(lines.includes(line), `${line}\nnot in\n${lines.join('\n')}`);
  }));

  test(`${engine.name}: a table created, dropped and created again keeps its rows on adoption`, () => withProject(engine, async (p) => {
    await p.write({ revision: 'v1', up: `await m.createTable('events', { ${id}, a: { type: 'integer' } });` });
    await p.write({ revision: 'v2', revises: 'v1', up: `await m.dropTable('events');` });
    await p.write({ revision: 'v3', revises: 'v2', up: `await m.createTable('events', { ${id}, b: { type: 'string', length: 20 } });` });
    await p.write({ revision: 'v4', revises: 'v3', up: `await m.addColumn('events', 'c', { type: 'integer' });` });
    await upOk(p);
    await p.exec(`INSERT INTO events (id, b, c) VALUES (1, 'kept', 7)`);
    const lines = await adoptsUnchanged(p, ['v1', 'v2', 'v3', 'v4']);
    assert.ok(lines.some((l) => l.startsWith('skipped dropTable events — exists as v3 creates it again')), lines.join('\n'));
    assert.deepEqual(await p.query('SELECT id, b FROM events'), [{ id: 1, b: 'kept' }]);
  }));

  test(`${engine.name}: a column and a key created, dropped and created again in another shape are judged by the last one`, () => withProject(engine, async (p) => {
    await p.write({
      revision: 'v1',
      up: `await m.createTable('t', { ${id}, a: { type: 'integer' }, b: { type: 'integer' }, note: { type: 'integer' } });
await m.addUnique('t', ['a'], { name: 'uq_t_key' });`,
    });
    await p.write({ revision: 'v2', revises: 'v1', up: `await m.dropUnique('t', 'uq_t_key');\nawait m.dropColumn('t', 'note');` });
    await p.write({
      revision: 'v3', revises: 'v2',
      up: `await m.addUnique('t', ['a', 'b'], { name: 'uq_t_key' });\nawait m.addColumn('t', 'note', { type: 'string', length: 40 });`,
    });
    await upOk(p);
    await p.exec(`INSERT INTO t (id, a, b, note) VALUES (1, 1, 1, 'kept'), (2, 1, 2, 'also')`);
    const lines = await adoptsUnchanged(p, ['v1', 'v2', 'v3']);
    assert.ok(lines.some((l) => l.startsWith('skipped dropColumn t.note — exists as v3 creates it again')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('skipped dropUnique t.uq_t_key — exists as v3 creates it again')), lines.join('\n'));
  }));

  // Found by the adoption property (seed 20240601, every engine): a key createTable declares on a
  // column a later migration drops went with the column, and was reported as drift.
  test(`${engine.name}: keys a table declares on a column that a later migration drops are not drift`, () => withProject(engine, async (p) => {
    await p.write({
      revision: 'v1',
      up: `await m.createTable('t1', { ${id}, a: { type: 'integer' }, b: { type: 'integer' }, p_id: { type: 'integer' } }, {
  indexes: [{ columns: ['a'] }, { columns: ['b'], unique: true }],
  foreignKeys: [{ columns: ['p_id'], references: { table: 't1', columns: ['id'] }, name: 'fk0' }],
});`,
    });
    await p.write({ revision: 'v2', revises: 'v1', up: `await m.dropForeignKey('t1', 'fk0');\nawait m.dropColumn('t1', 'p_id');\nawait m.dropColumn('t1', 'a');\nawait m.dropIndex('t1', 'uq_t1_b');\nawait m.dropColumn('t1', 'b');` });
    await upOk(p);
    await adoptsUnchanged(p, ['v1', 'v2']);
    const strict = await p.cli(['--json', 'plan', '--strict']);
    assert.equal(strict.code, 0, show(strict));
  }));

  // Found by the adoption property (seed 20240601, every engine): a column's own unique: true whose key a
  // later migration drops was reported as drift, and an alterColumn adding it re-created it over duplicates.
  test(`${engine.name}: a column's unique key that a later migration drops is neither drift nor re-created`, () => withProject(engine, async (p) => {
    await p.write({
      revision: 'v1',
      up: `await m.createTable('t1', { ${id}, d: { type: 'string', length: 20, unique: true }, e: { type: 'integer' } });
await m.addColumn('t1', 'f', { type: 'integer', unique: true });
await m.alterColumn('t1', 'e', { unique: true });`,
    });
    await p.write({
      revision: 'v2', revises: 'v1',
      up: `await m.dropUnique('t1', 'uq_t1_d');\nawait m.dropUnique('t1', 'uq_t1_f');\nawait m.dropUnique('t1', 'uq_t1_e');`,
    });
    await upOk(p);
    await p.exec(`INSERT INTO t1 (id, d, e, f) VALUES (1, 'x', 5, 7), (2, 'x', 5, 7)`);
    const lines = await adoptsUnchanged(p, ['v1', 'v2']);
    assert.ok(lines.includes('skipped alterColumn t1.e — already as declared; its unique key is dropped later by v2'), lines.join('\n'));
  }));

  // Found by the adoption property (seed 20240601, SQLite), shrunk: a rename on the table between its
  // first create and the drop made the re-created table look changed, so the drop applied after all.
  test(`${engine.name}: what a history does to a table before dropping and re-creating it is not done to the re-created one`, () => withProject(engine, async (p) => {
    await p.write({ revision: 'v1', up: `await m.createTable('t5', { ${id}, q_id: { type: 'integer' } });` });
    await p.write({
      revision: 'v2', revises: 'v1',
      up: `await m.renameColumn('t5', 'q_id', 'p_id');\nawait m.addColumn('t5', 'extra', { type: 'integer' });\nawait m.dropTable('t5');`,
    });
    await p.write({
      revision: 'v3', revises: 'v2',
      up: `await m.createTable('t5', { ${id}, q_id: { type: 'integer' }, c: { type: 'integer' } });\nawait m.dropColumn('t5', 'c');`,
    });
    await upOk(p);
    await p.exec(`INSERT INTO t5 (id, q_id) VALUES (1, 2)`);
    const lines = await adoptsUnchanged(p, ['v1', 'v2', 'v3']);
    assert.ok(lines.some((l) => l.startsWith('skipped renameColumn t5.q_id -> p_id — t5 is the one v3 creates again after v2 drops it')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('skipped dropTable t5 — exists as v3 creates it again')), lines.join('\n'));
  }));

  test(`${engine.name}: a table or column renamed away and its name created again adopts without "both exist"`, () => withProject(engine, async (p) => {
    await p.write({
      revision: 'v1',
      up: `await m.createTable('t3', { ${id}, a: { type: 'integer' } });
await m.renameTable('t3', 't4');
await m.createTable('t3', { ${id} });
await m.renameColumn('t4', 'a', 'b');
await m.addColumn('t4', 'a', { type: 'integer' });`,
    });
    await upOk(p);
    const lines = await adoptsUnchanged(p, ['v1']);
    assert.ok(lines.some((l) => l.startsWith('skipped renameTable t3 -> t4 — already renamed')), lines.join('\n'));
    assert.ok(lines.some((l) => l.startsWith('skipped renameColumn t4.a -> b — already renamed')), lines.join('\n'));
  }));

  test(`${engine.name}: a drop with a later re-creation still applies where the database has the first shape`, () => withProject(engine, async (p) => {
    await p.write({ revision: 'v1', up: `await m.createTable('events', { ${id}, a: { type: 'integer' } });` });
    await upOk(p);
    await p.exec(`INSERT INTO events (id, a) VALUES (1, 5)`);
    await p.write({ revision: 'v2', revises: 'v1', up: `await m.dropTable('events');` });
    await p.write({ revision: 'v3', revises: 'v2', up: `await m.createTable('events', { ${id}, b: { type: 'string', length: 20 } });` });
    const run = await upOk(p);
    assert.deepEqual(opLines(run), ['applied dropTable events', 'applied createTable events']);
    assert.deepEqual(await p.query('SELECT id FROM events'), []);
  }));

  test(`${engine.name}: a data migration that reads a table left absent is skipped; a partial database gets the data work`, () => withProject(engine, async (p) => {
    await p.write({
      revision: 'v1',
      up: `await m.createTable('users', { ${id}, name: { type: 'string', length: 40 } });
await m.createTable('legacy_users', { ${id}, name: { type: 'string', length: 40 } });
await m.addColumn('users', 'old_name', { type: 'string', length: 40 });`,
    });
    await upOk(p);
    await p.exec(`INSERT INTO legacy_users (id, name) VALUES (1, 'ann'), (2, 'bob')`);
    await p.exec(`INSERT INTO users (id, name, old_name) VALUES (3, NULL, 'cy')`);
    await p.write({
      revision: 'v2', revises: 'v1',
      up: `await m.executeIf({
  description: 'move legacy users',
  sql: 'INSERT INTO users (id, name) SELECT id, name FROM legacy_users l WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.id)',
  condition: 'SELECT COUNT(*) > 0 FROM legacy_users l WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = l.id)',
});
await m.executeIf({
  description: 'names from old_name',
  sql: 'UPDATE users SET name = old_name WHERE name IS NULL',
  condition: 'SELECT COUNT(*) > 0 FROM users WHERE name IS NULL',
});`,
    });
    await p.write({ revision: 'v3', revises: 'v2', up: `await m.dropTable('legacy_users');\nawait m.dropColumn('users', 'old_name');` });
    // The partial database: v1 applied, v2 and v3 pending. The data work is done.
    await upOk(p);
    assert.deepEqual(await p.query('SELECT id, name FROM users ORDER BY id'), [{ id: 1, name: 'ann' }, { id: 2, name: 'bob' }, { id: 3, name: 'cy' }]);
    // The final shape, its version table lost: the data migrations read what is absent, and are skipped.
    const lines = await adoptsUnchanged(p, ['v1', 'v2', 'v3']);
    assert.ok(lines.includes('skipped executeIf move legacy users — reads legacy_users, absent; dropped later by v3'), lines.join('\n'));
    assert.ok(lines.includes('skipped executeIf names from old_name — condition false'), lines.join('\n'));
    // A NULL name makes the second condition true: its statement then reads the absent column.
    await p.exec(`INSERT INTO users (id, name) VALUES (4, NULL)`);
    await p.exec('DELETE FROM idem_version');
    const again = await upOk(p);
    assert.ok(opDetails(again).includes('skipped executeIf names from old_name — reads old_name, absent; dropped later by v3'), opDetails(again).join('\n'));
  }));

  test(`${engine.name}: a data migration that fails on a missing object this run did not leave absent still fails`, () => withProject(engine, async (p) => {
    await p.write({ revision: 'v1', up: `await m.createTable('users', { ${id} });\nawait m.createTable('legacy', { ${id} });` });
    await p.write({
      revision: 'v2', revises: 'v1',
      up: `await m.executeIf({ description: 'typo', sql: 'DELETE FROM users', condition: 'SELECT COUNT(*) > 0 FROM userz' });`,
    });
    await p.write({ revision: 'v3', revises: 'v2', up: `await m.dropTable('legacy');` });
    await upOk(p, 'v1');
    await p.exec('DELETE FROM idem_version');
    await p.exec('DROP TABLE legacy');
    const run = await p.cli(['up']);
    assert.notEqual(run.code, 0, show(run));
    assert.match(run.stderr, /condition query failed/, show(run));
  }));
}
