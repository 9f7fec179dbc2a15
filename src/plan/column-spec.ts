/**
 * Portable column and table declarations: what a migration says a structure
 * should look like. Each dialect maps them to its own types; the catalog
 * compares them against what the database has.
 */

export const COLUMN_TYPES = [
  'string', 'text', 'integer', 'bigint', 'smallint', 'boolean', 'decimal',
  'float', 'double', 'date', 'timestamp', 'json', 'uuid', 'binary',
] as const;

export type ColumnType = (typeof COLUMN_TYPES)[number];

/** A literal default, or `{ sql }` for an expression such as CURRENT_TIMESTAMP. */
export type DefaultValue = string | number | boolean | null | { sql: string };

export type ReferentialAction = 'cascade' | 'restrict' | 'set null' | 'set default' | 'no action';

export interface ColumnSpec {
  type?: ColumnType;
  /** string and binary: characters / bytes. */
  length?: number;
  /** decimal: total digits (with scale, the digits after the point). timestamp: fractional-second digits, 0 to 6. */
  precision?: number;
  scale?: number;
  /** integer, bigint, smallint: no negative values, twice the range (MySQL/MariaDB only). */
  unsigned?: boolean;
  /** timestamp: with time zone. */
  withTimezone?: boolean;
  /** Default true. */
  nullable?: boolean;
  default?: DefaultValue;
  primaryKey?: boolean;
  autoIncrement?: boolean;
  unique?: boolean;
  /** A raw dialect type, the escape hatch: compared as text against the catalog. */
  sqlType?: string;
}

export interface UniqueSpec {
  columns: string[];
  name?: string;
}

export interface IndexSpec {
  columns: string[];
  name?: string;
  unique?: boolean;
}

export interface ForeignKeySpec {
  columns: string[];
  references: { table: string; columns: string[] };
  name?: string;
  onDelete?: ReferentialAction;
  onUpdate?: ReferentialAction;
}

export interface TableOptions {
  /** A composite primary key; for one column, `primaryKey: true` on the column also works. */
  primaryKey?: string[];
  unique?: UniqueSpec[];
  indexes?: IndexSpec[];
  foreignKeys?: ForeignKeySpec[];
}

export type ColumnMap = Record<string, ColumnSpec>;

const INTEGER_TYPES: ReadonlySet<ColumnType> = new Set(['integer', 'bigint', 'smallint']);

export function isIntegerType(type: ColumnType | undefined): boolean {
  return type !== undefined && INTEGER_TYPES.has(type);
}

export function isColumnType(value: unknown): value is ColumnType {
  return typeof value === 'string' && (COLUMN_TYPES as readonly string[]).includes(value);
}
