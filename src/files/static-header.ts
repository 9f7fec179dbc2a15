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
 * The lexer skips comments, strings, template literals and regular
 * expressions, so `export const revision` inside any of them is not read as a
 * declaration; it tracks bracket depth so only top-level statements count.
 */

export interface StaticHeader {
  revision: string;
  revises: string[];
  description: string;
}

interface Token {
  kind: 'ident' | 'punct' | 'string' | 'other';
  /** Identifier name, punctuator, or a string's cooked value (null when not a plain literal, e.g. a template with `${`). */
  value: string | null;
  /** A line break precedes this token; needed to tell where automatic semicolon insertion ends a declaration. */
  nl: boolean;
  /** Bracket depth before this token; 0 is top level. */
  depth: number;
}

/** Thrown inside the lexer/parser when the text is not plainly readable; becomes a null result. */
class Unreadable extends Error {}

const HEADER_NAMES = new Set(['revision', 'revises', 'description']);

export function readStaticHeader(text: string): StaticHeader | null {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
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
  if (typeof revision !== 'string') return null;
  if (revises === undefined) return null;
  if (description !== undefined && typeof description !== 'string') return null;
  return {
    revision,
    revises: revises === null ? [] : typeof revises === 'string' ? [revises] : revises,
    description: description ?? '',
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

// ---------------------------------------------------------------- lexer

const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw',
  'case', 'do', 'else', 'yield', 'await', 'extends',
]);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 0x80;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function isLineBreak(c: number): boolean {
  return c === 10 || c === 13 || c === 0x2028 || c === 0x2029;
}

const OPENER: Record<number, string> = { 125: '{', 41: '(', 93: '[' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  // Open brackets; 'tpl' marks a template substitution `${`, whose `}` resumes the template.
  const stack: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let nl = false;
  const n = text.length;

  if (text.startsWith('#!', i)) {
    while (i < n && !isLineBreak(text.charCodeAt(i))) i++;
  }

  const push = (kind: Token['kind'], value: string | null): void => {
    tokens.push({ kind, value, nl, depth: stack.length });
    nl = false;
  };

  /**
   * Whether a `/` here starts a regular expression rather than dividing: the usual
   * previous-token rule. It guesses wrong only in rare code (`a++ / b`, a block
   * followed by a regex statement); a regex cannot span lines, so a wrong guess
   * stays on its line or makes the file unreadable, which means an import.
   */
  const regexAllowed = (): boolean => {
    const prev = tokens[tokens.length - 1];
    if (prev === undefined) return true;
    if (prev.kind === 'punct') return prev.value !== ')' && prev.value !== ']';
    if (prev.kind === 'ident') return KEYWORDS_BEFORE_EXPRESSION.has(prev.value!);
    return false;
  };

  /**
   * Scans a template from just after its opening backtick (or a substitution's `}`).
   * Returns its value, or null when it reaches a `${`: the lexer then reads the
   * substitution as code and resumes the template at the matching `}`.
   */
  const scanTemplate = (): string | null => {
    const begin = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 96 /* ` */) {
        const raw = text.slice(begin, i);
        i++;
        // A template's CR and CRLF are LF in its value.
        return cook(raw.replace(/\r\n?/g, '\n'));
      }
      if (c === 92 /* \ */) {
        i += 2;
        continue;
      }
      if (c === 36 /* $ */ && text.charCodeAt(i + 1) === 123 /* { */) {
        i += 2;
        stack.push('tpl');
        return null;
      }
      i++;
    }
    throw new Unreadable('unterminated template');
  };

  while (i < n) {
    const c = text.charCodeAt(i);

    if (c === 32 || c === 9 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff) {
      i++;
      continue;
    }
    if (isLineBreak(c)) {
      nl = true;
      i++;
      continue;
    }

    if (c === 47 /* / */) {
      const d = text.charCodeAt(i + 1);
      if (d === 47) {
        while (i < n && !isLineBreak(text.charCodeAt(i))) i++;
        continue;
      }
      if (d === 42 /* * */) {
        const end = text.indexOf('*/', i + 2);
        if (end < 0) throw new Unreadable('unterminated comment');
        if (/[\n\r\u2028\u2029]/.test(text.slice(i + 2, end))) nl = true;
        i = end + 2;
        continue;
      }
      if (regexAllowed()) {
        i++;
        let inClass = false;
        for (;;) {
          if (i >= n || isLineBreak(text.charCodeAt(i))) throw new Unreadable('unterminated regex');
          const r = text.charCodeAt(i);
          if (r === 92) i += 2;
          else {
            i++;
            if (r === 91 /* [ */) inClass = true;
            else if (r === 93 /* ] */) inClass = false;
            else if (r === 47 && !inClass) break;
          }
        }
        while (i < n && isIdentPart(text.charCodeAt(i))) i++;
        push('other', null);
        continue;
      }
      i++;
      push('punct', '/');
      continue;
    }

    if (c === 39 /* ' */ || c === 34 /* " */) {
      const begin = ++i;
      for (;;) {
        if (i >= n) throw new Unreadable('unterminated string');
        const s = text.charCodeAt(i);
        if (s === c) break;
        if (s === 10 || s === 13) throw new Unreadable('line break in string');
        // A backslash escapes the next character; `\` CR LF is one line continuation.
        if (s === 92) i += text.charCodeAt(i + 1) === 13 && text.charCodeAt(i + 2) === 10 ? 3 : 2;
        else i++;
      }
      push('string', cook(text.slice(begin, i)));
      i++;
      continue;
    }

    if (c === 96 /* ` */) {
      i++;
      push('string', scanTemplate());
      continue;
    }

    if (isIdentStart(c)) {
      const begin = i;
      while (i < n && isIdentPart(text.charCodeAt(i))) i++;
      // `rev\u0069sion` is `revision`; not worth decoding, so give up on the whole file.
      if (text.charCodeAt(i) === 92) throw new Unreadable('escape in identifier');
      push('ident', text.slice(begin, i));
      continue;
    }

    if ((c >= 48 && c <= 57) || (c === 46 && text.charCodeAt(i + 1) >= 48 && text.charCodeAt(i + 1) <= 57)) {
      while (i < n && (isIdentPart(text.charCodeAt(i)) || text.charCodeAt(i) === 46)) i++;
      push('other', null);
      continue;
    }

    if (c === 92) throw new Unreadable('escape in identifier');

    if (c === 123 /* { */ || c === 40 /* ( */ || c === 91 /* [ */) {
      push('punct', text[i]!);
      stack.push(text[i]!);
      i++;
      continue;
    }
    if (c === 125 /* } */ || c === 41 /* ) */ || c === 93 /* ] */) {
      const open = stack.pop();
      if (open === 'tpl' && c === 125) {
        i++;
        scanTemplate(); // the rest of a template that already has a substitution: not plain either way
        continue;
      }
      if (open !== OPENER[c]) throw new Unreadable('unbalanced brackets');
      push('punct', text[i]!);
      i++;
      continue;
    }

    if (c === 61 /* = */) {
      // `=>` and `==`/`===` are single tokens so a bare `=` is always an assignment.
      if (text.charCodeAt(i + 1) === 62) {
        i += 2;
        push('punct', '=>');
      } else {
        const begin = i;
        while (text.charCodeAt(i) === 61) i++;
        push('punct', text.slice(begin, i));
      }
      continue;
    }
    if (c === 33 /* ! */ && text.charCodeAt(i + 1) === 61) {
      // `!=` and `!==`. (`<=` and `>=` stay two tokens: in `Array<string>= x` the `>` closes a type.)
      const begin = i;
      i += 2;
      while (text.charCodeAt(i) === 61) i++;
      push('punct', text.slice(begin, i));
      continue;
    }

    push('punct', text[i]!);
    i++;
  }
  if (stack.length !== 0) throw new Unreadable('unbalanced brackets');
  return tokens;
}

/** A string or template literal's value from its source text, or null for escapes a module may not use. */
function cook(raw: string): string | null {
  if (!raw.includes('\\')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = raw[++i];
    switch (e) {
      case undefined: return null;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'v': out += '\v'; break;
      case '0':
        // `\0` followed by a digit is a legacy octal escape, a syntax error in modules.
        if (/[0-9]/.test(raw[i + 1] ?? '')) return null;
        out += '\0';
        break;
      case 'x': {
        const hex = raw.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
        break;
      }
      case 'u': {
        let hex: string;
        if (raw[i + 1] === '{') {
          const close = raw.indexOf('}', i + 2);
          if (close < 0) return null;
          hex = raw.slice(i + 2, close);
          if (!/^[0-9a-fA-F]{1,6}$/.test(hex)) return null;
          i = close;
        } else {
          hex = raw.slice(i + 1, i + 5);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) return null;
          i += 4;
        }
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) return null;
        out += String.fromCodePoint(code);
        break;
      }
      case '\r':
        if (raw[i + 1] === '\n') i++;
        break; // line continuation
      case '\n':
      case '\u2028':
      case '\u2029':
        break; // line continuation
      default:
        if (/[1-9]/.test(e)) return null; // legacy octal (and \8 \9): not allowed in modules
        out += e;
    }
  }
  return out;
}
