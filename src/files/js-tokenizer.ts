/**
 * A small JavaScript/TypeScript tokenizer for reading migration headers
 * statically: it knows comments, strings, template literals (with `${`
 * nesting), regular expressions and bracket depth, and nothing more. Anything
 * it is unsure of throws Unreadable, and the caller falls back to importing.
 */

export interface Token {
  kind: 'ident' | 'punct' | 'string' | 'other';
  /** Identifier name, punctuator, or a string's cooked value (null when not a plain literal, e.g. a template with `${`). */
  value: string | null;
  /** A line break precedes this token; needed to tell where automatic semicolon insertion ends a declaration. */
  nl: boolean;
  /** Bracket depth before this token; 0 is top level. */
  depth: number;
  /** Offset of the token's first character in the text, for reporting a line and column. */
  start: number;
}

/** Thrown inside the lexer/parser when the text is not plainly readable; becomes a null result. */
export class Unreadable extends Error {}

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

/**
 * `stopAfter`: identifiers that end the scan when met at the top level (the
 * token itself is kept), for a reader that needs only what comes before them.
 */
export function tokenize(text: string, stopAfter?: ReadonlySet<string>): Token[] {
  const tokens: Token[] = [];
  let stopped = false;
  // Open brackets; 'tpl' marks a template substitution `${`, whose `}` resumes the template.
  const stack: string[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let nl = false;
  let start = i;
  const n = text.length;

  if (text.startsWith('#!', i)) {
    while (i < n && !isLineBreak(text.charCodeAt(i))) i++;
  }

  const push = (kind: Token['kind'], value: string | null): void => {
    tokens.push({ kind, value, nl, depth: stack.length, start });
    nl = false;
    if (kind === 'ident' && stack.length === 0 && stopAfter?.has(value!)) stopped = true;
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

  while (i < n && !stopped) {
    start = i;
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
