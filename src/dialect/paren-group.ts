/**
 * Whether a default's SQL is one parenthesised group around everything:
 * `(a + b)` is, `(a) + (b)` is not. Engines add or drop such parentheses when
 * they store a default, so comparing defaults strips them, and only them.
 * Works on any of the dialects' small lexers, whose punctuation kind is 'punct'.
 */
export interface LexedToken {
  kind: string;
  text: string;
}

export function isOneParenGroup(tokens: readonly LexedToken[]): boolean {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  if (tokens.length < 2 || first?.kind !== 'punct' || first.text !== '(' || last?.text !== ')') return false;
  let depth = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    if (t.text === '(') depth++;
    else if (t.text === ')' && --depth === 0 && i < tokens.length - 1) return false;
  }
  return depth === 0;
}
