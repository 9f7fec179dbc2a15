/**
 * The two places a migration writes SQL text that idem pastes into DDL:
 * `sqlType` (a raw column type) and a default given as `{ sql }`. Each is
 * read against a small grammar before anything is compiled, so neither can
 * end the statement, open a comment or leave a quote open: what passes is a
 * type name or an expression, never a second statement.
 *
 * - sqlType: a type name of words (or `"quoted"` names, schema-qualified
 *   with a dot), each optionally followed by one
 *   parenthesised list of numbers, single-quoted literals or single words,
 *   and `[]` suffixes: `varchar(40)`, `numeric(12, 2)`, `int unsigned`,
 *   `timestamp(3) with time zone`, `enum('a', 'b')`, `text[]`,
 *   `varchar(20) collate utf8mb4_bin`, `geometry(Point, 4326)`.
 * - a default expression: literals (numbers, single-quoted strings, `"quoted"`
 *   names), words (names, keywords, function names), operators and balanced
 *   parentheses and brackets: `CURRENT_TIMESTAMP`, `now()`,
 *   `gen_random_uuid()`, `(1 + 2) * 3`, `'{}'::jsonb`, `lower('X')`.
 *
 * Neither may hold `;`, `--`, `/*`, `#`, a backslash (MySQL reads one as an
 * escape inside a string, so a literal `'\'` would end elsewhere there than
 * here), a backtick, `$` (PostgreSQL's dollar quotes and parameters), `?`
 * (a placeholder) or an unbalanced quote or parenthesis.
 */

/** Longest accepted text: a type or a default is short; anything longer is not one. */
export const SQL_TYPE_MAX_LENGTH = 200;
export const DEFAULT_SQL_MAX_LENGTH = 1000;

type Token =
  | { kind: 'word'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'name'; text: string }
  | { kind: 'op'; text: string }
  | { kind: 'punct'; text: '(' | ')' | ',' | '[' | ']' | '.' };

const WORD = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
/** A single-quoted literal, quotes doubled inside; no backslash (see above). */
const STRING = /'(?:[^'\\]|'')*'/y;
/** A double-quoted name, no quote or backslash inside. */
const NAME = /"[^"\\]+"/y;
/** Operators: `::`, comparison, arithmetic, concatenation, bitwise. */
const OPERATOR = /::|<>|<=|>=|!=|\|\||[-+*/%<>=|&^~!]/y;

/** Tokens of `text`, or why it cannot be one of ours. */
function tokenize(text: string): Token[] | string {
  // Anywhere, quoted or not: MySQL reads it as an escape inside a string.
  if (text.includes('\\')) return 'a backslash';
  const tokens: Token[] = [];
  let i = 0;
  const at = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(text);
    return m ? m[0] : undefined;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    if (text.startsWith('--', i) || text.startsWith('/*', i) || c === '#') return 'a comment';
    if (c === ';') return 'a `;` (a statement separator)';
    if (c === '`') return 'a backtick';
    if (c === '$') return 'a `$`';
    if (c === '?') return 'a `?` placeholder';
    let piece: string | undefined;
    if ((piece = at(STRING)) !== undefined) tokens.push({ kind: 'string', text: piece });
    else if (c === "'") return 'an unterminated quote';
    else if ((piece = at(NAME)) !== undefined) tokens.push({ kind: 'name', text: piece });
    else if (c === '"') return 'an unterminated or empty double quote';
    else if ((piece = at(NUMBER)) !== undefined) tokens.push({ kind: 'number', text: piece });
    else if ((piece = at(WORD)) !== undefined) tokens.push({ kind: 'word', text: piece });
    else if ('(),[].'.includes(c)) { tokens.push({ kind: 'punct', text: c as '(' }); i++; continue; }
    else if ((piece = at(OPERATOR)) !== undefined) tokens.push({ kind: 'op', text: piece });
    else return `the character ${JSON.stringify(c)}`;
    i += piece.length;
  }
  return tokens;
}

/** Why `sqlType` is not a type name, or undefined when it is one. */
export function sqlTypeProblem(sqlType: string): string | undefined {
  if (sqlType.length > SQL_TYPE_MAX_LENGTH) return `is ${sqlType.length} characters long; a type name is at most ${SQL_TYPE_MAX_LENGTH}`;
  const tokens = tokenize(sqlType);
  if (typeof tokens === 'string') return `holds ${tokens}`;
  const isName = (t: Token | undefined) => t?.kind === 'word' || t?.kind === 'name';
  if (!isName(tokens[0])) return 'does not start with a type name';
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (isName(t)) {
      i++;
      // A schema-qualified name: `public.citext`, `"Accounts"."Plan"`.
      while (tokens[i]?.text === '.' && isName(tokens[i + 1])) i += 2;
      if (tokens[i]?.text === '(') {
        const end = argumentList(tokens, i);
        if (end === undefined) return 'has a parenthesised list that is not numbers, quoted literals or single words, or is not closed';
        i = end;
      }
    } else if (t.text === '[') {
      // An array suffix: `text[]`, `int[3]`.
      if (tokens[i + 1]?.kind === 'number' && tokens[i + 2]?.text === ']') i += 3;
      else if (tokens[i + 1]?.text === ']') i += 2;
      else return 'has an unclosed `[`';
    } else {
      return `has ${JSON.stringify(t.text)} where a word, \`(…)\` or \`[]\` belongs`;
    }
  }
  return undefined;
}

/** `( arg [, arg]* )` from `open`; the index after `)`, or undefined. */
function argumentList(tokens: Token[], open: number): number | undefined {
  let i = open + 1;
  for (;;) {
    const arg = tokens[i];
    if (arg?.kind === 'op' && (arg.text === '-' || arg.text === '+') && tokens[i + 1]?.kind === 'number') i++;
    else if (arg === undefined || !(arg.kind === 'number' || arg.kind === 'string' || arg.kind === 'word')) return undefined;
    i++;
    const next = tokens[i]?.text;
    if (next === ')') return i + 1;
    if (next !== ',') return undefined;
    i++;
  }
}

/** Why `sql` is not a default expression, or undefined when it is one. */
export function defaultSqlProblem(sql: string): string | undefined {
  if (sql.length > DEFAULT_SQL_MAX_LENGTH) return `is ${sql.length} characters long; a default expression is at most ${DEFAULT_SQL_MAX_LENGTH}`;
  const tokens = tokenize(sql);
  if (typeof tokens === 'string') return `holds ${tokens}`;
  if (tokens.length === 0) return 'is empty';
  const open: string[] = [];
  for (const t of tokens) {
    if (t.text === '(' || t.text === '[') open.push(t.text === '(' ? ')' : ']');
    else if (t.text === ')' || t.text === ']') {
      if (open.pop() !== t.text) return `has an unbalanced ${JSON.stringify(t.text)}`;
    }
  }
  if (open.length > 0) return `has an unclosed ${JSON.stringify(open.at(-1) === ')' ? '(' : '[')}`;
  return undefined;
}
