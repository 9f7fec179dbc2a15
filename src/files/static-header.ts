/**
 * Reads a migration's `revision`, `revises` and `description` from its source
 * text, without importing it. `idem up` with nothing to do needs only the
 * revision graph, and importing a thousand modules (type stripping included)
 * costs far more than reading them.
 *
 * The rule that keeps this safe: whenever the text is not exactly the plain
 * form `idem new` writes (a computed value, `let`, `export { }`, anything the
 * small lexer below is unsure of), return null and let the caller import the
 * module. A wrong answer would be worse than a slow one.
 *
 * The lexer (js-tokenizer.ts) skips comments, strings, template literals
 * and regular expressions, so `export const revision` inside any of them is
 * not read as a declaration; it tracks bracket depth so only top-level
 * statements count.
 */

import { tokenize, Unreadable, type Token } from './js-tokenizer.ts';

export interface StaticHeader {
  revision: string;
  revises: string[];
  description: string;
}

const HEADER_NAMES = new Set(['revision', 'revises', 'description']);

/**
 * Where the code after the header starts (`export async function up`). The
 * header `idem new` writes comes first, and once all three names are read as
 * `export const` literals nothing later in the file can change them (a const
 * cannot be reassigned; a second export of a name does not parse), so the
 * rest is not tokenized: a thousand migrations are read on every `idem up`.
 * A header that is incomplete there is looked for in the whole file.
 */
const CODE_STARTS = new Set(['function', 'class']);

export function readStaticHeader(text: string): StaticHeader | null {
  const plain = readTemplateHeader(text);
  if (plain !== null) return plain;
  const early = readHeaderTokens(text, CODE_STARTS);
  if (early !== null && early.complete) return early.header;
  return readHeaderTokens(text)?.header ?? null;
}

/**
 * The header exactly as `idem new` writes it (migration-writer.ts), through
 * the `export async function up(` that follows it, with string values free
 * of escapes; CRLF line ends too. Matched from the file's first character,
 * so nothing before it can open a comment or a string, and it ends where
 * the lexer's early stop would (CODE_STARTS). A regular expression runs
 * natively from the first file on, where the lexer is still interpreted
 * code: a thousand files took 18 ms through the lexer, in a new process.
 * Anything else (another quote style, an escape, a comment) goes to the lexer.
 */
const CHARS = String.raw`[^'\
  ]*`;
const LITERAL = `'${CHARS}'`;
const TEMPLATE_HEADER = new RegExp(
  String.raw`^﻿?(?:import type \{ MigrationContext \} from 'idem';?
?
)?`
  + String.raw`export const revision = '(?<revision>${CHARS})';?
`
  + String.raw`export const revises(?:: string \| string\[\] \| null)? = (?<revises>null|${LITERAL}|\[${LITERAL}(?:, ${LITERAL})*\]);?
`
  + String.raw`export const description = '(?<description>${CHARS})';?
?
`
  + String.raw`(?:/\*\* @param \{import\('idem'\)\.MigrationContext\} m \*/?
)?export async function up\(`,
);
const QUOTED = /'([^']*)'/g;

function readTemplateHeader(text: string): StaticHeader | null {
  const groups = TEMPLATE_HEADER.exec(text)?.groups;
  if (groups === undefined) return null;
  return {
    revision: groups.revision!,
    revises: groups.revises === 'null' ? [] : [...groups.revises!.matchAll(QUOTED)].map((m) => m[1]!),
    description: groups.description!,
  };
}

function readHeaderTokens(text: string, stopAfter?: ReadonlySet<string>): { header: StaticHeader | null; complete: boolean } | null {
  let tokens: Token[];
  try {
    tokens = tokenize(text, stopAfter);
  } catch (error) {
    if (error instanceof Unreadable) return null;
    throw error;
  }

  const found = new Map<string, LiteralValue>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.depth !== 0 || t.kind !== 'ident' || t.value !== 'export') continue;
    const next = tokens[i + 1];
    if (next?.kind !== 'ident' || next.value !== 'const') continue;
    const result = readDeclarators(tokens, i + 2, found);
    if (result === null) return null;
    i = result - 1;
  }

  const revision = found.get('revision');
  const revises = found.get('revises');
  const description = found.get('description');
  const complete = found.size === HEADER_NAMES.size;
  if (typeof revision !== 'string') return { header: null, complete };
  if (revises === undefined) return { header: null, complete };
  if (description !== undefined && typeof description !== 'string') return { header: null, complete };
  return {
    header: {
      revision,
      revises: revises === null ? [] : typeof revises === 'string' ? [revises] : revises,
      description: description ?? '',
    },
    complete,
  };
}

type LiteralValue = string | string[] | null;

/**
 * Reads `name [: type] = literal [, name = literal]...` after `export const`.
 * Records the header names it finds; returns the index to continue from, or
 * null when a header name is declared in a form this reader does not trust.
 */
function readDeclarators(tokens: Token[], start: number, found: Map<string, LiteralValue>): number | null {
  let i = start;
  for (;;) {
    const nameToken = tokens[i];
    // Destructuring (`export const { revision } = x`) could declare a header name; only an import can tell.
    if (nameToken?.kind !== 'ident') return null;
    const name = nameToken.value!;
    i++;
    if (isPunct(tokens[i], ':')) i = skipTypeAnnotation(tokens, i + 1, nameToken.depth);
    if (!isPunct(tokens[i], '=')) return HEADER_NAMES.has(name) ? null : i;
    i++;
    if (!HEADER_NAMES.has(name)) {
      // Not ours. Its initializer may be any expression; rather than parse it, stop here.
      // A header name declared later in the same list is then "absent", which falls back to import.
      return i;
    }
    if (found.has(name)) return null;
    const literal = readLiteral(tokens, i);
    if (literal === null) return null;
    i = literal.end;
    // `as const` changes the type, not the value.
    if (isIdent(tokens[i], 'as') && !tokens[i]!.nl && isIdent(tokens[i + 1], 'const')) i += 2;
    found.set(name, literal.value);

    const after = tokens[i];
    if (after === undefined) return i;
    if (isPunct(after, ';')) return i + 1;
    if (isPunct(after, ',')) {
      i++;
      continue;
    }
    // A line break ends the statement (ASI) only if the next token cannot continue the expression.
    // Only identifiers are accepted here; `in`, `instanceof`, `as` and `satisfies` would continue it.
    if (after.nl && after.kind === 'ident' && !CONTINUING_WORDS.has(after.value!)) return i;
    return null; // `'abc' + suffix`, `'abc'.trim()`, ...: computed
  }
}

const CONTINUING_WORDS = new Set(['in', 'instanceof', 'as', 'satisfies']);

function isPunct(t: Token | undefined, value: string): boolean {
  return t?.kind === 'punct' && t.value === value;
}

function isIdent(t: Token | undefined, value: string): boolean {
  return t?.kind === 'ident' && t.value === value;
}

/**
 * Skips a type annotation to the `=` at the declarator's own depth. The lexer
 * tracks `()`, `[]`, `{}`; angle brackets are counted here because only in a
 * type are they brackets. `=>` is its own token, so function types are safe.
 */
function skipTypeAnnotation(tokens: Token[], start: number, depth: number): number {
  let angles = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct' || t.depth !== depth) continue;
    if (t.value === '<') angles++;
    else if (t.value === '>') angles--;
    else if (angles <= 0 && (t.value === '=' || t.value === ';' || t.value === ',')) return i;
  }
  return tokens.length;
}

function readLiteral(tokens: Token[], start: number): { value: LiteralValue; end: number } | null {
  const t = tokens[start];
  if (t === undefined) return null;
  if (t.kind === 'string') return t.value === null ? null : { value: t.value, end: start + 1 };
  if (t.kind === 'ident' && t.value === 'null') return { value: null, end: start + 1 };
  if (t.kind === 'punct' && t.value === '[') {
    const items: string[] = [];
    let i = start + 1;
    for (;;) {
      const item = tokens[i];
      if (item?.kind === 'punct' && item.value === ']') return { value: items, end: i + 1 };
      if (item?.kind !== 'string' || item.value === null) return null;
      items.push(item.value);
      i++;
      const sep = tokens[i];
      if (sep?.kind === 'punct' && sep.value === ',') i++;
      else if (!(sep?.kind === 'punct' && sep.value === ']')) return null;
    }
  }
  return null;
}
