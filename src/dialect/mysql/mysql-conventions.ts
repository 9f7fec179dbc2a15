/**
 * What MySQL's and MariaDB's catalogs report for idem's DDL where the server
 * picks: the primary key's index is always `PRIMARY`, and every unique index
 * is a unique key (MySQL has no separate constraint). What InnoDB does for
 * foreign keys is left to a catalog read: it creates an index for a key that
 * has none, and may drop that index when another one can serve the key.
 * https://dev.mysql.com/doc/refman/8.0/en/create-table-foreign-keys.html
 */
import type { CatalogTable } from '../../catalog/snapshot.ts';
import type { CatalogConventions } from '../dialect.ts';

export const mysqlConventions: CatalogConventions = {
  createdTable(declared) {
    if (declared.foreignKeys.length > 0) return undefined;
    // Column names match without regard to case on every MySQL and MariaDB, as the catalog reader marks every table.
    const table: CatalogTable = { ...declared, columnNamesFoldCase: true };
    if (declared.primaryKey.length === 0) return table;
    return { ...table, indexes: [{ name: 'PRIMARY', columns: declared.primaryKey, unique: true, origin: 'primaryKey' }, ...declared.indexes] };
  },
  uniqueConstraintOrigin: 'unique',
  uniqueIndexOrigin: 'unique',
  predictable(op, table) {
    switch (op.kind) {
      case 'addForeignKey': case 'dropForeignKey': return false;
      // An index on a table with foreign keys may take over, or give back, the one InnoDB made.
      case 'createIndex': case 'addUnique': case 'dropIndex': case 'dropUnique': case 'dropColumn': case 'renameColumn': case 'alterColumn':
        return !hasForeignKeys(table);
      case 'addColumn': return op.spec.primaryKey !== true;
      default: return true;
    }
  },
};

function hasForeignKeys(table: CatalogTable | undefined): boolean {
  return table !== undefined && table.foreignKeys.length > 0;
}
