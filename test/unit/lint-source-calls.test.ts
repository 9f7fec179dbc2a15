/**
 * The static half of lint: `.sql(` and `.executeIf(` calls found in a
 * migration's source, with the line and column V8 would report, and only
 * what the source states literally.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readSourceCalls } from '../../src/files/source-calls.ts';

const source = [
  /* 1 */ "import type { MigrationContext } from 'idem';",
  /* 2 */ "export const revision = 'r1';",
  /* 3 */ 'export const revises = null;',
  /* 4 */ 'export async function up(m: MigrationContext): Promise<void> {',
  /* 5 */ "  await m.sql('CREATE TABLE a (id int)');",
  /* 6 */ "  await m.sql('INSERT INTO a VALUES (1)', [], { idempotent: true });",
  /* 7 */ "  await m.sql(`DELETE FROM a`, [], { description: 'x', idempotent: false });",
  /* 8 */ '  await m.sql(statement, [], options);',
  /* 9 */ '  await m.sql(`CREATE TABLE ${name} (id int)`);',
  /* 10 */ "  await m.executeIf({ sql: 'UPDATE a SET b = 1', condition: 'SELECT 1', description: 'd' });",
  /* 11 */ "  await m.executeIf({ sql: 'UPDATE a SET b = 1', description: 'no condition' });",
  /* 12 */ "  await m.executeIf({ ...base, description: 'spread' });",
  /* 13 */ '  await m',
  /* 14 */ "    .sql('DROP TABLE old');",
  /* 15 */ "  // await m.sql('CREATE TABLE in_a_comment (id int)');",
  /* 16 */ "  const text = 'm.sql(\"not a call\")';",
  /* 17 */ "  await m.sql('ANALYZE', [], { ...shared, idempotent: true });",
  /* 18 */ '}',
  /* 19 */ 'export const down = async (m: MigrationContext) => {',
  /* 20 */ "  await m.executeIf({ sql: 'x', condition: `SELECT COUNT(*) FROM a`, description: 'real' });",
  /* 21 */ '};',
].join('\n');

describe('lint: readSourceCalls', () => {
  const shape = readSourceCalls(source)!;

  test('finds each call with the line and column of its method name', () => {
    assert.deepEqual(shape.calls.map((c) => [c.method, c.line, c.column]), [
      ['sql', 5, 11], ['sql', 6, 11], ['sql', 7, 11], ['sql', 8, 11], ['sql', 9, 11],
      ['executeIf', 10, 11], ['executeIf', 11, 11], ['executeIf', 12, 11],
      ['sql', 14, 6], ['sql', 17, 11], ['executeIf', 20, 11],
    ]);
  });

  test('reads a literal statement and the idempotent flag only when written literally', () => {
    const sql = shape.calls.filter((c) => c.method === 'sql');
    assert.deepEqual(sql.map((c) => [c.line, 'text' in c ? c.text : undefined, c.idempotent]), [
      [5, 'CREATE TABLE a (id int)', false],
      [6, 'INSERT INTO a VALUES (1)', true],
      [7, 'DELETE FROM a', false],
      [8, undefined, 'unknown'],
      [9, undefined, false],
      [14, 'DROP TABLE old', false],
      [17, 'ANALYZE', true],
    ]);
  });

  test('reads the condition of executeIf: literal, absent, or unknown', () => {
    const conditions = shape.calls.filter((c) => c.method === 'executeIf').map((c) => [c.line, c.condition]);
    assert.deepEqual(conditions, [[10, 'SELECT 1'], [11, null], [12, 'unknown'], [20, 'SELECT COUNT(*) FROM a']]);
  });

  test('knows where up and down are declared', () => {
    assert.deepEqual(shape.declarations, { up: { line: 4, column: 23 }, down: { line: 19, column: 14 } });
  });

  test('counts CRLF, CR and U+2028 line breaks as V8 does', () => {
    const text = "export const revision = 'r';\r\nexport async function up(m) {\r  await m.sql('A');\u2028  await m.sql('B');\n}";
    assert.deepEqual(readSourceCalls(text)!.calls.map((c) => [c.line, c.column]), [[3, 11], [4, 11]]);
  });

  test('a file the tokenizer cannot read plainly gives null, not a guess', () => {
    assert.equal(readSourceCalls("export async function up(m) { await m.sql('unterminated); }"), null);
  });
});
