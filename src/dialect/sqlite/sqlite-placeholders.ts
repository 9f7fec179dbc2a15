/**
 * How many values a migration's SQL binds on SQLite: its highest parameter
 * index. A `?` takes the next index, `?NNN` index NNN, and each distinct
 * `:name`, `@name` or `$name` the next one; what is inside a string, a
 * quoted name or a comment is text (the tokenizer skips it). SQLite binds
 * NULL to every parameter given no value, so too few values are counted
 * here rather than found later as NULLs in the data.
 * https://www.sqlite.org/lang_expr.html#parameters
 */
import { tokenizeSql } from './sqlite-table-sql.ts';

export function countSqlitePlaceholders(sql: string): number {
  if (!/[?:@$]/.test(sql)) return 0;
  const tokens = tokenizeSql(sql);
  const names = new Map<string, number>();
  let highest = 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'punct') continue;
    const next = tokens[i + 1];
    const touching = next !== undefined && next.start === t.end;
    if (t.text === '?') {
      if (touching && next.kind === 'number' && /^\d+$/.test(next.text)) {
        highest = Math.max(highest, Number(next.text));
        i++;
      } else {
        highest++;
      }
    } else if ((t.text === ':' || t.text === '@' || t.text === '$') && touching && next.kind === 'ident') {
      const name = t.text + next.text;
      if (!names.has(name)) names.set(name, ++highest);
      i++;
    }
  }
  return highest;
}
