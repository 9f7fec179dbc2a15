/** SQLite identifiers are double-quoted, with embedded quotes doubled: https://www.sqlite.org/lang_keywords.html */
export function quoteSqliteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function quoteSqliteList(names: readonly string[]): string {
  return names.map(quoteSqliteIdentifier).join(', ');
}
