/**
 * SQLite's table rebuild, for the changes ALTER TABLE cannot make in place:
 * create the new shape under a temporary name, copy the rows, drop the old
 * table, rename the new one, recreate its indexes.
 * https://www.sqlite.org/lang_altertable.html#otheralter
 *
 * The new CREATE TABLE is the old one's text with only the changed items
 * replaced, so CHECKs, COLLATEs and generated columns survive as written.
 * Foreign-key enforcement is off for idem's connection (it cannot be switched
 * inside a transaction); the runner runs `PRAGMA foreign_key_check` before it
 * commits each migration instead.
 */
import type { CatalogTable } from '../../catalog/snapshot.ts';
import { IdemError } from '../../errors.ts';
import { quoteSqliteIdentifier as q, quoteSqliteList as ql } from './sqlite-quote.ts';
import { parseCreateTable, tokenizeSql, type ColumnItem, type TableItem } from './sqlite-table-sql.ts';

export type RebuildChange =
  | { kind: 'addColumn'; definition: string }
  | { kind: 'dropColumn'; column: string }
  /** The definition is built knowing whether the old one held the primary key inline. */
  | { kind: 'alterColumn'; column: string; definition: (inlinePrimaryKey: boolean, autoIncrement: boolean) => string }
  | { kind: 'addConstraint'; text: string }
  | { kind: 'dropForeignKey'; columns: string[]; refTable: string }
  | { kind: 'dropUnique'; columns: string[] };

export function rebuildTable(table: CatalogTable, change: RebuildChange): string[] {
  if (!table.sql) throw new IdemError('INTERNAL', `table ${table.name} has no CREATE TABLE text to rebuild from`);
  const parsed = parseCreateTable(table.sql);
  const items = applyChange(table, parsed.items, change);
  const temporary = `_idem_rebuild_${table.name}`;
  const oldColumns = new Set(table.columns.map((c) => c.name));
  const copied = items.filter((i): i is ColumnItem => i.kind === 'column' && oldColumns.has(i.name)).map((i) => i.name);
  const statements = [
    `CREATE TABLE ${q(temporary)} (\n  ${items.map((i) => i.text).join(',\n  ')}\n)${parsed.suffix}`,
    `INSERT INTO ${q(temporary)} (${ql(copied)}) SELECT ${ql(copied)} FROM ${q(table.name)}`,
    `DROP TABLE ${q(table.name)}`,
    `ALTER TABLE ${q(temporary)} RENAME TO ${q(table.name)}`,
  ];
  const kept = new Set(copied.concat(items.filter((i): i is ColumnItem => i.kind === 'column').map((i) => i.name)));
  for (const index of table.indexes) {
    if (index.origin !== 'index' || !index.sql) continue;
    // An index on a dropped column goes with it, as DROP COLUMN does elsewhere.
    if (!index.partial && index.columns.some((c) => !kept.has(c))) continue;
    statements.push(index.sql);
  }
  return statements;
}

function applyChange(table: CatalogTable, items: TableItem[], change: RebuildChange): TableItem[] {
  const columns = items.filter((i) => i.kind === 'column');
  const constraints = items.filter((i) => i.kind === 'constraint');
  switch (change.kind) {
    case 'addColumn':
      return [...columns, columnItem(change.definition), ...constraints];
    case 'addConstraint':
      return [...columns, ...constraints, { kind: 'constraint', constraintName: null, type: 'check', columns: [], text: change.text }];
    case 'dropColumn': {
      if (table.primaryKey.includes(change.column) && table.primaryKey.length > 1) {
        throw new IdemError('OPERATION_INVALID', `dropColumn ${table.name}.${change.column}: the column is part of the composite primary key (${table.primaryKey.join(', ')})`, {
          hint: 'create the table anew with the key it should have, copy the rows, then drop the old one',
        });
      }
      return [
        ...columns.filter((c) => c.name !== change.column),
        ...constraints.filter((c) => !(c.columns.includes(change.column) && c.type !== 'check')),
      ];
    }
    case 'alterColumn':
      return [
        ...columns.map((c) => (c.name === change.column ? keepInlineKeys(c, change.definition) : c)),
        ...constraints,
      ];
    case 'dropForeignKey':
      return [
        ...columns.map((c) => (c.inlineReferences && change.columns.length === 1 && c.name === change.columns[0]
          && c.inlineReferences.refTable === change.refTable ? withoutClause(c, 'REFERENCES') : c)),
        ...constraints.filter((c) => !(c.type === 'foreignKey' && c.refTable === change.refTable && sameList(c.columns, change.columns))),
      ];
    case 'dropUnique':
      return [
        ...columns.map((c) => (c.inlineUnique && change.columns.length === 1 && c.name === change.columns[0] ? withoutClause(c, 'UNIQUE') : c)),
        ...constraints.filter((c) => !(c.type === 'unique' && sameList([...c.columns].sort(), [...change.columns].sort()))),
      ];
  }
}

function columnItem(definition: string): ColumnItem {
  return {
    kind: 'column', name: '', text: definition, typeText: '', inlinePrimaryKey: false, inlineAutoIncrement: false,
    inlineUnique: null, inlineReferences: null,
  };
}

/**
 * A column's new definition keeps the keys it had inline: the primary key
 * (and AUTOINCREMENT), a UNIQUE and a REFERENCES clause, copied from the old text.
 */
function keepInlineKeys(old: ColumnItem, definition: (inlinePrimaryKey: boolean, autoIncrement: boolean) => string): ColumnItem {
  let text = definition(old.inlinePrimaryKey, old.inlineAutoIncrement);
  for (const clause of ['UNIQUE', 'REFERENCES'] as const) {
    const kept = clauseText(old.text, clause);
    if (kept) text += ` ${kept}`;
  }
  return { ...old, text };
}

const COLUMN_CONSTRAINT_STARTS = new Set(['CONSTRAINT', 'PRIMARY', 'NOT', 'NULL', 'UNIQUE', 'CHECK', 'DEFAULT', 'COLLATE', 'REFERENCES', 'GENERATED', 'AS']);

/** The span of one column constraint (with its `CONSTRAINT name`), as [start, end) offsets into the text. */
function clauseSpan(text: string, keyword: 'UNIQUE' | 'REFERENCES'): [number, number] | null {
  const tokens = tokenizeSql(text);
  const at = tokens.findIndex((t) => t.kind === 'ident' && t.value.toUpperCase() === keyword);
  if (at < 0) return null;
  let from = at;
  if (at >= 2 && tokens[at - 2]!.kind === 'ident' && tokens[at - 2]!.value.toUpperCase() === 'CONSTRAINT') from = at - 2;
  let to = at + 1;
  let depth = 0;
  while (to < tokens.length) {
    const token = tokens[to]!;
    if (token.text === '(') depth++;
    else if (token.text === ')') depth--;
    else if (depth === 0 && token.kind === 'ident' && COLUMN_CONSTRAINT_STARTS.has(token.value.toUpperCase())
      && !(keyword === 'REFERENCES' && ['NOT', 'NULL'].includes(token.value.toUpperCase()) && isDeferrablePart(tokens, to))) break;
    to++;
  }
  return [tokens[from]!.start, to < tokens.length ? tokens[to]!.start : text.length];
}

/** `NOT DEFERRABLE` belongs to a foreign key clause, not to a NOT NULL. */
function isDeferrablePart(tokens: ReturnType<typeof tokenizeSql>, index: number): boolean {
  const next = tokens[index + 1];
  return tokens[index]!.value.toUpperCase() === 'NOT' && next !== undefined && next.value.toUpperCase() === 'DEFERRABLE';
}

function clauseText(text: string, keyword: 'UNIQUE' | 'REFERENCES'): string | null {
  const span = clauseSpan(text, keyword);
  return span ? text.slice(span[0], span[1]).trim() : null;
}

function withoutClause(item: ColumnItem, keyword: 'UNIQUE' | 'REFERENCES'): ColumnItem {
  const span = clauseSpan(item.text, keyword);
  if (!span) return item;
  const text = `${item.text.slice(0, span[0])}${item.text.slice(span[1])}`.replace(/\s+/g, ' ').trim();
  return keyword === 'UNIQUE' ? { ...item, text, inlineUnique: null } : { ...item, text, inlineReferences: null };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
