/**
 * MySQL and MariaDB quote identifiers with backticks, an embedded backtick
 * doubled; this works whatever the sql_mode (ANSI_QUOTES only adds `"`).
 * https://dev.mysql.com/doc/refman/8.0/en/identifiers.html
 * https://mariadb.com/kb/en/identifier-names/
 */
import { IdemError } from '../../errors.ts';

export function quoteMysqlIdentifier(name: string): string {
  return `\`${name.replaceAll('`', '``')}\``;
}

export function quoteMysqlList(names: readonly string[]): string {
  return names.map(quoteMysqlIdentifier).join(', ');
}

/** The longest table, column, index or constraint name, in characters. https://mariadb.com/kb/en/identifier-names/#maximum-length */
export const MYSQL_MAX_IDENTIFIER_CHARS = 64;

/**
 * A name idem is about to create. The server refuses a longer one only when
 * the statement runs, and on MySQL/MariaDB the migration's earlier DDL has
 * committed by then; refuse it while compiling, with the limit, as
 * postgres-quote.ts does.
 */
export function quoteNewMysqlIdentifier(name: string): string {
  const chars = [...name].length;
  if (chars > MYSQL_MAX_IDENTIFIER_CHARS) {
    throw new IdemError('OPERATION_INVALID', `the name "${name}" is ${chars} characters long; MySQL and MariaDB allow at most ${MYSQL_MAX_IDENTIFIER_CHARS}`, {
      hint: `give it a shorter name (at most ${MYSQL_MAX_IDENTIFIER_CHARS} characters)`,
    });
  }
  return quoteMysqlIdentifier(name);
}
