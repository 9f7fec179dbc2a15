/**
 * What `idem lint` can tell about a migration's raw SQL from its text alone:
 * whether it changes structure or data, which `m.` operation does the same
 * idempotently, whether it carries its own existence guard, and whether a
 * condition query is a constant. Pure and deliberately shallow: it reads
 * keywords, never parses, and where it is unsure it answers "other" or "not
 * constant", so a guess never becomes a false accusation.
 */

interface SqlToken {
  kind: 'word' | 'number' | 'string' | 'quoted' | 'param' | 'punct';
  /** Words upper-cased; punctuation as written. */
  text: string;
}

/**
 * Words, numbers, literals, quoted identifiers, `?`/`$1` parameters and
 * punctuation, with comments dropped. Strings and quoted identifiers become
 * single tokens, so a keyword inside them (`'DROP TABLE'`) is not read.
 */
export function sqlTokens(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  const n = sql.length;
  let i = 0;
  while (i < n) {
    const c = sql[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (c === '-' && sql[i + 1] === '-') {
      while (i < n && sql[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      // A doubled quote is an escaped one in every engine; MySQL's backslash escapes are skipped too.
      let j = i + 1;
      while (j < n) {
        if (sql[j] === '\\' && c === "'") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      tokens.push({ kind: c === "'" ? 'string' : 'quoted', text: sql.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        // PostgreSQL's dollar quoting: $$ … $$ or $tag$ … $tag$.
        const end = sql.indexOf(tag[0], i + tag[0].length);
        const stop = end < 0 ? n : end + tag[0].length;
        tokens.push({ kind: 'string', text: sql.slice(i, stop) });
        i = stop;
        continue;
      }
      const positional = /^\$\d+/.exec(sql.slice(i));
      if (positional) {
        tokens.push({ kind: 'param', text: positional[0] });
        i += positional[0].length;
        continue;
      }
    }
    if (c === '?') { tokens.push({ kind: 'param', text: '?' }); i++; continue; }
    const number = /^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?/i.exec(sql.slice(i));
    if (number) { tokens.push({ kind: 'number', text: number[0] }); i += number[0].length; continue; }
    const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(sql.slice(i));
    if (word) { tokens.push({ kind: 'word', text: word[0].toUpperCase() }); i += word[0].length; continue; }
    const operator = /^(<>|!=|<=|>=|\|\||::)/.exec(sql.slice(i));
    const text = operator ? operator[0] : c;
    tokens.push({ kind: 'punct', text });
    i += text.length;
  }
  return tokens;
}

export type StatementKind = 'structure' | 'data' | 'other';

const STRUCTURE_WORDS = new Set(['CREATE', 'ALTER', 'DROP', 'RENAME', 'COMMENT']);
/** TRUNCATE repeats harmlessly but wipes what arrived since: a data change that wants a condition. */
const DATA_WORDS = new Set(['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'REPLACE', 'UPSERT', 'TRUNCATE']);

/**
 * The verb of each statement (`;`-separated at the top level); a leading
 * `WITH … AS (…)` is looked through to the statement it feeds.
 */
function statementVerbs(tokens: SqlToken[]): string[] {
  const verbs: string[] = [];
  let depth = 0;
  let expecting = true;
  let inWith = false;
  for (const t of tokens) {
    if (t.kind === 'punct') {
      if (t.text === '(') depth++;
      else if (t.text === ')') depth = Math.max(0, depth - 1);
      else if (t.text === ';' && depth === 0) {
        expecting = true;
        inWith = false;
      }
      continue;
    }
    if (depth !== 0 || t.kind !== 'word') continue;
    if (expecting) {
      if (t.text === 'WITH') {
        inWith = true;
        expecting = false;
        continue;
      }
      verbs.push(t.text);
      expecting = false;
    } else if (inWith && (DATA_WORDS.has(t.text) || t.text === 'SELECT')) {
      verbs.push(t.text);
      inWith = false;
    }
  }
  return verbs;
}

/** `structure` if any statement changes the schema, else `data` if any changes rows, else `other` (SET, PRAGMA, SELECT …). */
export function statementKind(sql: string): StatementKind {
  const verbs = statementVerbs(sqlTokens(sql));
  if (verbs.some((v) => STRUCTURE_WORDS.has(v))) return 'structure';
  if (verbs.some((v) => DATA_WORDS.has(v))) return 'data';
  return 'other';
}

/**
 * Every statement reads or writes rows and none can change the schema
 * (INSERT, UPDATE, DELETE, MERGE, REPLACE, TRUNCATE, SELECT): the run may keep
 * what it read of the catalog. Anything else (DDL, CALL, DO, EXECUTE, SET), a
 * dollar-quoted body that could hide statements, or no statement at all,
 * answers false.
 */
export function changesOnlyRows(sql: string): boolean {
  if (/\$[A-Za-z_0-9]*\$/.test(sql)) return false;
  const verbs = statementVerbs(sqlTokens(sql));
  return verbs.length > 0 && verbs.every((v) => DATA_WORDS.has(v) || v === 'SELECT');
}

/**
 * The SQL already guards itself (`IF NOT EXISTS`, `ON CONFLICT`, `WHERE NOT
 * EXISTS`, `INSERT IGNORE` …): worth saying in a hint, since such a statement
 * may well be safe to mark idempotent. It proves nothing on its own.
 */
export function hasOwnGuard(sql: string): boolean {
  const words = sqlTokens(sql).filter((t) => t.kind === 'word').map((t) => t.text);
  const seq = (...want: string[]): boolean => words.some((_, i) => want.every((w, k) => words[i + k] === w));
  return seq('IF', 'NOT', 'EXISTS') || seq('IF', 'EXISTS') || seq('NOT', 'EXISTS') || seq('OR', 'REPLACE')
    || seq('ON', 'CONFLICT') || seq('ON', 'DUPLICATE', 'KEY') || seq('INSERT', 'IGNORE') || seq('INSERT', 'OR', 'IGNORE');
}

/** The `m.` operation that does what this statement does, checking first; undefined when there is none. */
export function matchingOperation(sql: string): string | undefined {
  const words = sqlTokens(sql).filter((t) => t.kind === 'word').map((t) => t.text);
  const [verb, object] = words;
  const has = (w: string): boolean => words.includes(w);
  switch (verb) {
    case 'CREATE':
      if (object === 'TABLE') return 'm.createTable';
      if (has('INDEX')) return 'm.createIndex';
      return undefined;
    case 'DROP':
      if (object === 'TABLE') return 'm.dropTable';
      if (object === 'INDEX') return 'm.dropIndex';
      return undefined;
    case 'ALTER': {
      if (object !== 'TABLE') return undefined;
      const action = words.slice(3);
      const first = action[0];
      if (first === 'ADD') {
        if (action.includes('FOREIGN')) return 'm.addForeignKey';
        if (action.includes('UNIQUE')) return 'm.addUnique';
        if (action.includes('INDEX') || action.includes('KEY')) return 'm.createIndex';
        return 'm.addColumn';
      }
      if (first === 'DROP') {
        if (action.includes('FOREIGN')) return 'm.dropForeignKey';
        if (action[1] === 'CONSTRAINT') return 'm.dropForeignKey or m.dropUnique';
        if (action.includes('INDEX') || action.includes('KEY')) return 'm.dropIndex';
        return 'm.dropColumn';
      }
      if (first === 'RENAME') return action.includes('COLUMN') ? 'm.renameColumn' : 'm.renameTable';
      if (first === 'ALTER' || first === 'MODIFY' || first === 'CHANGE') return 'm.alterColumn';
      return undefined;
    }
    case 'RENAME':
      return 'm.renameTable';
    case 'INSERT': case 'UPDATE': case 'DELETE': case 'MERGE': case 'REPLACE':
      return 'm.executeIf';
    default:
      return undefined;
  }
}

/** Words a constant expression may contain besides literals and operators. */
const CONSTANT_WORDS = new Set(['TRUE', 'FALSE', 'NULL', 'AND', 'OR', 'NOT', 'IS']);

/**
 * A condition that reads nothing: `SELECT 1`, `SELECT true`, `SELECT 1 = 1
 * AS go`, `SELECT ?`. Its answer cannot change when the data does, so it
 * cannot tell whether the change already ran. Any table, function or
 * subquery makes it "not constant": `SELECT to_regclass('t') IS NULL` reads
 * the catalog and is a real condition.
 */
export function isConstantCondition(sql: string): boolean {
  const tokens = sqlTokens(sql);
  while (tokens.length > 0 && tokens.at(-1)!.kind === 'punct' && tokens.at(-1)!.text === ';') tokens.pop();
  // MySQL's `FROM DUAL` is no table at all.
  const last = tokens.length;
  if (last >= 2 && tokens[last - 2]!.text === 'FROM' && tokens[last - 1]!.text === 'DUAL') tokens.splice(last - 2, 2);
  const [first, ...rest] = tokens;
  if (first?.kind !== 'word' || (first.text !== 'SELECT' && first.text !== 'VALUES') || rest.length === 0) return false;
  for (let i = 0; i < rest.length; i++) {
    const t = rest[i]!;
    if (t.kind === 'number' || t.kind === 'string' || t.kind === 'param') continue;
    if (t.kind === 'punct') {
      if (/^(=|<>|!=|<|>|<=|>=|\+|-|\*|\/|%|\(|\)|,)$/.test(t.text)) continue;
      return false;
    }
    if (t.kind === 'word' && CONSTANT_WORDS.has(t.text)) continue;
    // `AS alias` names the value; the alias is the last token or precedes a comma.
    if (t.kind === 'word' && t.text === 'AS') {
      const alias = rest[i + 1];
      const after = rest[i + 2];
      if ((alias?.kind === 'word' || alias?.kind === 'quoted') && (after === undefined || after.text === ',')) {
        i++;
        continue;
      }
    }
    return false;
  }
  return true;
}

/** A statement as quoted in a message: one line, at most 60 characters. */
export function sqlExcerpt(sql: string): string {
  const line = sql.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
