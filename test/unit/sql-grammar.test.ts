/**
 * The grammars SQL text from a migration must fit before it is pasted into
 * DDL (sql-grammar.ts): a raw column type and a default expression. Each
 * accepted spelling is one users write; each refused one would end the
 * statement, open a comment or leave a quote open on some engine.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSqlProblem, sqlTypeProblem } from '../../src/plan/sql-grammar.ts';

describe('sqlType grammar', () => {
  it('accepts type names as the engines spell them', () => {
    for (const type of [
      'varchar(40)', 'numeric(12,2)', 'numeric(12, 2)', 'int unsigned', 'bigint unsigned zerofill', 'double precision',
      'timestamp(3) with time zone', 'timestamp without time zone', 'character varying(20)', "enum('a', 'b', 'it''s')",
      "set('x','y')", 'text[]', 'int[3]', 'varchar(20) collate utf8mb4_bin', 'varchar(20) character set utf8mb4',
      'geometry(Point, 4326)', 'interval day to second(3)', 'datetime(6) on update current_timestamp(6)', 'decimal(10,-2)',
      'tinyint(1)', 'jsonb', 'uuid', 'bit varying(5)', 'public.citext', '"Mood"', '"Accounts"."Plan"[]',
    ]) {
      assert.equal(sqlTypeProblem(type), undefined, type);
    }
  });

  it('refuses a statement separator, comments, stray quotes and anything but a type', () => {
    const cases: Array<[string, RegExp]> = [
      ['varchar(10); drop table a', /`;`/],
      ['int -- comment', /comment/],
      ['int /* x */', /comment/],
      ['int # x', /comment/],
      ["enum('a)", /unterminated quote/],
      ["enum('a\\', 'b')", /backslash/],
      ['varchar(10', /not closed/],
      ['varchar(10))', /"\)"/],
      ['varchar(select 1)', /parenthesised list/],
      ['int default 1 + 1', /"1" where a word/],
      ['`int`', /backtick/],
      ['$$int$$', /`\$`/],
      ['int = ?', /placeholder/],
      ['(int)', /does not start with a type name/],
      ['text[', /unclosed `\[`/],
      ['public.', /"\." where a word/],
      ['x'.repeat(201), /at most 200/],
    ];
    for (const [type, problem] of cases) assert.match(sqlTypeProblem(type) ?? 'accepted', problem, type);
  });
});

describe('default expression grammar', () => {
  it('accepts literals, calls, operators and casts', () => {
    for (const sql of [
      'CURRENT_TIMESTAMP', 'current_timestamp()', 'CURRENT_TIMESTAMP(3)', 'now()', 'gen_random_uuid()', 'uuid()', "(datetime('now'))",
      '(1 + 2) * 3', "'{}'::jsonb", "lower('X')", "'it''s'", '-1', '1.5e3', 'NULL', 'true', "nextval('seq'::regclass)",
      "ARRAY[1, 2]", "'a' || 'b'", "(strftime('%s', 'now'))", '"col" + 1', "E'x'", 'x <> 1', 'a >= b',
    ]) {
      assert.equal(defaultSqlProblem(sql), undefined, sql);
    }
  });

  it('refuses a second statement, comments, unbalanced parentheses and quotes', () => {
    const cases: Array<[string, RegExp]> = [
      ['1); DROP TABLE a; --', /`;`/],
      ['1 -- x', /comment/],
      ['1 /* x */', /comment/],
      ["'a", /unterminated quote/],
      ["'a\\' || 'b'", /backslash/],
      ['(1', /unclosed "\("/],
      ['1)', /unbalanced "\)"/],
      ['f(1]', /unbalanced "\]"/],
      ['$1', /`\$`/],
      ['?', /placeholder/],
      ['`x`', /backtick/],
      ['"unterminated', /double quote/],
      ['1'.repeat(1001), /at most 1000/],
    ];
    for (const [sql, problem] of cases) assert.match(defaultSqlProblem(sql) ?? 'accepted', problem, sql);
  });
});
