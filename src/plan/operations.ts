/**
 * Operations as data. `m.addColumn(...)` builds one of these; the runner
 * classifies it against the catalog (applied / skipped / drift), asks the
 * dialect for statements and sends them. Plain data can be hashed, compared,
 * simulated and rendered without a database.
 */
import type { ColumnMap, ColumnSpec, ForeignKeySpec, IndexSpec, ReferentialAction, TableOptions, UniqueSpec } from './column-spec.ts';

export interface CreateTable { kind: 'createTable'; table: string; columns: ColumnMap; options: TableOptions }
export interface DropTable {
  kind: 'dropTable'; table: string;
  /** Why the data may go (`replaced by t2 in 0042`): shown with the operation, and `idem lint` asks for one. */
  note?: string;
}
export interface RenameTable { kind: 'renameTable'; from: string; to: string }
export interface AddColumn { kind: 'addColumn'; table: string; column: string; spec: ColumnSpec }
export interface DropColumn { kind: 'dropColumn'; table: string; column: string; note?: string }
export interface RenameColumn { kind: 'renameColumn'; table: string; from: string; to: string }
export interface AlterColumn { kind: 'alterColumn'; table: string; column: string; changes: ColumnSpec }
export interface CreateIndex { kind: 'createIndex'; table: string; index: Required<Pick<IndexSpec, 'columns' | 'name'>> & { unique: boolean } }
export interface DropIndex { kind: 'dropIndex'; table: string; name: string }
export interface AddForeignKey { kind: 'addForeignKey'; table: string; foreignKey: ForeignKeySpec & { name: string } }
export interface DropForeignKey {
  kind: 'dropForeignKey'; table: string; name: string;
  /** Filled by the classifier: the key found in the catalog (by name or by declared shape). */
  resolved?: { columns: string[]; refTable: string };
}
export interface AddUnique { kind: 'addUnique'; table: string; unique: Required<UniqueSpec> }
export interface DropUnique { kind: 'dropUnique'; table: string; name: string }
export interface ExecuteIf { kind: 'executeIf'; sql: string; condition: string; params: unknown[]; conditionParams: unknown[]; description: string }
export interface RawSql { kind: 'sql'; sql: string; params: unknown[]; idempotent: boolean; description?: string }

export type Operation =
  | CreateTable | DropTable | RenameTable
  | AddColumn | DropColumn | RenameColumn | AlterColumn
  | CreateIndex | DropIndex
  | AddForeignKey | DropForeignKey
  | AddUnique | DropUnique
  | ExecuteIf | RawSql;

export type OperationKind = Operation['kind'];

export type { ReferentialAction };

/** The object an operation acts on, as printed: `users`, `users.api_key`, `users.ix_users_email`. */
export function operationTarget(op: Operation): string {
  switch (op.kind) {
    case 'createTable': case 'dropTable': return op.table;
    case 'renameTable': return `${op.from} -> ${op.to}`;
    case 'addColumn': case 'dropColumn': case 'alterColumn': return `${op.table}.${op.column}`;
    case 'renameColumn': return `${op.table}.${op.from} -> ${op.to}`;
    case 'createIndex': return `${op.table}.${op.index.name}`;
    case 'addForeignKey': return `${op.table}.${op.foreignKey.name}`;
    case 'addUnique': return `${op.table}.${op.unique.name}`;
    case 'dropIndex': case 'dropForeignKey': case 'dropUnique': return `${op.table}.${op.name}`;
    case 'executeIf': return op.description;
    case 'sql': return op.description ?? firstLine(op.sql);
  }
}

/** The op line's `detail` field, with a drop's note (its reason) appended: `{}` when there is neither. */
export function detailWithNote(op: Operation, detail: string | undefined): { detail?: string } {
  const note = op.kind === 'dropTable' || op.kind === 'dropColumn' ? op.note?.trim() : undefined;
  const text = note ? (detail ? `${detail}; note: ${note}` : `note: ${note}`) : detail;
  return text ? { detail: text } : {};
}

function firstLine(sql: string): string {
  const line = sql.trim().split('\n')[0] ?? '';
  return line.length > 60 ? `${line.slice(0, 57)}...` : line;
}
