import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { IdemError } from '../../src/errors.ts';
import { createHash } from 'node:crypto';
import { migrationChecksum } from '../../src/files/checksum.ts';
import { readStaticHeader } from '../../src/files/static-header.ts';
import { scanMigrations } from '../../src/files/migration-files.ts';
import { loadMigration } from '../../src/files/migration-loader.ts';
import { writeMigration } from '../../src/files/migration-writer.ts';

let root: string;
let counter = 0;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'idem-files-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh directory per test, so module URLs never repeat (Node caches imports by URL). */
async function freshDir(files: Record<string, string> = {}): Promise<string> {
  const dir = join(root, `case-${++counter}`);
  await mkdir(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

function isIdemError(code: string, check?: (e: IdemError) => void): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof IdemError, `expected IdemError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.hint, 'every error carries a hint');
    check?.(e);
    return true;
  };
}

const plainTs = (revision: string, revises: string, description = 'x'): string =>
  `import type { MigrationContext } from 'idem';\n\nexport const revision = '${revision}';\n` +
  `export const revises: string | string[] | null = ${revises};\nexport const description = '${description}';\n\n` +
  `export async function up(m: MigrationContext): Promise<void> {\n}\n`;

describe('migrationChecksum', () => {
  const base = "export const revision = 'a';\nexport async function up(m) {\n  m.sql('x');\n}\n";

  test('ignores CRLF, CR, trailing whitespace, trailing blank lines and a BOM', () => {
    const expected = migrationChecksum(base);
    assert.match(expected, /^[0-9a-f]{64}$/);
    assert.equal(migrationChecksum(base.replace(/\n/g, '\r\n')), expected);
    assert.equal(migrationChecksum(base.replace(/\n/g, '\r')), expected);
    assert.equal(migrationChecksum(base.replace(/\n/g, '  \t\n')), expected);
    assert.equal(migrationChecksum(base + '\n\n  \n'), expected);
    assert.equal(migrationChecksum(base.trimEnd()), expected);
    assert.equal(migrationChecksum('\uFEFF' + base), expected);
    // Whitespace that is not a line break, at the end of the last line or of any line.
    assert.equal(migrationChecksum(`${base}\u00a0`), expected);
    assert.equal(migrationChecksum(`${base.trimEnd()} \t`), expected);
    assert.equal(migrationChecksum(base.replace('\n', '\u00a0\n')), expected);
    assert.equal(migrationChecksum(base.replace('\n', ' \r\n')), expected);
  });

  test('is the sha256 of the normalised text, so checksums recorded by earlier versions still match', () => {
    assert.equal(migrationChecksum(base), createHash('sha256').update(base.trimEnd(), 'utf8').digest('hex'));
    const inner = 'a\u2028 b \nc';
    assert.equal(migrationChecksum(inner), createHash('sha256').update('a\u2028 b\nc', 'utf8').digest('hex'));
  });

  test('trims every kind of white space at line ends exactly as the first releases did', () => {
    // The normalisation as first written, with regular expressions: a checksum recorded then must still match.
    const recorded = (text: string): string => {
      const lines = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split('\n').map((line) => line.replace(/\s+$/, ''));
      while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
      return createHash('sha256').update(lines.join('\n'), 'utf8').digest('hex');
    };
    const spaces = [' ', '\t', '\v', '\f', '\u00a0', '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u180e', '\u200b', '\r', '\n', 'x'];
    let seed = 7;
    const pick = () => spaces[(seed = (seed * 1103515245 + 12345) % 2147483648) % spaces.length]!;
    for (let i = 0; i < 2000; i++) {
      let text = 'a';
      for (let j = i % 9; j > 0; j--) text += pick();
      text += i % 2 === 0 ? '\nb' : '';
      for (let j = i % 5; j > 0; j--) text += pick();
      assert.equal(migrationChecksum(text), recorded(text), JSON.stringify(text));
    }
  });

  test('changes with content, including leading indentation and string contents', () => {
    const expected = migrationChecksum(base);
    assert.notEqual(migrationChecksum(base.replace("'x'", "'y'")), expected);
    assert.notEqual(migrationChecksum(base.replace('  m.sql', '    m.sql')), expected);
    assert.notEqual(migrationChecksum('\n' + base), expected);
    assert.notEqual(migrationChecksum(base.replace('\n', '\n\n')), expected);
  });
});

describe('readStaticHeader', () => {
  test('reads the TypeScript template with its type annotation', () => {
    assert.deepEqual(readStaticHeader(plainTs('3f9a1c2b7d4e', 'null', 'add groups')), {
      revision: '3f9a1c2b7d4e',
      revises: [],
      description: 'add groups',
    });
  });

  test('reads the header `idem new` writes, in either language, with any parents and CRLF line ends, as the lexer does', () => {
    const ts = (revises: string, description: string) => `import type { MigrationContext } from 'idem';\n\nexport const revision = 'r1';\n`
      + `export const revises: string | string[] | null = ${revises};\nexport const description = ${description};\n\n`
      + 'export async function up(m: MigrationContext): Promise<void> {\n}\n';
    const js = (revises: string) => `export const revision = 'r1';\nexport const revises = ${revises};\nexport const description = 'd';\n\n`
      + "/** @param {import('idem').MigrationContext} m */\nexport async function up(m) {\n}\n";
    const cases: Array<[string, string[], string]> = [
      [ts('null', "'add groups'"), [], 'add groups'],
      [ts("'p1'", "''"), ['p1'], ''],
      [ts("['p1', 'p2', 'p3']", "'merge'"), ['p1', 'p2', 'p3'], 'merge'],
      [ts('null', String.raw`'it\'s \\ escaped'`), [], "it's \\ escaped"],
      [js("['a', 'b']"), ['a', 'b'], 'd'],
    ];
    for (const [text, revises, description] of cases) {
      const expected = { revision: 'r1', revises, description };
      assert.deepEqual(readStaticHeader(text), expected, text);
      assert.deepEqual(readStaticHeader(text.replace(/\n/g, '\r\n')), expected, 'CRLF');
      // A comment in front takes it off the template's exact shape: the lexer reads the same.
      assert.deepEqual(readStaticHeader(`// edited\n${text}`), expected, 'through the lexer');
    }
    // The template's shape inside a comment, or cut off before its up(), is not taken as a header.
    assert.equal(readStaticHeader(`/*\n${ts('null', "'x'")}*/\n`), null);
    const cut = ts('null', "'x'").replace('export async function up(m: MigrationContext): Promise<void> {\n}\n', "export const revision = 'r2';\n");
    assert.equal(readStaticHeader(cut), null, 'a second revision after the header is not read past');
  });

  test('reads JavaScript, double quotes, backticks and a single parent', () => {
    const text = 'export const revision = "abc";\nexport const revises = "parent1"\nexport const description = `hello "there"`\nexport async function up(m) {}\n';
    assert.deepEqual(readStaticHeader(text), { revision: 'abc', revises: ['parent1'], description: 'hello "there"' });
  });

  test('reads arrays of parents in either quote style, with a trailing comma and `as const`', () => {
    const text = `export const revision = 'm1';\nexport const revises: readonly string[] = [\n  'a', // first\n  "b",\n] as const;\n`;
    assert.deepEqual(readStaticHeader(text), { revision: 'm1', revises: ['a', 'b'], description: '' });
    assert.deepEqual(readStaticHeader("export const revision = 'r', revises = ['x'], description = 'd';"), {
      revision: 'r',
      revises: ['x'],
      description: 'd',
    });
  });

  test('handles generic type annotations', () => {
    const text = "export const revision: string = 'r';\nexport const revises: Array<string>= ['p'];\n";
    assert.deepEqual(readStaticHeader(text)?.revises, ['p']);
  });

  test('decodes escapes in the description', () => {
    const text = String.raw`export const revision = 'r'; export const revises = null; export const description = 'it\'s a \"test\" \\ of\nlines \u00e9\x21';`;
    assert.equal(readStaticHeader(text)?.description, 'it\'s a "test" \\ of\nlines \u00e9!');
  });

  test('is not fooled by comments, strings or templates that look like a header', () => {
    const text = [
      "/* export const revision = 'fake1'; */",
      "// export const revises = 'fake2';",
      "const s = \"export const description = 'fake3'\";",
      'const t = `${s} export const revision = \'fake4\'`;',
      "const re = /export const revision = 'fake5'/;",
      "export const revision = 'real';",
      "export const revises = null; // export const description = 'fake6'",
      "export async function up(m) { const x = '/* not a comment'; }",
      "export const description = 'real /* not a comment */ either';",
    ].join('\n');
    assert.deepEqual(readStaticHeader(text), { revision: 'real', revises: [], description: 'real /* not a comment */ either' });
  });

  test('a header that exists only inside a comment is absent', () => {
    assert.equal(readStaticHeader("/*\nexport const revision = 'x';\nexport const revises = null;\n*/"), null);
    assert.equal(readStaticHeader("// export const revision = 'x';\nexport const revises = null;"), null);
  });

  test('a header written after the code, or split around it, is read from the whole file', () => {
    const after = "export async function up(m) { await m.sql('x'); }\nexport const revision = 'late';\nexport const revises = null;\nexport const description = 'd';\n";
    assert.deepEqual(readStaticHeader(after), { revision: 'late', revises: [], description: 'd' });
    const split = "export const revision = 's';\nexport const revises = ['p'];\nexport function up() {}\nexport const description = 'after';\n";
    assert.deepEqual(readStaticHeader(split), { revision: 's', revises: ['p'], description: 'after' });
    const computedLater = "export const revision = 's';\nexport const revises = null;\nfunction f() { return 'x'; }\nexport const description = f();\n";
    assert.equal(readStaticHeader(computedLater), null, 'a header name computed after the code still means import');
  });

  test('a complete header stops the reading: the body after it is not tokenized', () => {
    // An unterminated template in the body would make the whole file unreadable to the lexer.
    const text = "export const revision = 'r';\nexport const revises = null;\nexport const description = 'd';\nexport async function up(m) { const s = `unterminated; }\n";
    assert.deepEqual(readStaticHeader(text), { revision: 'r', revises: [], description: 'd' });
  });

  test('returns null for computed values and other forms, so the caller imports', () => {
    const cases = [
      "export const revision = 'a' + 'b'; export const revises = null;",
      "export const revision = 'ab'\n  .trim(); export const revises = null;",
      "export const revision = `a${1}`; export const revises = null;",
      "export const revision = 'a'; export const revises = parent;",
      "export const revision = 'a'; export const revises = ['p', other];",
      "export const revision = 'a'; export const revises = null; export const description = 'x'.repeat(2);",
      "export let revision = 'a'; export const revises = null;",
      "export var revision = 'a'; export const revises = null;",
      "const revision = 'a'; const revises = null; export { revision, revises };",
      "export const revises = null;",
      "export const revision = 'a';",
      "export const revision = 'a'; export const revision = 'b'; export const revises = null;",
      "export const { revision } = x; export const revises = null;",
      "export const revision = 'a'; export const revises = null; export const description = null;",
    ];
    for (const text of cases) assert.equal(readStaticHeader(text), null, text);
  });
});

describe('scanMigrations', () => {
  test('lists, sorts, checksums and reads headers, importing only computed ones', async () => {
    const computed =
      "export const revision = ['c', '3'].join('');\nexport const revises = 'b2';\nexport const description = 'computed ' + 'header';\n" +
      'export async function up(m) {}\n';
    const dir = await freshDir({
      '003_c.mjs': computed,
      '001_a.ts': plainTs('a1', 'null', 'first'),
      '002_b.js': "export const revision = 'b2';\nexport const revises = ['a1'];\nexport async function up(m) {}\n",
      'types.d.ts': 'export declare const x: number;\n',
      '_helpers.ts': 'export const revision = 42;\n',
      '.003_c.mjs.swp': 'junk',
      'README.md': '# notes',
    });
    await mkdir(join(dir, '004_dir.ts'));

    const files = await scanMigrations(dir);
    assert.deepEqual(
      files.map((f) => [f.file, f.revision, f.revises, f.description]),
      [
        ['001_a.ts', 'a1', [], 'first'],
        ['002_b.js', 'b2', ['a1'], ''],
        ['003_c.mjs', 'c3', ['b2'], 'computed header'],
      ],
    );
    assert.equal(files[2]!.path, join(dir, '003_c.mjs'));
    assert.equal(files[2]!.checksum, migrationChecksum(computed));
  });

  test('an empty directory gives an empty list', async () => {
    assert.deepEqual(await scanMigrations(await freshDir()), []);
  });

  test('a missing directory is a CONFIG error naming it', async () => {
    const missing = join(root, 'no-such-dir');
    await assert.rejects(
      scanMigrations(missing),
      isIdemError('CONFIG', (e) => {
        assert.match(e.message, /no-such-dir/);
        assert.match(e.hint!, /idem new/);
      }),
    );
  });

  test('an invalid revision is MIGRATION_INVALID naming the file', async () => {
    const dir = await freshDir({ '001_ok.ts': plainTs('ok', 'null'), '002_bad.ts': plainTs('has space', "'ok'") });
    await assert.rejects(scanMigrations(dir), isIdemError('MIGRATION_INVALID', (e) => assert.match(e.message, /002_bad\.ts/)));
  });

  test('an empty parent is MIGRATION_INVALID', async () => {
    const dir = await freshDir({ '001_bad.ts': plainTs('r1', "['']") });
    await assert.rejects(scanMigrations(dir), isIdemError('MIGRATION_INVALID', (e) => assert.match(e.message, /001_bad\.ts/)));
  });

  test('reads a thousand files', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++) files[`${String(i).padStart(4, '0')}_m.ts`] = plainTs(`r${i}`, i === 0 ? 'null' : `'r${i - 1}'`);
    const dir = await freshDir(files);
    const scanned = await scanMigrations(dir);
    assert.equal(scanned.length, 1000);
    assert.deepEqual(scanned[999]!.revises, ['r998']);
  });
});

describe('loadMigration', () => {
  test('loads a TypeScript migration with defaults', async () => {
    const dir = await freshDir({ '001_a.ts': plainTs('a1', "['p1', 'p2']", 'desc') });
    const loaded = await loadMigration(join(dir, '001_a.ts'));
    assert.equal(loaded.revision, 'a1');
    assert.deepEqual(loaded.revises, ['p1', 'p2']);
    assert.equal(loaded.description, 'desc');
    assert.equal(typeof loaded.up, 'function');
    assert.equal(loaded.down, undefined);
    assert.equal(loaded.transaction, true);
    assert.equal(loaded.path, join(dir, '001_a.ts'));
  });

  test('reads `transaction = false`', async () => {
    const dir = await freshDir({
      '001_a.mjs': "export const revision = 'a';\nexport const revises = null;\nexport const transaction = false;\nexport function up() {}\nexport function down() {}\n",
    });
    const loaded = await loadMigration(join(dir, '001_a.mjs'));
    assert.equal(loaded.transaction, false);
    assert.equal(typeof loaded.down, 'function');
  });

  test('a TypeScript syntax error is MIGRATION_LOAD with file, line and column', async () => {
    const dir = await freshDir({
      '001_broken.ts': "export const revision = 'a';\nexport const revises = null;\nexport async function up(m: unknown) {\n  const x: number = ;\n}\n",
    });
    await assert.rejects(
      loadMigration(join(dir, '001_broken.ts')),
      isIdemError('MIGRATION_LOAD', (e) => {
        assert.match(e.message, /001_broken\.ts:4:\d+ has a syntax error/);
        assert.ok(e.cause instanceof SyntaxError);
        assert.match(e.hint!, /fix the file/);
      }),
    );
  });

  test('a JavaScript syntax error gets its location too', async () => {
    const dir = await freshDir({ '001_broken.mjs': "export const revision = 'a';\nexport function up() {\n  return 1 +* 2;\n}\n" });
    await assert.rejects(
      loadMigration(join(dir, '001_broken.mjs')),
      isIdemError('MIGRATION_LOAD', (e) => assert.match(e.message, /001_broken\.mjs:3:13 has a syntax error: Unexpected token '\*'/)),
    );
  });

  test('an enum is explained as non-erasable TypeScript', async () => {
    const dir = await freshDir({ '001_enum.ts': "export const revision = 'a';\nenum Color { Red }\nexport function up() {}\n" });
    await assert.rejects(
      loadMigration(join(dir, '001_enum.ts')),
      isIdemError('MIGRATION_LOAD', (e) => {
        assert.match(e.message, /001_enum\.ts:2:1/);
        assert.match(e.hint!, /erasable/);
        assert.match(e.hint!, /enum/);
      }),
    );
  });

  test('a throw at import time is MIGRATION_LOAD with the message and location', async () => {
    const dir = await freshDir({ '001_throws.mjs': "export const revision = 'a';\nthrow new TypeError('boom');\n" });
    await assert.rejects(
      loadMigration(join(dir, '001_throws.mjs')),
      isIdemError('MIGRATION_LOAD', (e) => {
        assert.match(e.message, /001_throws\.mjs:2:\d+ failed to load: TypeError: boom/);
        assert.ok(e.cause instanceof TypeError);
      }),
    );
  });

  test('a module without `up` is MIGRATION_INVALID', async () => {
    const dir = await freshDir({ '001_noup.mjs': "export const revision = 'a';\nexport const revises = null;\nexport function down() {}\n" });
    await assert.rejects(
      loadMigration(join(dir, '001_noup.mjs')),
      isIdemError('MIGRATION_INVALID', (e) => {
        assert.match(e.message, /001_noup\.mjs/);
        assert.match(e.message, /`up`/);
      }),
    );
  });

  test('a module without `revision` or with a bad `transaction` is MIGRATION_INVALID', async () => {
    const dir = await freshDir({
      '001_norev.mjs': 'export const revises = null;\nexport function up() {}\n',
      '002_tx.mjs': "export const revision = 'a';\nexport const revises = null;\nexport const transaction = 'no';\nexport function up() {}\n",
    });
    await assert.rejects(loadMigration(join(dir, '001_norev.mjs')), isIdemError('MIGRATION_INVALID', (e) => assert.match(e.message, /`revision`/)));
    await assert.rejects(loadMigration(join(dir, '002_tx.mjs')), isIdemError('MIGRATION_INVALID', (e) => assert.match(e.message, /transaction/)));
  });
});

describe('writeMigration', () => {
  const now = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

  test('names files by UTC time and slug, and creates the directory', async () => {
    const dir = join(await freshDir(), 'migrations');
    const { path, revision } = await writeMigration(dir, { description: '  Add Groups & user_groups!  ', revises: [], now });
    assert.equal(basename(path), '20240102030405_add_groups_user_groups.ts');
    assert.match(revision, /^[0-9a-f]{12}$/);
    const later = await writeMigration(dir, { description: 'a', revises: [revision], now: new Date(now.getTime() + 1000) });
    assert.deepEqual(await readdir(dir), [basename(path), basename(later.path)]);
    const long = await writeMigration(dir, { description: 'x'.repeat(39) + ' yyyy', revises: [], now });
    assert.equal(basename(long.path), `20240102030405_${'x'.repeat(39)}.ts`);
    const symbols = await writeMigration(dir, { description: '!!!', revises: [], now });
    assert.equal(basename(symbols.path), '20240102030405_migration.ts');
  });

  test('adds _2, _3 on a name collision', async () => {
    const dir = await freshDir();
    const names = [];
    for (let i = 0; i < 3; i++) names.push(basename((await writeMigration(dir, { description: 'same', revises: [], now })).path));
    assert.deepEqual(names, ['20240102030405_same.ts', '20240102030405_same_2.ts', '20240102030405_same_3.ts']);
  });

  test('rejects an empty description', async () => {
    await assert.rejects(writeMigration(await freshDir(), { description: '   ', revises: [] }), isIdemError('USAGE'));
  });

  test('the TypeScript template round-trips through readStaticHeader and loadMigration', async () => {
    const dir = await freshDir();
    const description = `it's "quoted" \\ and\nmultiline`;
    const { path, revision } = await writeMigration(dir, { description, revises: ['p1'], now, revision: 'r1' });
    assert.equal(revision, 'r1');
    const text = await readFile(path, 'utf8');
    assert.match(text, /^import type \{ MigrationContext \} from 'idem';\n/);
    assert.match(text, /export const revises: string \| string\[\] \| null = 'p1';/);
    assert.match(text, /export async function up\(m: MigrationContext\): Promise<void> \{\n\}/);
    assert.deepEqual(readStaticHeader(text), { revision: 'r1', revises: ['p1'], description });
    const loaded = await loadMigration(path);
    assert.deepEqual([loaded.revision, loaded.revises, loaded.description], ['r1', ['p1'], description]);
    assert.equal(typeof loaded.down, 'function');
  });

  test('a root migration renders `revises` as null', async () => {
    const { path } = await writeMigration(await freshDir(), { description: 'first', revises: [], now });
    const text = await readFile(path, 'utf8');
    assert.match(text, /= null;/);
    assert.deepEqual(readStaticHeader(text)?.revises, []);
  });

  test('a merge lists its parents and explains its empty bodies', async () => {
    const { path } = await writeMigration(await freshDir(), { description: 'merge heads', revises: ['a', 'b'], now });
    const text = await readFile(path, 'utf8');
    assert.match(text, /= \['a', 'b'\];/);
    assert.equal(text.match(/merge .*usually needs no operations/g)?.length, 2);
    assert.deepEqual(readStaticHeader(text)?.revises, ['a', 'b']);
    assert.deepEqual((await loadMigration(path)).revises, ['a', 'b']);
  });

  test('writes JavaScript when the directory holds only JavaScript migrations', async () => {
    const dir = await freshDir({ '001_a.js': "export const revision = 'a';\nexport const revises = null;\nexport function up() {}\n" });
    const { path } = await writeMigration(dir, { description: 'next', revises: ['a'], now });
    assert.ok(path.endsWith('.js'), path);
    const text = await readFile(path, 'utf8');
    assert.doesNotMatch(text, /: string|Promise<void>|import type/);
    assert.match(text, /\/\*\* @param \{import\('idem'\)\.MigrationContext\} m \*\/\nexport async function up\(m\) \{/);
    assert.deepEqual(readStaticHeader(text), { revision: readStaticHeader(text)!.revision, revises: ['a'], description: 'next' });
    const scanned = await scanMigrations(dir);
    assert.deepEqual(scanned.map((f) => f.revises), [[], ['a']]);
  });

  test('stays TypeScript when the directory mixes languages, and js can be asked for', async () => {
    const dir = await freshDir({ '001_a.js': plainTs('a', 'null').replace(/import type.*\n/, ''), '002_b.ts': plainTs('b', "'a'") });
    assert.ok((await writeMigration(dir, { description: 'c', revises: ['b'], now })).path.endsWith('.ts'));
    const js = await writeMigration(await freshDir(), { description: 'c', revises: [], now, language: 'js' });
    assert.ok(js.path.endsWith('.mjs'), js.path);
    assert.equal((await loadMigration(js.path)).description, 'c');
  });
});
