/**
 * A small reader for the CREATE TABLE text SQLite keeps in sqlite_schema.sql.
 *
 * Two jobs need it. SQLite's pragmas do not report constraint names
 * (pragma_foreign_key_list has no name column; a UNIQUE constraint shows up
 * only as `sqlite_autoindex_<table>_<n>`), so names are read from the DDL.
 * And ALTER TABLE in SQLite cannot change or drop most things, so a rebuild
 * re-emits the original column and constraint text verbatim: CHECKs, COLLATE,
 * generated columns and odd quoting survive untouched.
 * https://www.sqlite.org/lang_altertable.html#otheralter
 *
 * This is not a SQL parser: it tokenizes, splits the body on top-level
 * commas, and recognises the few clauses it needs to name.
 * https://www.sqlite.org/lang_createtable.html
 */
import { IdemError } from '../../errors.ts';

export interface SqlToken {
  /** The exact source text of the token, quotes included. */
  text: string;
  kind: 'ident' | 'quoted' | 'string' | 'number' | 'punct' | 'blob';
  /**
   * `ident`: the text as written (compare keywords case-insensitively);
   * `quoted`: the identifier without its quotes, doubled quotes undone;
   * `string`: the literal's content; `blob`: the hex digits; otherwise the text.
   */
  value: string;
  start: number;
  end: number;
}

/**
 * One alternative per token kind, tried in order at the current position
 * (`y`): whitespace and comments (skipped), "quoted" / `quoted` / [quoted]
 * identifiers, 'strings', X'blobs', numbers, bare words, any other character.
 * An unterminated quote or comment runs to the end of the text.
 */
const TOKEN = new RegExp(
  [
    /(\s+|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$))/.source,
    /("(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)/.source,
    /('(?:[^']|'')*'?)/.source,
    /([xX]'[^']*'?)/.source,
    /(0[xX][0-9A-Fa-f_]+|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][+-]?[0-9]+)?)/.source,
    /([A-Za-z_\u0080-\uffff][A-Za-z0-9_$\u0080-\uffff]*)/.source,
    /([\s\S])/.source,
  ].join('|'),
  'y',
);
const KINDS = [null, 'quoted', 'string', 'blob', 'number', 'ident', 'punct'] as const;

/** Strips the quotes of an identifier or string and undoes doubled quotes (none inside [brackets]). */
function unquote(text: string): string {
  const open = text[0]!;
  const close = open === '[' ? ']' : open;
  const inner = text.length > 1 && text.endsWith(close) ? text.slice(1, -1) : text.slice(1);
  return open === '[' ? inner : inner.replaceAll(close + close, close);
}

/** Tokens of SQL text; comments and whitespace are skipped. */
export function tokenizeSql(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(sql); m !== null && m[0] !== ''; m = TOKEN.exec(sql)) {
    const group = m.findIndex((g, i) => i > 0 && g !== undefined);
    const kind = KINDS[group - 1];
    if (kind === null || kind === undefined) continue;
    const text = m[0];
    const value = kind === 'quoted' || kind === 'string' ? unquote(text) : kind === 'blob' ? unquote(text.slice(1)) : text;
    tokens.push({ text, kind, value, start: m.index, end: m.index + text.length });
  }
  return tokens;
}

export interface ColumnItem {
  kind: 'column';
  name: string;
  /** The column definition exactly as written, trimmed. */
  text: string;
  /** The declared type as written (`varchar(50)`, `DOUBLE PRECISION`); empty for a typeless column. */
  typeText: string;
  inlinePrimaryKey: boolean;
  inlineAutoIncrement: boolean;
  inlineUnique: { name: string | null } | null;
  inlineReferences: { name: string | null; refTable: string; refColumns: string[] } | null;
}

export interface ConstraintItem {
  kind: 'constraint';
  constraintName: string | null;
  type: 'primaryKey' | 'unique' | 'foreignKey' | 'check';
  /** The constrained columns, unquoted; empty for CHECK. */
  columns: string[];
  refTable?: string;
  /** Empty when the REFERENCES clause names no columns: the parent's primary key is meant. */
  refColumns?: string[];
  text: string;
}

export type TableItem = ColumnItem | ConstraintItem;

export interface ParsedCreateTable {
  /** Text up to and including the opening parenthesis: `CREATE TABLE "t" (`. */
  prefix: string;
  items: TableItem[];
  /** Text after the closing parenthesis: ` WITHOUT ROWID`, ` STRICT`, or empty. */
  suffix: string;
}

const CONSTRAINT_STARTS = new Set(['CONSTRAINT', 'PRIMARY', 'UNIQUE', 'CHECK', 'FOREIGN']);
/** Words that end a column's type and begin its constraints. */
const COLUMN_CONSTRAINT_WORDS = new Set([
  'CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS',
]);

function isWord(token: SqlToken | undefined, word: string): boolean {
  return token !== undefined && token.kind === 'ident' && token.value.toUpperCase() === word;
}

function isPunct(token: SqlToken | undefined, text: string): boolean {
  return token !== undefined && token.kind === 'punct' && token.text === text;
}

/** An identifier as SQLite accepts it in a name position: bare, quoted, or a string literal. */
function nameOf(token: SqlToken | undefined): string | null {
  if (token === undefined) return null;
  return token.kind === 'ident' || token.kind === 'quoted' || token.kind === 'string' ? token.value : null;
}

/** Index of the `)` matching the `(` at `open`, or -1. */
function matchingParen(tokens: readonly SqlToken[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (isPunct(tokens[i], '(')) depth++;
    else if (isPunct(tokens[i], ')') && --depth === 0) return i;
  }
  return -1;
}

/** The first token of each top-level comma-separated group inside `( ... )`: column names of a key list. */
function columnList(tokens: readonly SqlToken[], open: number): { names: string[]; close: number } {
  const close = matchingParen(tokens, open);
  const end = close < 0 ? tokens.length : close;
  const names: string[] = [];
  let depth = 0;
  let expectName = true;
  for (let i = open + 1; i < end; i++) {
    const t = tokens[i]!;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && isPunct(t, ',')) { expectName = true; continue; }
    if (expectName && depth === 0) {
      const name = nameOf(t);
      if (name !== null) names.push(name);
      expectName = false;
    }
  }
  return { names, close: end };
}

/** `REFERENCES table [(cols)]` starting at the REFERENCES token. */
function readReferences(tokens: readonly SqlToken[], at: number): { refTable: string; refColumns: string[] } {
  const refTable = nameOf(tokens[at + 1]) ?? '';
  const refColumns = isPunct(tokens[at + 2], '(') ? columnList(tokens, at + 2).names : [];
  return { refTable, refColumns };
}

/** Best-effort table name from the prefix, for messages. */
function tableNameIn(tokens: readonly SqlToken[]): string {
  const skip = ['TEMP', 'TEMPORARY', 'VIRTUAL', 'TABLE', 'IF', 'NOT', 'EXISTS'];
  let i = 1;
  while (skip.some((word) => isWord(tokens[i], word))) i++;
  if (isPunct(tokens[i + 1], '.')) i += 2;
  return nameOf(tokens[i]) ?? '?';
}

export function parseCreateTable(sql: string): ParsedCreateTable {
  const tokens = tokenizeSql(sql);
  const cannot = (why: string): IdemError =>
    new IdemError('INTERNAL', `table "${tableNameIn(tokens)}" cannot be rebuilt: ${why}`, {
      sql,
      hint: 'recreate the table with a plain CREATE TABLE (...) statement, or change it with m.sql()',
    });
  if (!isWord(tokens[0], 'CREATE')) throw cannot('its definition is not a CREATE TABLE statement');
  let i = 1;
  if (isWord(tokens[i], 'TEMP') || isWord(tokens[i], 'TEMPORARY')) i++;
  if (!isWord(tokens[i], 'TABLE')) throw cannot('its definition is not a CREATE TABLE statement (a virtual table?)');
  i++;
  if (isWord(tokens[i], 'IF') && isWord(tokens[i + 1], 'NOT') && isWord(tokens[i + 2], 'EXISTS')) i += 3;
  if (nameOf(tokens[i]) === null) throw cannot('no table name in its definition');
  i++;
  if (isPunct(tokens[i], '.')) i += 2;
  if (!isPunct(tokens[i], '(')) throw cannot('its definition has no column list (CREATE TABLE ... AS SELECT?)');
  const open = i;
  const close = matchingParen(tokens, open);
  if (close < 0) throw cannot('its definition has no closing parenthesis');

  const items: TableItem[] = [];
  let itemStart = open + 1;
  let depth = 0;
  for (let j = open + 1; j <= close; j++) {
    const t = tokens[j]!;
    if (j < close && isPunct(t, '(')) depth++;
    else if (j < close && isPunct(t, ')')) depth--;
    else if (j === close || (depth === 0 && isPunct(t, ','))) {
      if (j > itemStart) items.push(parseItem(sql, tokens.slice(itemStart, j)));
      itemStart = j + 1;
    }
  }
  return {
    prefix: sql.slice(0, tokens[open]!.end),
    items,
    suffix: sql.slice(tokens[close]!.end),
  };
}

function parseItem(sql: string, tokens: SqlToken[]): TableItem {
  const text = sql.slice(tokens[0]!.start, tokens[tokens.length - 1]!.end);
  const first = tokens[0]!;
  if (first.kind === 'ident' && CONSTRAINT_STARTS.has(first.value.toUpperCase())) return parseConstraint(tokens, text);
  return parseColumn(tokens, text);
}

function parseConstraint(tokens: SqlToken[], text: string): ConstraintItem {
  let i = 0;
  let constraintName: string | null = null;
  if (isWord(tokens[0], 'CONSTRAINT')) {
    constraintName = nameOf(tokens[1]);
    i = 2;
  }
  const word = tokens[i]?.value.toUpperCase();
  if (word === 'CHECK') return { kind: 'constraint', constraintName, type: 'check', columns: [], text };
  // PRIMARY KEY ( / UNIQUE ( / FOREIGN KEY (
  const open = tokens.findIndex((t, k) => k > i && isPunct(t, '('));
  const { names, close } = open < 0 ? { names: [], close: tokens.length } : columnList(tokens, open);
  if (word === 'FOREIGN') {
    const at = tokens.findIndex((t, k) => k > close && isWord(t, 'REFERENCES'));
    const ref = at < 0 ? { refTable: '', refColumns: [] } : readReferences(tokens, at);
    return { kind: 'constraint', constraintName, type: 'foreignKey', columns: names, ...ref, text };
  }
  return { kind: 'constraint', constraintName, type: word === 'PRIMARY' ? 'primaryKey' : 'unique', columns: names, text };
}

function parseColumn(tokens: SqlToken[], text: string): ColumnItem {
  const item: ColumnItem = {
    kind: 'column',
    name: nameOf(tokens[0]) ?? tokens[0]!.value,
    text,
    typeText: '',
    inlinePrimaryKey: false,
    inlineAutoIncrement: false,
    inlineUnique: null,
    inlineReferences: null,
  };
  // The type runs from the name to the first constraint word at depth 0.
  let i = 1;
  let depth = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (depth === 0 && t.kind === 'ident' && COLUMN_CONSTRAINT_WORDS.has(t.value.toUpperCase())) break;
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    i++;
  }
  if (i > 1) item.typeText = text.slice(tokens[1]!.start - tokens[0]!.start, tokens[i - 1]!.end - tokens[0]!.start);

  // Constraints: a pending CONSTRAINT name belongs to the next constraint word.
  let pendingName: string | null = null;
  while (i < tokens.length) {
    const t = tokens[i]!;
    if (isPunct(t, '(')) { i = skipGroup(tokens, i); continue; }
    const word = t.kind === 'ident' ? t.value.toUpperCase() : '';
    if (word === 'CONSTRAINT') {
      pendingName = nameOf(tokens[i + 1]);
      i += 2;
      continue;
    }
    if (word === 'DEFAULT') {
      i = skipDefault(tokens, i + 1);
      pendingName = null;
      continue;
    }
    if (word === 'PRIMARY') item.inlinePrimaryKey = true;
    else if (word === 'AUTOINCREMENT') item.inlineAutoIncrement = true;
    else if (word === 'UNIQUE') item.inlineUnique = { name: pendingName };
    else if (word === 'REFERENCES') {
      const ref = readReferences(tokens, i);
      item.inlineReferences = { name: pendingName, ...ref };
      i += 2; // the column list, if any, is skipped as a group next
      pendingName = null;
      continue;
    }
    if (COLUMN_CONSTRAINT_WORDS.has(word)) pendingName = null;
    i++;
  }
  return item;
}

/** Index after the `(...)` group starting at `open`. */
function skipGroup(tokens: readonly SqlToken[], open: number): number {
  const close = matchingParen(tokens, open);
  return close < 0 ? tokens.length : close + 1;
}

/** Index after a DEFAULT's value: `(expr)`, a signed number, a literal or a keyword. */
function skipDefault(tokens: readonly SqlToken[], at: number): number {
  if (isPunct(tokens[at], '(')) return skipGroup(tokens, at);
  if (isPunct(tokens[at], '-') || isPunct(tokens[at], '+')) return at + 2;
  return at + 1;
}
