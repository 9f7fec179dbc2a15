/**
 * How many values a migration's SQL binds on MySQL/MariaDB. mysql2 fills the
 * `?` placeholders itself (the text protocol, see mysql-driver.ts): a `?`
 * inside a string ('…' or "…", backslash escapes included), a `quoted`
 * name or a comment (`-- `, `#`, `/* … *\/`) is text; `??` takes one value
 * (as a quoted name). Too few values leave a bare `?` for the server to
 * refuse; too many are dropped silently, so both are counted before sending.
 * https://sidorares.github.io/node-mysql2/docs/documentation/prepared-statements
 * https://dev.mysql.com/doc/refman/8.0/en/comments.html
 */
export function countMysqlPlaceholders(sql: string): number {
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (c === "'" || c === '"' || c === '`') {
      i = quotedEnd(sql, i, c);
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (sql[i + 2] === undefined || /\s/.test(sql[i + 2]!)))) {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? sql.length : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? sql.length : end + 1;
    } else if (c === '?') {
      let j = i;
      while (sql[j + 1] === '?') j++;
      // `?` and `??` each take a value; a longer run is left as text, as mysql2 leaves it.
      if (j - i < 2) n++;
      i = j;
    }
  }
  return n;
}

/** The index of the quote closing the one at `open` (doubled quotes and, outside backticks, backslashes escape). */
function quotedEnd(sql: string, open: number, quote: string): number {
  for (let j = open + 1; j < sql.length; j++) {
    const d = sql[j]!;
    if (d === '\\' && quote !== '`') j++;
    else if (d === quote && sql[j + 1] === quote) j++;
    else if (d === quote) return j;
  }
  return sql.length;
}
