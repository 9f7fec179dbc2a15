/**
 * The `.sql(…)` and `.executeIf(…)` calls written in a migration's source,
 * with their line and column, read without running anything (the tokenizer
 * that reads headers). `idem lint` records what `up`/`down` call against a
 * dry context; a call behind a branch that context did not take, or after an
 * `m.query` it could not answer, is only found here.
 *
 * Only what the source states literally counts: a statement in a string
 * literal, `{ idempotent: true }` written in the call. Anything computed is
 * "unknown", and lint stays silent about what it cannot read.
 */
import { tokenize, Unreadable, type Token } from './js-tokenizer.ts';

export interface SourcePosition {
  line: number;
  column: number;
}

export interface SourceSqlCall extends SourcePosition {
  method: 'sql';
  /** The statement when the first argument is one plain string literal. */
  text?: string;
  /** `{ idempotent: true }` in the call; 'unknown' when the options are computed. */
  idempotent: boolean | 'unknown';
}

export interface SourceExecuteIfCall extends SourcePosition {
  method: 'executeIf';
  /** The condition when written as a plain string literal; null when the options object has none; 'unknown' when computed. */
  condition: string | null | 'unknown';
}

export type SourceCall = SourceSqlCall | SourceExecuteIfCall;

export interface SourceShape {
  calls: SourceCall[];
  /** Where `up` and `down` are declared at the top level. */
  declarations: Partial<Record<'up' | 'down', SourcePosition>>;
}

/** The calls and declarations, or null when the tokenizer cannot read the file plainly. */
export function readSourceCalls(text: string): SourceShape | null {
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (error) {
    if (error instanceof Unreadable) return null;
    throw error;
  }
  const position = positionsIn(text);
  const calls: SourceCall[] = [];
  const declarations: SourceShape['declarations'] = {};

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'ident') continue;
    if ((t.value === 'up' || t.value === 'down') && t.depth === 0 && declarations[t.value] === undefined) {
      const before = tokens[i - 1];
      if (before?.kind === 'ident' && ['function', 'const', 'let', 'var'].includes(before.value!)) declarations[t.value] = position(t.start);
      continue;
    }
    if (t.value !== 'sql' && t.value !== 'executeIf') continue;
    if (!isPunct(tokens[i - 1], '.') || !isPunct(tokens[i + 1], '(')) continue;
    const args = callArguments(tokens, i + 1);
    const at = position(t.start);
    if (t.value === 'sql') {
      const text = plainString(args[0]);
      calls.push({ method: 'sql', ...at, ...(text !== undefined ? { text } : {}), idempotent: idempotentFlag(args[2]) });
    } else {
      calls.push({ method: 'executeIf', ...at, condition: conditionText(args[0]) });
    }
  }
  return { calls, declarations };
}

/** The tokens of each argument of the call whose `(` is at `open`, split at its top-level commas. */
function callArguments(tokens: Token[], open: number): Token[][] {
  const depth = tokens[open]!.depth + 1;
  const args: Token[][] = [];
  let current: Token[] = [];
  for (let i = open + 1; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.depth < depth) break; // the closing `)` sits at the call's own depth
    if (t.depth === depth && isPunct(t, ',')) {
      args.push(current);
      current = [];
      continue;
    }
    current.push(t);
  }
  if (current.length > 0) args.push(current);
  return args;
}

function plainString(arg: Token[] | undefined): string | undefined {
  if (arg?.length !== 1) return undefined;
  const t = arg[0]!;
  return t.kind === 'string' && t.value !== null ? t.value : undefined;
}

/**
 * The value written for `key` in an object literal argument: its tokens, or
 * null when the literal has no such key, or 'unknown' when the argument is
 * not a plain literal (a variable, a spread, a shorthand `{ key }`).
 */
function propertyValue(arg: Token[] | undefined, key: string): Token[] | null | 'unknown' {
  if (arg === undefined || arg.length < 2 || !isPunct(arg[0], '{') || !isPunct(arg.at(-1), '}')) return 'unknown';
  const depth = arg[0]!.depth + 1;
  let spread = false;
  for (let i = 1; i < arg.length - 1; i++) {
    const t = arg[i]!;
    if (t.depth !== depth) continue;
    if (isPunct(t, '.')) spread = true;
    const named = (t.kind === 'ident' || t.kind === 'string') && t.value === key;
    if (!named) continue;
    if (!isPunct(arg[i + 1], ':')) return 'unknown';
    const value: Token[] = [];
    for (let j = i + 2; j < arg.length - 1; j++) {
      const v = arg[j]!;
      if (v.depth === depth && isPunct(v, ',')) break;
      value.push(v);
    }
    return value;
  }
  return spread ? 'unknown' : null;
}

/** No options at all means not idempotent; a computed options value cannot be read. */
function idempotentFlag(arg: Token[] | undefined): boolean | 'unknown' {
  if (arg === undefined) return false;
  const value = propertyValue(arg, 'idempotent');
  if (value === 'unknown') return 'unknown';
  if (value === null) return false;
  if (value.length !== 1 || value[0]!.kind !== 'ident') return 'unknown';
  return value[0]!.value === 'true' ? true : value[0]!.value === 'false' ? false : 'unknown';
}

function conditionText(arg: Token[] | undefined): string | null | 'unknown' {
  const value = propertyValue(arg, 'condition');
  if (value === 'unknown' || value === null) return value;
  return plainString(value) ?? 'unknown';
}

function isPunct(t: Token | undefined, value: string): boolean {
  return t?.kind === 'punct' && t.value === value;
}

/**
 * Offset to 1-based line and column, counting line breaks as V8 does (LF,
 * CR, CRLF, U+2028, U+2029), so they match the lines of a stack trace.
 */
function positionsIn(text: string): (offset: number) => SourcePosition {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 13 && text.charCodeAt(i + 1) === 10) continue;
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) starts.push(i + 1);
  }
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  };
}
