/**
 * MySQL and MariaDB quote identifiers with backticks, an embedded backtick
 * doubled; this works whatever the sql_mode (ANSI_QUOTES only adds `"`).
 * https://dev.mysql.com/doc/refman/8.0/en/identifiers.html
 * https://mariadb.com/kb/en/identifier-names/
 */
export function quoteMysqlIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

export function quoteMysqlList(names: readonly string[]): string {
  return names.map(quoteMysqlIdentifier).join(', ');
}
