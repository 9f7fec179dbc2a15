/**
 * Transactions per engine, as each `begin` event reports them: SQLite and
 * PostgreSQL run each migration in a transaction; a PostgreSQL migration may
 * opt out (`export const transaction = false`) for DDL that refuses one;
 * MySQL/MariaDB commit DDL implicitly, so nothing there is transactional.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { engines } from '../engines.ts';
import type { PostgresDriver } from '../../src/dialect/postgres/postgres-driver.ts';
import type { IdemEvent } from '../../src/runner/events.ts';
import type { RunResult } from '../../src/api/up.ts';
import { migrationSource, TestProject, type MigrationSource } from '../support/project.ts';

interface PgWatch {
  /** Every text pg was asked to send, in order. */
  sent: string[];
  restore(): void;
}

/**
 * Watches what pg sends, until restore(): `around(text, send)` decides how
 * each query goes (sent as it is by default), so a test can act just
 * before a statement reaches the server or delay its answer.
 */
async function watchPg(around: (text: string, send: () => Promise<unknown>) => Promise<unknown> = (_text, send) => send()): Promise<PgWatch> {
  const { default: pg } = await import('pg');
  const query = pg.Client.prototype.query;
  const sent: string[] = [];
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    const text = typeof args[0] === 'string' ? args[0] : '';
    if (text !== '') sent.push(text);
    return around(text, () => (query as (...a: unknown[]) => Promise<unknown>).apply(this, args));
  } as typeof query;
  return { sent, restore: () => { pg.Client.prototype.query = query; } };
}

/** b's code ran before a's answer came, b was sent after it, and the lines kept their order. */
async function assertCommittedAhead(p: TestProject, marks: string[], events: IdemEvent[]): Promise<void> {
  assert.deepEqual(marks, ['a sent', 'b runs', 'a answered', 'b sent'], 'b\'s code ran before a\'s answer, and b was sent after it');
  assert.deepEqual(events.filter((e) => e.event !== 'done').map((e) => `${e.event} ${'revision' in e ? e.revision : ''}`),
    ['begin a', 'op a', 'migration a', 'begin b', 'op b', 'migration b']);
  assert.deepEqual(await p.recorded(), ['a', 'b']);
}

/**
 * Runs `up` over migration a (creates ta, adds a column) and `after`, while
 * another session creates ta just before a's batch reaches the server; then
 * `check` looks at what happened.
 */
async function runRacedBatch(
  engine: (typeof engines)[number], after: MigrationSource[],
  check: (run: { p: TestProject; events: IdemEvent[]; sent: string[]; result: RunResult }) => Promise<void>,
): Promise<void> {
  const { up } = await import('../../src/api/up.ts');
  const p = await TestProject.create(engine);
  const events: IdemEvent[] = [];
  let watch: PgWatch | undefined;
  try {
    await p.write({ revision: 'a', up: `await m.createTable('ta', { id: { type: 'integer', primaryKey: true } });\nawait m.addColumn('ta', 'v', { type: 'integer' });` });
    for (const m of after) await p.write(m);
    const race = raceOnce(p, 'CREATE TABLE "ta"', 'CREATE TABLE ta (id integer PRIMARY KEY)');
    watch = await watchPg(race.around);
    const result = await up({ url: p.url, dir: p.migrations, onEvent: (e) => events.push(e) });
    assert.equal(race.raced(), true);
    await check({ p, events, sent: watch.sent, result });
  } finally {
    watch?.restore();
    await p.dispose();
  }
}

/** Another session runs `sql` just before the first text containing `trigger` reaches the server. */
function raceOnce(p: TestProject, trigger: string, sql: string) {
  let raced = false;
  return {
    raced: () => raced,
    around: (text: string, send: () => Promise<unknown>): Promise<unknown> => {
      if (raced || !text.includes(trigger)) return send();
      raced = true;
      return p.exec(sql).then(send);
    },
  };
}

const expected = { sqlite: [true, true], postgres: [true, false], mariadb: [false, false] } as const;

for (const engine of engines) {
  test(`${engine.name}: each migration's begin event says whether it runs in a transaction; opting out where the engine allows`, async () => {
    const p = await TestProject.create(engine);
    try {
      await p.write({ revision: 't1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true }, v: { type: 'integer' } });`, down: `await m.dropTable('t');` });
      // CREATE INDEX CONCURRENTLY refuses to run inside a transaction on PostgreSQL.
      const index = engine.name === 'postgres'
        ? `await m.sql('CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_t_v ON t (v)', [], { idempotent: true });`
        : `await m.createIndex('t', ['v'], { name: 'ix_t_v' });`;
      await p.writeRaw('0002_t2.ts', `${migrationSource({ revision: 't2', revises: 't1', up: index, down: `await m.dropIndex('t', 'ix_t_v');` })}\nexport const transaction = false;\n`);
      const run = await p.cli(['--json', 'up']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const begins = run.events.filter((e) => e.event === 'begin').map((e) => e.transaction);
      assert.deepEqual(begins, [...expected[engine.name]]);
      assert.deepEqual(await p.recorded(), ['t1', 't2']);
      const human = await p.cli(['down', 'base']);
      assert.equal(human.code, 0, human.stderr);
      const marked = human.stdout.split('\n').filter((l) => l.includes('[no transaction'));
      assert.equal(marked.length, expected[engine.name].filter((t) => !t).length, human.stdout);
    } finally {
      await p.dispose();
    }
  });
}

/**
 * Adopting: a migration whose every operation was skipped does not commit on
 * its own (TransactionControl.keep); the next commit makes its version row
 * durable. A later migration that fails must not take those rows with it.
 */
for (const engine of engines) {
  test(`${engine.name}: migrations that changed nothing before one that fails stay recorded, and one that applies commits them`, async () => {
    const p = await TestProject.create(engine);
    try {
      const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;
      for (const name of ['a', 'b', 'c']) await p.exec(`CREATE TABLE ${name} (id integer PRIMARY KEY)`);
      await p.write({ revision: 'r1', up: table('a') });
      await p.write({ revision: 'r2', revises: 'r1', up: table('b') });
      await p.write({ revision: 'r3', revises: 'r2', up: `${table('c')}\nif (process.env.IDEM_TEST_FAIL) throw new Error('r3 failed on purpose');` });
      await p.write({ revision: 'r4', revises: 'r3', up: table('d') });
      await p.write({ revision: 'r5', revises: 'r4', up: table('a') });
      const failed = await p.cli(['--json', 'up'], { env: { IDEM_TEST_FAIL: '1' } });
      assert.notEqual(failed.code, 0, failed.stdout + failed.stderr);
      assert.deepEqual(failed.events.filter((e) => e.event === 'migration').map((e) => e.revision), ['r1', 'r2']);
      assert.deepEqual(await p.recorded(), ['r1', 'r2'], 'the rows of the skipped migrations before the failure are recorded');

      const again = await p.cli(['--json', 'up']);
      assert.equal(again.code, 0, again.stdout + again.stderr);
      assert.deepEqual(again.events.filter((e) => e.event === 'migration').map((e) => [e.revision, e.applied]), [['r3', 0], ['r4', 1], ['r5', 0]]);
      assert.deepEqual(await p.recorded(), ['r1', 'r2', 'r3', 'r4', 'r5']);
    } finally {
      await p.dispose();
    }
  });
}

/**
 * PostgreSQL: each migration commits without waiting for the disk
 * (asynchronous commit), and the run ends with one commit that does wait,
 * which makes every earlier one durable: the WAL is flushed in order.
 */
for (const engine of engines.filter((e) => e.name === 'postgres')) {
  test(`${engine.name}: migrations commit lazily, and the session waits for all of them, once, before it closes`, async () => {
    const { up } = await import('../../src/api/up.ts');
    const p = await TestProject.create(engine);
    let watch: PgWatch | undefined;
    try {
      const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;
      await p.write({ revision: 'a', up: table('ta') });
      await p.write({ revision: 'b', revises: 'a', up: table('tb') });
      await p.write({ revision: 'c', revises: 'b', up: table('tc') });
      watch = await watchPg();
      const { sent } = watch;
      const result = await up({ url: p.url, dir: p.migrations });
      assert.equal(result.applied, 3);
      // Each migration goes whole in one message: BEGIN, the check of the run lock's session, its DDL
      // (no savepoint each), its version row and the lazy COMMIT.
      const lazy = sent.flatMap((sql, i) => (/^BEGIN; SELECT CASE WHEN pg_backend_pid\(\) = \d+ THEN 0 ELSE CAST\(.*; CREATE TABLE "t[abc]".*; INSERT INTO "idem_version" .*; SET LOCAL synchronous_commit = off; COMMIT$/s.test(sql) ? [i] : []));
      const flush = sent.flatMap((sql, i) => (sql === 'BEGIN; SELECT txid_current(); COMMIT' ? [i] : []));
      assert.equal(lazy.length, 3, sent.join('\n'));
      assert.equal(flush.length, 1, sent.join('\n'));
      assert.ok(flush[0]! > lazy[2]!, 'the durable commit comes after the last lazy one');
      assert.equal(sent.filter((sql) => sql.includes('SAVEPOINT')).length, 0, sent.join('\n'));
      assert.equal(sent.filter((sql) => /^BEGIN\b/.test(sql)).length, 4, `no BEGIN of its own but the closing one:\n${sent.join('\n')}`);
      assert.deepEqual((await p.query<{ revision: string; seq: number }>('SELECT revision, seq FROM idem_version ORDER BY seq')).map((r) => [r.revision, Number(r.seq)]),
        [['a', 1], ['b', 2], ['c', 3]]);
    } finally {
      watch?.restore();
      await p.dispose();
    }
  });
}

/**
 * PostgreSQL: a migration's DDL goes in one batch behind its BEGIN. When the
 * batch fails (a table was created by someone else at that moment), the
 * migration is rolled back and run again statement by statement, after a
 * warning that says the operations reported before it did not happen, and
 * ends as a re-check says.
 */
for (const engine of engines.filter((e) => e.name === 'postgres')) {
  test(`${engine.name}: a migration whose batch fails is rolled back and run again statement by statement`, async () => {
    await runRacedBatch(engine, [], async ({ p, events, sent, result }) => {
      assert.deepEqual([result.applied, result.skipped], [1, 1]);
      // The migration's DDL went in one batch, which failed: rolled back, and run again statement by statement.
      assert.deepEqual(events.filter((e) => e.event === 'warning').map((e) => e.event === 'warning' && e.code), ['BATCH_RETRY']);
      assert.deepEqual(events.filter((e) => e.event === 'op' || e.event === 'warning').map((e) => (e.event === 'op' ? `${e.op} ${e.target} ${e.outcome}` : e.event)),
        ['createTable ta applied', 'addColumn ta.v applied', 'warning', 'createTable ta skipped', 'addColumn ta.v applied'], 'the rolled-back run, the warning, then the run that committed');
      const batch = sent.findIndex((sql) => /^BEGIN; SELECT CASE WHEN pg_backend_pid\(\) = \d+ .*; CREATE TABLE "ta".*; ALTER TABLE "ta" ADD COLUMN "v".*; COMMIT$/s.test(sql));
      const single = sent.findIndex((sql) => /^SAVEPOINT idem_attempt_\d+; ALTER TABLE "ta" ADD COLUMN "v"/.test(sql));
      const other = sent.indexOf('CREATE TABLE ta (id integer PRIMARY KEY)');
      assert.ok(batch >= 0 && other > batch && single > other, sent.join('\n'));
      assert.deepEqual(await p.recorded(), ['a']);
      assert.deepEqual((await p.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'ta' ORDER BY ordinal_position`)).map((r) => r.column_name), ['id', 'v']);
    });
  });
}

/**
 * PostgreSQL: a migration's closing message (DDL, version row, COMMIT) is
 * sent without waiting for the answer, and the next migration's own code
 * runs meanwhile; nothing of it is sent before that answer, and the output
 * keeps its order.
 */
for (const engine of engines.filter((e) => e.name === 'postgres')) {
  test(`${engine.name}: the next migration runs while the server commits the one before; the output keeps its order`, async () => {
    const { up } = await import('../../src/api/up.ts');
    const p = await TestProject.create(engine);
    let watch: PgWatch | undefined;
    const marks: string[] = [];
    const events: IdemEvent[] = [];
    const probe = globalThis as { idemTestMark?: (mark: string) => void };
    probe.idemTestMark = (mark) => marks.push(mark);
    try {
      await p.write({ revision: 'a', up: `await m.createTable('ta', { id: { type: 'integer', primaryKey: true } });` });
      // Marks in the live run only: the check before the run records b while ta does not exist yet.
      await p.write({ revision: 'b', revises: 'a', up: `if (await m.tableExists('ta')) globalThis.idemTestMark('b runs');\nawait m.createTable('tb', { id: { type: 'integer', primaryKey: true } });` });
      watch = await watchPg((text, send) => {
        const answer = send();
        if (/CREATE TABLE "t[ab]"/.test(text)) marks.push(`${/"t([ab])"/.exec(text)![1]} sent`);
        if (!text.includes('CREATE TABLE "ta"')) return answer;
        // a's answer takes a while to come back.
        return answer.then((result) => new Promise((resolve) => setTimeout(() => {
          marks.push('a answered');
          resolve(result);
        }, 200)));
      });
      const result = await up({ url: p.url, dir: p.migrations, onEvent: (e) => events.push(e) });
      assert.equal(result.applied, 2);
      await assertCommittedAhead(p, marks, events);
    } finally {
      watch?.restore();
      delete probe.idemTestMark;
      await p.dispose();
    }
  });
}

/**
 * PostgreSQL: a migration committed ahead whose batch fails (a table
 * another session created just before it reached the server) is rolled
 * back and run again statement by statement; the migration after it, whose
 * code ran meanwhile, sent nothing and is not reported until then.
 */
for (const engine of engines.filter((e) => e.name === 'postgres')) {
  test(`${engine.name}: a migration committed ahead whose batch fails runs again; the next one waits, and is reported once`, async () => {
    const b = { revision: 'b', revises: 'a', up: `await m.createTable('tb', { id: { type: 'integer', primaryKey: true } });` };
    await runRacedBatch(engine, [b], async ({ p, events, sent, result }) => {
      assert.deepEqual([result.applied, result.skipped], [2, 1]);
      assert.deepEqual(events.filter((e) => e.event !== 'done').map((e) => (e.event === 'op' ? `${e.op} ${e.target} ${e.outcome}` : `${e.event} ${'revision' in e ? e.revision : ''}`)), [
        'begin a', 'createTable ta applied', 'addColumn ta.v applied', 'warning a',
        'begin a', 'createTable ta skipped', 'addColumn ta.v applied', 'migration a',
        'begin b', 'createTable tb applied', 'migration b',
      ]);
      assert.equal(sent.filter((sql) => sql.includes('CREATE TABLE "tb"')).length, 1, sent.join('\n'));
      assert.deepEqual(await p.recorded(), ['a', 'b']);
    });
  });
}

/**
 * PostgreSQL: a lazily begun transaction whose first statement (sent with
 * the BEGIN) fails never got back the pid the run lock checks. The
 * transaction may go on (after ROLLBACK TO SAVEPOINT); its pid is asked on
 * its own before the commit, and a refused one commits nothing.
 */
for (const engine of engines.filter((e) => e.name === 'postgres')) {
  test(`${engine.name}: when the statement sent with a lazy BEGIN fails, the session is checked before the commit`, async () => {
    const p = await TestProject.create(engine);
    const session = await p.session();
    try {
      const driver = session.driver as unknown as PostgresDriver;
      const [{ pid } = { pid: 0 }] = await driver.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      for (const refuse of [false, true]) {
        const checked: number[] = [];
        await driver.beginLazily((seen) => {
          checked.push(seen);
          if (refuse) throw new Error('refused on purpose');
        });
        await assert.rejects(driver.execute('SAVEPOINT s; CREATE TABLE probe (id integer); CREATE TABLE probe (id integer)'), /already exists/);
        assert.deepEqual(checked, [], 'the pid never came back with the failed statement');
        await driver.execute('ROLLBACK TO SAVEPOINT s; CREATE TABLE kept (id integer)');
        if (refuse) await assert.rejects(driver.commit(), /refused on purpose/);
        else await driver.commit();
        assert.deepEqual(checked, [Number(pid)]);
        assert.equal(driver.inTransaction, false);
        assert.equal(await session.catalog.hasTable('kept'), !refuse, refuse ? 'a refused session commits nothing' : 'the transaction committed');
        if (!refuse) await driver.execute('DROP TABLE kept');
      }
    } finally {
      await session.close();
      await p.dispose();
    }
  });
}

/**
 * PostgreSQL: a transaction sent whole in one message (its lazy BEGIN, its
 * DDL, its last statement and the COMMIT) has the server check its session
 * before the COMMIT: a session the run lock does not accept commits
 * nothing, and the refusal names the session it ran in.
 */
for (const engine of engines.filter((e) => e.name === 'postgres')) {
  test(`${engine.name}: a transaction sent in one message commits only in the session the run lock accepts`, async () => {
    const p = await TestProject.create(engine);
    const session = await p.session();
    try {
      const driver = session.driver as unknown as PostgresDriver;
      const [{ pid } = { pid: 0 }] = await driver.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      await driver.execute('CREATE TABLE marks (n integer)');
      for (const expected of [Number(pid), Number(pid) + 1]) {
        const checked: number[] = [];
        await driver.beginLazily((seen) => {
          checked.push(seen);
          if (seen !== expected) throw new Error(`refused pid ${seen}`);
        }, expected);
        driver.defer('CREATE TABLE probe (id integer)');
        const refused = expected !== Number(pid);
        const commit = driver.executeThenCommitLazily('INSERT INTO marks (n) VALUES ($1)', [expected]);
        if (refused) {
          await assert.rejects(commit, new RegExp(`refused pid ${pid}$`));
          // Till the caller's rollback, the session refuses to send anything more.
          await assert.rejects(driver.query('SELECT 1'), new RegExp(`refused pid ${pid}$`));
          await driver.rollback();
        } else {
          assert.deepEqual(await commit, { rowsAffected: 1 });
        }
        assert.deepEqual(checked, refused ? [Number(pid)] : [], 'the server checked an accepted session itself');
        assert.equal(driver.inTransaction, false);
        assert.equal(await session.catalog.hasTable('probe'), !refused, refused ? 'a refused session commits nothing' : 'the transaction committed');
        assert.deepEqual((await driver.query<{ n: number }>('SELECT n FROM marks')).map((r) => Number(r.n)), [Number(pid)]);
        if (!refused) await driver.execute('DROP TABLE probe');
      }
    } finally {
      await session.close();
      await p.dispose();
    }
  });
}

/**
 * MySQL/MariaDB: a migration's `SET autocommit = 0` goes with its first
 * statement, and its version row with the COMMIT and the return to
 * autocommit: the same statements in the same order, three round trips
 * fewer a migration. Nothing is left in an open transaction after the run.
 */
for (const engine of engines.filter((e) => e.name === 'mariadb')) {
  test(`${engine.name}: a migration's transaction statements travel with its first statement and its version row`, async () => {
    const { up } = await import('../../src/api/up.ts');
    const p = await TestProject.create(engine);
    let watch: MysqlWatch | undefined;
    try {
      const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;
      await p.write({ revision: 'a', up: table('ta') });
      await p.write({ revision: 'b', revises: 'a', up: `${table('tb')}\nawait m.executeIf({ description: 'seed', sql: 'INSERT INTO tb (id) VALUES (1)', condition: 'SELECT COUNT(*) = 0 FROM tb' });` });
      await p.write({ revision: 'c', revises: 'b', up: table('tc') });
      watch = await watchMysql(p);
      const { sent } = watch;
      const result = await up({ url: p.url, dir: p.migrations });
      assert.equal(result.applied, 4);
      const first = sent.filter((sql) => /^SET autocommit = 0; CREATE TABLE `t[abc]`/.test(sql));
      const last = sent.filter((sql) => /^INSERT INTO `idem_version` .*; COMMIT; SET autocommit = 1$/s.test(sql));
      assert.equal(first.length, 3, sent.join('\n'));
      assert.equal(last.length, 3, sent.join('\n'));
      assert.equal(sent.filter((sql) => /^(SET autocommit|COMMIT)\b/.test(sql) && !sql.includes('; ')).length, 0, `no transaction statement on its own:\n${sent.join('\n')}`);
      assert.deepEqual(await p.recorded(), ['a', 'b', 'c']);
      assert.deepEqual(await p.query('SELECT id FROM tb'), [{ id: 1 }]);
    } finally {
      watch?.restore();
      await p.dispose();
    }
  });
}

interface MysqlWatch {
  /** Every text mysql2 was asked to send, in order. */
  sent: string[];
  restore(): void;
}

/**
 * Watches what mysql2 sends, until restore(). `around(text, send, answer)`
 * decides how each query goes: `send()` sends it (now or later), `answer`
 * wraps the callback that receives its answer (to delay it).
 */
async function watchMysql(
  p: TestProject,
  around: (text: string, send: () => void, answer: (wrap: (done: () => void) => void) => void) => void = (_text, send) => send(),
): Promise<MysqlWatch> {
  // mysql2's connection class is not exported: reach its prototype through a connection.
  const mysql = await import('mysql2/promise');
  const probe = await mysql.createConnection(p.url.replace(/^mariadb:/, 'mysql:'));
  const prototype = Object.getPrototypeOf((probe as unknown as { connection: object }).connection) as { query: (...args: unknown[]) => unknown };
  await probe.end();
  const sent: string[] = [];
  const query = prototype.query;
  prototype.query = function (this: unknown, ...args: unknown[]) {
    const sql = args[0];
    const text = typeof sql === 'string' ? sql : String((sql as { sql?: unknown })?.sql);
    sent.push(text);
    const last = args.length - 1;
    const callback = args[last];
    const answer = (wrap: (done: () => void) => void) => {
      if (typeof callback !== 'function') return;
      args[last] = (...results: unknown[]) => wrap(() => (callback as (...r: unknown[]) => void)(...results));
    };
    // The promise API ignores what query() returns, so sending later is safe.
    around(text, () => { query.apply(this, args); }, answer);
    return undefined;
  };
  return { sent, restore: () => { prototype.query = query; } };
}

/**
 * MySQL/MariaDB: a migration's version row and COMMIT are sent without
 * waiting for the answer, and the next migration's own code runs meanwhile;
 * nothing of it is sent before that answer, and the output keeps its order.
 * When that COMMIT's statement fails (another session recorded the revision
 * first), the failure is the migration's: the next one sent nothing and is
 * not reported.
 */
for (const engine of engines.filter((e) => e.name === 'mariadb')) {
  test(`${engine.name}: the next migration runs while the server commits the one before; a failed commit stops it unsent`, async () => {
    const { up } = await import('../../src/api/up.ts');
    const marks: string[] = [];
    const probe = globalThis as { idemTestMark?: (mark: string) => void };
    probe.idemTestMark = (mark) => marks.push(mark);
    for (const fail of [false, true]) {
      const p = await TestProject.create(engine);
      const events: IdemEvent[] = [];
      let watch: MysqlWatch | undefined;
      marks.length = 0;
      try {
        await p.write({ revision: 'a', up: `await m.createTable('ta', { id: { type: 'integer', primaryKey: true } });` });
        // Marks in the live run only: the check before the run records b while ta does not exist yet.
        await p.write({ revision: 'b', revises: 'a', up: `if (await m.tableExists('ta')) globalThis.idemTestMark('b runs');\nawait m.createTable('tb', { id: { type: 'integer', primaryKey: true } });` });
        let closing = false;
        watch = await watchMysql(p, (text, send, answer) => {
          if (text.includes('CREATE TABLE `tb`')) marks.push('b sent');
          if (closing || !/^INSERT INTO `idem_version` .*; COMMIT; SET autocommit = 1$/s.test(text)) return send();
          closing = true;
          marks.push('a sent');
          // a's answer takes a while; with `fail`, another session records a first.
          answer((done) => setTimeout(() => {
            marks.push('a answered');
            done();
          }, 200));
          if (!fail) return send();
          void p.exec("INSERT INTO idem_version (revision, description, checksum, applied_at, duration_ms, applied, skipped, drift, operations, seq) VALUES ('a', 'other', 'x', 'now', 0, 0, 0, 0, '{}', 1)").then(send);
        });
        const run = up({ url: p.url, dir: p.migrations, onEvent: (e) => events.push(e) });
        if (fail) {
          await assert.rejects(run, /Duplicate entry 'a'/);
          assert.deepEqual(marks, ['a sent', 'b runs', 'a answered'], 'b\'s code ran, and nothing of it was sent');
          assert.deepEqual(events.map((e) => `${e.event} ${'revision' in e ? e.revision : ''}`), ['begin a', 'op a'], 'b is not reported');
          assert.deepEqual(await p.query<{ n: number }>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'tb'"), [{ n: 0 }]);
        } else {
          assert.equal((await run).applied, 2);
          await assertCommittedAhead(p, marks, events);
        }
      } finally {
        watch?.restore();
        await p.dispose();
      }
    }
    delete probe.idemTestMark;
  });
}
