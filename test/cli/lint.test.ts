/**
 * `idem lint` from the outside, once per engine: the project's config URL
 * names the engine (the lint runs for that dialect, so a migration branching
 * on `m.dialect` is linted for it), and no database is ever opened: the
 * SQLite file is never created, the server URLs point at a port nothing
 * listens on. Findings carry file and line; error-level findings exit 1,
 * warnings alone exit 0; `--json` is one record per finding and a closing
 * `lint-done`.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { lint } from '../../src/api/lint.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import type { Engine } from '../engines.ts';
import { engines } from '../engines.ts';
import { assertNoStack, show } from '../support/cli-checks.ts';
import { migrationSource, runCli, TestProject, type CliResult, type MigrationSource } from '../support/project.ts';

/** What the config file names per engine: the dialect only; nothing at these addresses is ever contacted. */
const CONFIG_URL: Record<Engine['name'], string> = {
  sqlite: 'sqlite:./app.db',
  postgres: 'postgres://lint@127.0.0.1:9/never_opened',
  mariadb: 'mariadb://lint@127.0.0.1:9/never_opened',
};
const DIALECT: Record<Engine['name'], 'sqlite' | 'postgres' | 'mysql'> = { sqlite: 'sqlite', postgres: 'postgres', mariadb: 'mysql' };

const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;

/** A project folder with a config file and migrations, and nothing else: no database. */
class LintProject {
  readonly dir: string;
  #counter = 0;

  private constructor(dir: string) {
    this.dir = dir;
  }

  static async create(engine: Engine): Promise<LintProject> {
    const dir = await mkdtemp(join(tmpdir(), 'idem-lint-'));
    await mkdir(join(dir, 'migrations'));
    await writeFile(join(dir, 'idem.config.json'), JSON.stringify({ url: CONFIG_URL[engine.name] }));
    return new LintProject(dir);
  }

  async write(m: MigrationSource): Promise<string> {
    const file = m.file ?? `${String(++this.#counter).padStart(4, '0')}_${m.revision}.ts`;
    await writeFile(join(this.dir, 'migrations', file), migrationSource(m));
    return `migrations/${file}`;
  }

  async writeRaw(file: string, text: string): Promise<string> {
    await writeFile(join(this.dir, 'migrations', file), text);
    return `migrations/${file}`;
  }

  /** The 1-based line of the file holding `needle`: where a finding about it must point. */
  async lineOf(file: string, needle: string): Promise<number> {
    const lines = (await readFile(join(this.dir, file), 'utf8')).split('\n');
    const index = lines.findIndex((l) => l.includes(needle));
    assert.ok(index >= 0, `${needle} not in ${file}`);
    return index + 1;
  }

  lint(args: string[] = []): Promise<CliResult> {
    return runCli(['lint', ...args], this.dir);
  }

  dispose(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

type Finding = Record<string, unknown> & { rule: string; level: string; file: string; line?: number; message: string; hint: string };

/** Lint's records are not run events: read them as plain objects. */
function records(r: CliResult): Array<Record<string, unknown>> {
  return r.events as unknown as Array<Record<string, unknown>>;
}

function findings(r: CliResult): Finding[] {
  return records(r).filter((e) => e.event === 'lint') as Finding[];
}

function done(r: CliResult): Record<string, unknown> {
  const last = r.events.at(-1)!;
  assert.equal(last.event, 'lint-done', show(r));
  return last;
}

for (const engine of engines) {
  const dialect = DIALECT[engine.name];

  describe(`${engine.name}: idem lint`, () => {
    const projects: Array<{ dispose(): Promise<void> }> = [];
    const project = async (): Promise<LintProject> => {
      const p = await LintProject.create(engine);
      projects.push(p);
      return p;
    };
    after(() => Promise.all(projects.map((p) => p.dispose())));

    test(`${engine.name}: raw CREATE TABLE and an INSERT without NOT EXISTS are caught at their lines; exit 1`, async () => {
      const p = await project();
      const file = await p.write({
        revision: 'raw1',
        up: `${table('users')}
             await m.sql('CREATE TABLE legacy (id integer)');
             await m.sql("INSERT INTO users (id) VALUES (1)");
             await m.sql("INSERT INTO users (id) SELECT 2 WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = 2)", [], { idempotent: true });`,
        down: `await m.dropTable('users');`,
      });
      const createLine = await p.lineOf(file, 'CREATE TABLE legacy');
      const insertLine = await p.lineOf(file, 'VALUES (1)');

      const human = await p.lint();
      assert.equal(human.code, EXIT.migrationFailed, show(human));
      assert.match(human.stdout, new RegExp(`^${file}:${createLine}:\\d+  error  unguarded-sql  m\\.sql runs "CREATE TABLE legacy \\(id integer\\)" unguarded`, 'm'));
      assert.match(human.stdout, /^ {4}hint: use m\.createTable instead/m);
      assert.match(human.stdout, new RegExp(`^${file}:${insertLine}:\\d+  error  data-without-condition  m\\.sql changes data with no condition: "INSERT INTO users \\(id\\) VALUES \\(1\\)"`, 'm'));
      assert.match(human.stdout, new RegExp(`^2 errors, 0 warnings in 1 migration \\(linted for ${dialect}\\)$`, 'm'));
      assert.equal(human.stderr, '');
      assertNoStack(human);

      const json = await p.lint(['--json']);
      assert.deepEqual(findings(json).map((f) => [f.rule, f.line]), [['unguarded-sql', createLine], ['data-without-condition', insertLine]],
        'one finding per call; the guarded INSERT marked idempotent is not one');
    });

    test(`${engine.name}: executeIf with a constant or empty condition is caught; a real condition is not`, async () => {
      const p = await project();
      const file = await p.write({
        revision: 'cond1',
        up: `${table('users')}
             await m.executeIf({ description: 'always', sql: 'UPDATE users SET id = id', condition: 'SELECT 1' });
             await m.executeIf({ description: 'always too', sql: 'UPDATE users SET id = id', condition: 'select true as go' });
             await m.executeIf({ description: 'empty', sql: 'DELETE FROM users', condition: '  ' });
             await m.executeIf({ description: 'real', sql: 'DELETE FROM users', condition: 'SELECT COUNT(*) > 0 FROM users WHERE id < 0' });`,
        down: `await m.dropTable('users');`,
      });
      const r = await p.lint(['--json']);
      assert.equal(r.code, EXIT.migrationFailed, show(r));
      assert.deepEqual(findings(r).map((f) => [f.rule, f.line, f.message]), [
        ['data-without-condition', await p.lineOf(file, "'always'"), 'executeIf "always": its condition "SELECT 1" is a constant: it reads no data, so it cannot tell whether the change already ran'],
        ['data-without-condition', await p.lineOf(file, "'always too'"), 'executeIf "always too": its condition "select true as go" is a constant: it reads no data, so it cannot tell whether the change already ran'],
        ['data-without-condition', await p.lineOf(file, "'empty'"), 'executeIf "empty" has no condition (idem up refuses it)'],
      ]);
    });

    test(`${engine.name}: what \`idem up\` checks before its run is reported the same: every problem, each at its call`, async () => {
      const p = await project();
      const file = await p.write({
        revision: 'chk1',
        up: `await m.createTable('c', { id: { type: 'integer', primarykey: true, autoincrement: true }, name: { type: 'string', lenght: 50, notNull: true } });
             await m.createTable('k', [{ name: 'id', type: 'integer' }]);
             await m.addColumn('c', 'x', { type: 'integer', default: { sql: '1); DROP TABLE c; --' } });
             await m.executeIf({ description: 'fill', sql: 'UPDATE c SET x = ? WHERE id = ?', params: [1], condition: 'SELECT COUNT(*) > ? FROM c' });`,
        down: `await m.dropTable('c');`,
      });
      await p.write({ revision: 'r'.repeat(65), revises: 'chk1', up: table('long'), down: `await m.dropTable('long');` });
      const r = await p.lint(['--json']);
      assert.equal(r.code, EXIT.migrationFailed, show(r));
      const at = async (needle: string) => p.lineOf(file, needle);
      // Sorted as lint sorts: by file, line, column, then message.
      assert.deepEqual(findings(r).filter((f) => f.rule === 'invalid-operation').map((f) => [f.file === file ? f.line : f.file, f.message, f.hint]), [
        [await at("createTable('c'"), 'up: createTable c: column "id": unknown key "autoincrement"', 'did you mean `autoIncrement`?'],
        [await at("createTable('c'"), 'up: createTable c: column "id": unknown key "primarykey"', 'did you mean `primaryKey`?'],
        [await at("createTable('c'"), 'up: createTable c: column "name": unknown key "lenght"', 'did you mean `length`?'],
        [await at("createTable('c'"), 'up: createTable c: column "name": unknown key "notNull"', 'did you mean `nullable: false`?'],
        [await at("createTable('k'"), 'up: createTable k: declares its columns as a list; idem takes an object keyed by column name',
          "write m.createTable(name, { id: { type: 'integer', primaryKey: true }, email: { type: 'string' } })"],
        [await at("addColumn('c'"), 'up: addColumn c.x: column "x": default { sql: "1); DROP TABLE c; --" } holds a `;` (a statement separator)',
          "give one expression: a literal, a function call or operators, e.g. { sql: 'CURRENT_TIMESTAMP' }, { sql: \"lower('X')\" }; put anything else in m.sql"],
        [await at('executeIf'), 'up: executeIf fill: the condition has 1 placeholder(s) but 0 value(s) in conditionParams',
          'pass one value in conditionParams for each ? of the condition, in order'],
        [await at('executeIf'), 'up: executeIf fill: the sql has 2 placeholder(s) but 1 value(s) in params', 'pass one value in params for each ? of the sql, in order'],
        ['migrations/0002_rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr.ts', 'its revision id is 65 characters long; the version table holds at most 64',
          'give it a shorter revision id (`idem new` writes 12 characters) and update the `revises` that name it'],
      ]);
    });

    test(`${engine.name}: a clean set: no finding, exit 0, and no database was opened`, async () => {
      const p = await project();
      await p.write({
        revision: 'c1',
        up: `await m.createTable('users', { id: { type: 'integer', primaryKey: true }, email: { type: 'string', length: 200 }, legacy_flag: { type: 'boolean' } });
             await m.createIndex('users', ['email']);`,
        down: `await m.dropTable('users');`,
      });
      await p.write({
        revision: 'c2', revises: 'c1',
        up: `await m.addColumn('users', 'role', { type: 'string', length: 20 });
             await m.executeIf({ description: 'default role', sql: "UPDATE users SET role = 'user' WHERE role IS NULL",
               condition: 'SELECT COUNT(*) > 0 FROM users WHERE role IS NULL' });
             await m.sql("INSERT INTO users (id, email) SELECT 1, 'root@x' WHERE NOT EXISTS (SELECT 1 FROM users WHERE id = 1)", [], { idempotent: true });
             await m.dropColumn('users', 'legacy_flag', { note: 'replaced by role' });`,
        down: `await m.addColumn('users', 'legacy_flag', { type: 'boolean' });
               await m.dropColumn('users', 'role');`,
      });
      const r = await p.lint();
      assert.equal(r.code, EXIT.ok, show(r));
      assert.equal(r.stdout, `0 errors, 0 warnings in 2 migrations (linted for ${dialect})\n`);
      assert.equal(r.stderr, '');
      assert.equal(existsSync(join(p.dir, 'app.db')), false, 'the SQLite file the URL names is not created');
      assert.equal(existsSync(join(p.dir, 'idem.db')), false);
    });

    test(`${engine.name}: a drop in up without a note is a warning (exit 0); with a note, or in down, it is not`, async () => {
      const p = await project();
      const file = await p.write({
        revision: 'd1',
        up: `${table('a')}
             ${table('b')}
             await m.addColumn('a', 'c', { type: 'text' });
             await m.dropTable('b');
             await m.dropColumn('a', 'c');
             await m.dropColumn('a', 'id', { note: 'a is keyed by name since 0042' });`,
        down: `await m.dropTable('a');`,
      });
      const r = await p.lint(['--json']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(findings(r).map((f) => [f.level, f.rule, f.line, f.message]), [
        ['warning', 'destructive-without-note', await p.lineOf(file, "dropTable('b')"), 'dropTable b in up has no note: the data in it is lost'],
        ['warning', 'destructive-without-note', await p.lineOf(file, "dropColumn('a', 'c')"), 'dropColumn a.c in up has no note: the data in it is lost'],
      ]);
      assert.match(findings(r)[0]!.hint, /m\.dropTable\('b', \{ note: /);
      assert.deepEqual({ ...done(r), event: undefined }, { event: undefined, errors: 0, warnings: 2, migrations: 1, dialect });
    });

    test(`${engine.name}: a missing down and an empty down are warned`, async () => {
      const p = await project();
      const missing = await p.write({ revision: 'nodown', up: table('a') });
      const empty = await p.write({ revision: 'emptydown', revises: 'nodown', up: table('b'), down: `m.log('nothing to undo');` });
      const r = await p.lint(['--json']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(findings(r).map((f) => [f.file, f.rule, f.line, f.revision]), [
        [missing, 'missing-down', undefined, 'nodown'],
        [empty, 'empty-down', await p.lineOf(empty, 'async function down'), 'emptydown'],
      ]);
      const human = await p.lint();
      assert.match(human.stdout, new RegExp(`^${missing}  warning  missing-down  no down\\(\\)`, 'm'));
      assert.match(human.stdout, /^0 errors, 2 warnings in 2 migrations/m);
    });

    test(`${engine.name}: two heads, a cycle, a missing parent and duplicate ids: each a graph error with its files`, async () => {
      const heads = await project();
      await heads.write({ revision: 'base', up: table('base'), down: `await m.dropTable('base');` });
      const a = await heads.write({ revision: 'feat_a', revises: 'base', up: table('a'), down: `await m.dropTable('a');` });
      const b = await heads.write({ revision: 'feat_b', revises: 'base', up: table('b'), down: `await m.dropTable('b');` });
      const twoHeads = await heads.lint(['--json']);
      assert.equal(twoHeads.code, EXIT.migrationFailed, show(twoHeads));
      assert.deepEqual(findings(twoHeads).map((f) => [f.rule, f.file, f.files, f.message]), [
        ['graph', a, [a, b], `2 heads: feat_a, feat_b (${a}, ${b}); \`idem up\` stops until they are merged`],
      ]);
      assert.match(findings(twoHeads)[0]!.hint, /idem merge feat_a feat_b -m "merge heads"/);

      const cycle = await project();
      await cycle.write({ revision: 'r0', up: table('zero'), down: `await m.dropTable('zero');` });
      const one = await cycle.write({ revision: 'r1', revises: 'r3', up: table('one'), down: `await m.dropTable('one');` });
      const two = await cycle.write({ revision: 'r2', revises: 'r1', up: table('two'), down: `await m.dropTable('two');` });
      const three = await cycle.write({ revision: 'r3', revises: 'r2', up: table('three'), down: `await m.dropTable('three');` });
      const cycled = await cycle.lint(['--json']);
      assert.equal(cycled.code, EXIT.migrationFailed, show(cycled));
      assert.deepEqual(findings(cycled).map((f) => [f.rule, f.files, f.message]), [
        ['graph', [one, two, three], `revision cycle: r1 -> r2 -> r3 -> r1 (${one}, ${two}, ${three})`],
      ]);

      const orphan = await project();
      const hash = '3f9a1c2b7d4e8a9b0c1d2e3f4a5b6c7d8e9f0a1b';
      await orphan.write({ revision: 'o1', up: table('one'), down: `await m.dropTable('one');` });
      const child = await orphan.write({ revision: 'o2', revises: hash, up: table('two'), down: `await m.dropTable('two');` });
      const orphaned = await orphan.lint(['--json']);
      assert.equal(orphaned.code, EXIT.migrationFailed, show(orphaned));
      // o2 hangs from nothing, so o1 and o2 are also two heads.
      assert.deepEqual(findings(orphaned).map((f) => [f.rule, f.file, f.message]).filter((f) => String(f[2]).includes('no migration declares')), [
        ['graph', child, `${child} revises "${hash}", which no migration declares`],
      ]);
      assert.match(findings(orphaned).find((f) => f.file === child)!.hint, /a git commit hash is not a revision id/);

      const twins = await project();
      const first = await twins.write({ revision: 'same', up: table('one'), down: `await m.dropTable('one');`, file: '0001_first.ts' });
      const second = await twins.write({ revision: 'same', up: `await m.sql('DROP TABLE one');`, down: `await m.dropTable('two');`, file: '0002_second.ts' });
      const duplicated = await twins.lint(['--json']);
      assert.equal(duplicated.code, EXIT.migrationFailed, show(duplicated));
      const graph = findings(duplicated).filter((f) => f.rule === 'graph');
      assert.deepEqual(graph.map((f) => [f.file, f.files, f.message]), [
        [first, [first, second], `revision "same" is declared by 2 files: ${first}, ${second}`],
      ]);
      assert.ok(findings(duplicated).some((f) => f.file === second && f.rule === 'unguarded-sql'), 'both files are still linted');
    });

    test(`${engine.name}: a migration with a syntax error is reported at its line; the others are still linted`, async () => {
      const p = await project();
      const good = await p.write({ revision: 'g1', up: `${table('t')}\nawait m.sql('ALTER TABLE t ADD COLUMN c int');`, down: `await m.dropTable('t');` });
      const bad = await p.write({ revision: 'bad', revises: 'g1', up: `const broken = ;`, down: `await m.dropTable('t');` });
      const after = await p.write({ revision: 'g3', revises: 'bad', up: `await m.dropTable('t');`, down: table('t') });
      const r = await p.lint(['--json']);
      assert.equal(r.code, EXIT.migrationFailed, show(r));
      assert.deepEqual(findings(r).map((f) => [f.file, f.rule, f.line]), [
        [good, 'unguarded-sql', await p.lineOf(good, 'ALTER TABLE')],
        [bad, 'load', await p.lineOf(bad, 'const broken')],
        [after, 'destructive-without-note', await p.lineOf(after, 'dropTable')],
      ], 'the broken file keeps its place in the graph: no missing-parent for the one after it');
      assert.match(findings(r)[1]!.message, /^migration has a syntax error: .+; its up and down were not checked$/);
      assert.equal(done(r).migrations, 3);
      assertNoStack(r);
    });

    test(`${engine.name}: a branch on m.dialect is linted for the engine the URL names (or --dialect)`, async () => {
      const p = await project();
      const file = await p.write({
        revision: 'br1',
        up: `if (m.dialect === 'postgres') {
               await m.sql('CREATE EXTENSION pgcrypto');
             } else if (m.dialect === 'mysql') {
               await m.sql('SET GLOBAL innodb_file_per_table = 1');
             } else {
               await m.sql('PRAGMA journal_mode = WAL');
             }`,
        down: `m.log('nothing');`,
      });
      const lines = {
        postgres: await p.lineOf(file, 'CREATE EXTENSION'),
        mysql: await p.lineOf(file, 'SET GLOBAL'),
        sqlite: await p.lineOf(file, 'PRAGMA'),
      };
      const r = await p.lint(['--json']);
      assert.deepEqual(findings(r).filter((f) => f.rule === 'unguarded-sql').map((f) => f.line), [lines[dialect]], show(r));
      const other = dialect === 'postgres' ? 'sqlite' : 'postgres';
      const switched = await p.lint(['--json', '--dialect', other]);
      assert.deepEqual(findings(switched).filter((f) => f.rule === 'unguarded-sql').map((f) => f.line), [lines[other]], show(switched));
      assert.equal(done(switched).dialect, other);
    });

    test(`${engine.name}: after an m.query the dry run stops; the rest is read from the source, and a note says so`, async () => {
      const p = await project();
      const file = await p.write({
        revision: 'q1',
        up: `${table('users')}
             const [row] = await m.query<{ n: number }>('SELECT COUNT(*) AS n FROM users');
             if (Number(row?.n) === 0) await m.sql("INSERT INTO users (id) VALUES (1)");
             await m.sql('CREATE INDEX ix ON users (id)', [], { idempotent: true });`,
        down: `await m.dropTable('users');`,
      });
      const r = await p.lint(['--json']);
      assert.equal(r.code, EXIT.migrationFailed, show(r));
      const [insert, ...rest] = findings(r);
      assert.deepEqual(rest, [], 'the call marked idempotent is read as such');
      assert.equal(insert!.rule, 'data-without-condition');
      assert.equal(insert!.line, await p.lineOf(file, 'VALUES (1)'));
      assert.match(insert!.message, /read from the source: the dry run did not reach this call/);
      const notes = records(r).filter((e) => e.event === 'lint-note');
      assert.deepEqual(notes.map((n) => [n.file, n.line]), [[file, await p.lineOf(file, 'm.query')]]);
      assert.match(String(notes[0]!.message), /stops at m\.query/);
      const human = await p.lint();
      assert.match(human.stdout, new RegExp(`^${file}:\\d+:\\d+  note  up stops at m\\.query`, 'm'));
    });

    test(`${engine.name}: an operation idem up would refuse is an error at its line; a throw of the migration's own is a warning`, async () => {
      const p = await project();
      const refused = await p.write({
        revision: 'inv1',
        up: `await m.createTable('t', { id: { type: 'integer', length: 5 } });`,
        down: `await m.dropTable('t');`,
      });
      const throwing = await p.write({
        revision: 'thr1', revises: 'inv1',
        up: `const s = await m.summary('t');
             if (s.rows === 0) throw new Error('expected seeded rows');
             await m.sql('DROP TABLE t');`,
        down: `await m.dropTable('t2');`,
      });
      const r = await p.lint(['--json']);
      assert.equal(r.code, EXIT.migrationFailed, show(r));
      assert.deepEqual(findings(r).map((f) => [f.file, f.rule, f.level, f.line]), [
        [refused, 'invalid-operation', 'error', await p.lineOf(refused, 'createTable')],
        [throwing, 'dry-run-failed', 'warning', await p.lineOf(throwing, 'throw new Error')],
        [throwing, 'unguarded-sql', 'error', await p.lineOf(throwing, 'DROP TABLE t')],
      ], 'the call after the throw is still read from the source');
      assert.match(findings(r)[0]!.message, /^up: createTable t: /);
      assert.match(findings(r)[1]!.message, /^up threw in the dry run: expected seeded rows/);
    });

    test(`${engine.name}: --json is one record per finding and a closing lint-done, nothing else`, async () => {
      const p = await project();
      const file = await p.write({ revision: 'j1', up: `${table('t')}\nawait m.sql('DELETE FROM t');\nawait m.dropTable('t');` });
      const r = await p.lint(['--json']);
      assert.equal(r.code, EXIT.migrationFailed, show(r));
      assert.equal(r.stderr, '');
      const lines = r.stdout.trimEnd().split('\n');
      assert.equal(lines.length, r.events.length, 'one JSON object per line');
      assert.deepEqual(r.events.map((e) => e.event), ['lint', 'lint', 'lint', 'lint-done']);
      for (const f of findings(r)) {
        const keys = Object.keys(f).filter((k) => !['line', 'column', 'files'].includes(k));
        assert.deepEqual(keys, ['event', 'level', 'rule', 'revision', 'file', 'message', 'hint']);
        assert.equal(f.file, file);
        assert.ok(['error', 'warning'].includes(f.level));
        assert.ok(f.hint.length > 0);
      }
      assert.deepEqual(findings(r).map((f) => [f.level, f.rule, typeof f.line, typeof f.column]), [
        ['warning', 'missing-down', 'undefined', 'undefined'],
        ['error', 'data-without-condition', 'number', 'number'],
        ['warning', 'destructive-without-note', 'number', 'number'],
      ]);
      assert.deepEqual(done(r), { event: 'lint-done', errors: 1, warnings: 2, migrations: 1, dialect });
    });

    test(`${engine.name}: exit codes: warnings alone 0; --max-warnings can fail them; a bad --max-warnings is a usage error`, async () => {
      const p = await project();
      await p.write({ revision: 'w1', up: table('t') });
      assert.equal((await p.lint()).code, EXIT.ok);
      const strict = await p.lint(['--max-warnings', '0']);
      assert.equal(strict.code, EXIT.migrationFailed, show(strict));
      assert.match(strict.stdout, /0 errors, 1 warning in 1 migration \(linted for \w+\); more than --max-warnings 0/);
      assert.equal((await p.lint(['--max-warnings', '1'])).code, EXIT.ok);
      const bad = await p.lint(['--max-warnings', 'lots']);
      assert.equal(bad.code, EXIT.usage, show(bad));
      assert.match(bad.stderr, /--max-warnings must be a whole number/);
      const unknown = await p.lint(['--dialect', 'oracle']);
      assert.equal(unknown.code, EXIT.usage, show(unknown));
      assert.match(unknown.stderr, /unknown dialect "oracle"/);
    });

    test(`${engine.name}: the API returns the same findings, sorted, with no database`, async () => {
      const p = await project();
      const file = await p.write({ revision: 'api1', up: `await m.sql('CREATE TABLE t (id int)');`, down: `await m.sql('DROP TABLE t', [], { idempotent: true });` });
      const result = await lint({ cwd: p.dir, env: {} });
      assert.equal(result.dialect, dialect);
      assert.equal(result.migrations, 1);
      assert.deepEqual(result.findings.map((f) => [f.file, f.rule, f.level, f.line, f.revision]), [
        [file, 'unguarded-sql', 'error', await p.lineOf(file, 'CREATE TABLE'), 'api1'],
      ]);
      assert.equal(result.errors, 1);
      assert.equal(result.warnings, 0);
    });

    test(`${engine.name}: a drop's note is shown with its operation by plan and up (on a real database)`, async () => {
      const p = await TestProject.create(engine);
      projects.push(p);
      await p.write({ revision: 'n1', up: table('legacy'), down: `await m.dropTable('legacy');` });
      await p.write({ revision: 'n2', revises: 'n1', up: `await m.dropTable('legacy', { note: 'replaced by accounts in n1' });`, down: table('legacy') });
      const planned = await p.cli(['plan']);
      assert.equal(planned.code, EXIT.ok, show(planned));
      assert.match(planned.stdout, /would apply dropTable legacy {2}\(note: replaced by accounts in n1\)/, show(planned));
      const up = await p.cli(['--json', 'up']);
      assert.equal(up.code, EXIT.ok, show(up));
      const drop = up.events.find((e) => e.event === 'op' && e.op === 'dropTable')!;
      assert.equal(drop.outcome, 'applied');
      assert.equal(drop.detail, 'note: replaced by accounts in n1');
      assert.ok(!(await p.fingerprint()).includes('legacy'), 'the note changes nothing about the drop itself');
      const again = await p.cli(['down', 'n1']);
      assert.equal(again.code, EXIT.ok, show(again));
      const redo = await p.cli(['up']);
      assert.match(redo.stdout, /applied +dropTable legacy {2}\(note: replaced by accounts in n1\)/, show(redo));
    });
  });
}
