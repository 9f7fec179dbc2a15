/**
 * `idem schema` and the `schema()` API, per engine: the same migrations give
 * the same fingerprint on two databases, any change of shape changes it, it
 * is stable across calls and independent of the order the catalog lists
 * things in; human and JSON output.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { describeSchema, schema } from '../../src/api/schema.ts';
import { VERSION_TABLE } from '../../src/runner/version-table.ts';
import { engines } from '../engines.ts';
import { TestProject } from '../support/project.ts';

const TABLES = `
await m.createTable('users', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  email: { type: 'string', length: 100, nullable: false, unique: true },
  role: { type: 'string', length: 20, nullable: false, default: 'user' },
});
await m.createTable('posts', {
  id: { type: 'integer', primaryKey: true, autoIncrement: true },
  user_id: { type: 'integer', nullable: false },
  title: { type: 'string', length: 100, nullable: true },
}, { foreignKeys: [{ columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade' }] });
await m.createIndex('posts', ['title']);`;

for (const engine of engines) {
  describe(`${engine.name}: schema`, () => {
    let a: TestProject;
    let b: TestProject;
    before(async () => {
      a = await TestProject.create(engine);
      b = await TestProject.create(engine);
      for (const p of [a, b]) {
        await p.write({ revision: 's1', up: TABLES });
        const up = await p.cli(['up']);
        assert.equal(up.code, 0, up.stderr);
      }
    });
    after(async () => {
      await a.dispose();
      await b.dispose();
    });

    test(`${engine.name}: two databases built by the same migrations have the same fingerprint`, async () => {
      const [sa, sb] = [await schema({ url: a.url }), await schema({ url: b.url })];
      assert.match(sa.fingerprint, /^[0-9a-f]{64}$/);
      assert.equal(sa.fingerprint, sb.fingerprint);
      assert.deepEqual(sa.tables.map((t) => t.name), ['posts', 'users'], 'idem\'s own table excluded, tables sorted');
      const posts = sa.tables[0]!;
      assert.deepEqual(posts.foreignKeys.map((f) => [f.columns, f.refTable, f.refColumns, f.onDelete]), [[['user_id'], 'users', ['id'], 'cascade']]);
      // MariaDB adds an index of its own for the foreign key: part of the schema, so part of the description.
      assert.deepEqual(posts.indexes.find((i) => i.name === 'ix_posts_title'), { name: 'ix_posts_title', columns: ['title'], unique: false });
      const users = sa.tables[1]!;
      assert.deepEqual(users.primaryKey, ['id']);
      assert.deepEqual(users.columns.find((c) => c.name === 'id')?.autoIncrement, true);
      assert.deepEqual(users.columns.find((c) => c.name === 'email')?.nullable, false);
      const empty = await TestProject.create(engine);
      try {
        assert.notEqual((await schema({ url: empty.url })).fingerprint, sa.fingerprint);
      } finally {
        await empty.dispose();
      }
    });

    test(`${engine.name}: stable across calls and independent of the catalog's order`, async () => {
      const first = await schema({ url: a.url });
      const second = await schema({ url: a.url });
      assert.deepEqual(second, first);
      const session = await a.session();
      try {
        const tables = [...(await session.catalog.readAll()).tables.values()];
        const reversed = tables.reverse().map((t) => ({ ...t, columns: [...t.columns].reverse(), indexes: [...t.indexes].reverse(), foreignKeys: [...t.foreignKeys].reverse() }));
        assert.equal(describeSchema(session.dialect, reversed, session.types).fingerprint, first.fingerprint);
      } finally {
        await session.close();
      }
    });

    test(`${engine.name}: an alterColumn changes the fingerprint, and the description says how`, async () => {
      const p = await TestProject.create(engine);
      try {
        await p.write({ revision: 's1', up: TABLES });
        assert.equal((await p.cli(['up'])).code, 0);
        const before = await schema({ url: p.url });
        assert.equal(before.fingerprint, (await schema({ url: a.url })).fingerprint);
        await p.write({ revision: 's2', revises: 's1', up: `await m.alterColumn('users', 'email', { length: 200 });` });
        const up = await p.cli(['up']);
        assert.equal(up.code, 0, up.stderr);
        const afterAlter = await schema({ url: p.url });
        assert.notEqual(afterAlter.fingerprint, before.fingerprint);
        const email = (s: typeof before) => s.tables.find((t) => t.name === 'users')!.columns.find((c) => c.name === 'email')!.type;
        assert.match(email(before), /100/);
        assert.match(email(afterAlter), /200/);
      } finally {
        await p.dispose();
      }
    });

    test(`${engine.name}: idem schema prints one block per table, and one JSON object under --json`, async () => {
      const api = await schema({ url: a.url });
      const human = await a.cli(['schema']);
      assert.equal(human.code, 0, human.stderr);
      assert.match(human.stdout, new RegExp(`^fingerprint: sha256:${api.fingerprint}$`, 'm'));
      assert.match(human.stdout, /^table posts\n(?: {2}.*\n)+\ntable users\n/m);
      assert.match(human.stdout, /^ {2}foreign key \S+ \(user_id\) -> users \(id\) on delete cascade/m);
      assert.match(human.stdout, /^ {2}index ix_posts_title \(title\)$/m);
      assert.match(human.stdout, /^ {2}primary key \(id\)$/m);
      assert.doesNotMatch(human.stdout, new RegExp(VERSION_TABLE));

      const json = await a.cli(['--json', 'schema']);
      assert.equal(json.code, 0, json.stderr);
      assert.equal(json.events.length, 1);
      const { event, ...rest } = json.events[0] as Record<string, unknown>;
      assert.equal(event, 'schema');
      assert.deepEqual(rest, JSON.parse(JSON.stringify(api)));
    });
  });
}
