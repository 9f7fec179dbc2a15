/**
 * The keys each argument object of `m` may hold, in one place: a key not
 * listed here is a mistake (`lenght`, `primarykey`), reported with the key
 * it most likely meant, never silently ignored. A new ColumnSpec key is one
 * line in COLUMN_KEYS, with the shape its value must have.
 */
import type { ColumnSpec, ForeignKeySpec, IndexSpec, TableOptions, UniqueSpec } from './column-spec.ts';
import { REFERENTIAL_ACTIONS, spelledAction } from './referential-actions.ts';

/** What a key's value must be: the check, and how the message says it. */
export interface KeyShape {
  says: string;
  valid(value: unknown): boolean;
}

const isBoolean: KeyShape = { says: 'true or false', valid: (v) => typeof v === 'boolean' };
const isWholeNumber: KeyShape = { says: 'a whole number', valid: (v) => typeof v === 'number' && Number.isInteger(v) };
const isText: KeyShape = { says: 'a string', valid: (v) => typeof v === 'string' };
const isNameList: KeyShape = {
  says: "a non-empty list of column names, e.g. ['email']",
  valid: (v) => Array.isArray(v) && v.length > 0 && v.every((c) => typeof c === 'string' && c !== ''),
};
const isList: KeyShape = { says: 'a list', valid: (v) => Array.isArray(v) };
const isDefault: KeyShape = {
  says: "a string, a number, true or false, null, or { sql: '…' }",
  valid: (v) => v === null || ['string', 'number', 'boolean'].includes(typeof v)
    || (typeof v === 'object' && !Array.isArray(v) && typeof (v as { sql?: unknown }).sql === 'string' && Object.keys(v).length === 1),
};
const isReferences: KeyShape = {
  says: "{ table: '…', columns: ['…'] }",
  valid: (v) => v !== null && typeof v === 'object' && !Array.isArray(v),
};

/**
 * Every ColumnSpec key. `unsigned` (integers) and a timestamp's `precision`
 * (fractional-second digits, 0 to 6) are spelt here as their shapes; which
 * types each applies to is checked in check-arguments.ts.
 */
export const COLUMN_KEYS = {
  type: isText,
  length: isWholeNumber,
  precision: isWholeNumber,
  scale: isWholeNumber,
  withTimezone: isBoolean,
  unsigned: isBoolean,
  nullable: isBoolean,
  default: isDefault,
  primaryKey: isBoolean,
  autoIncrement: isBoolean,
  unique: isBoolean,
  sqlType: isText,
} as const satisfies Record<keyof ColumnSpec | 'unsigned', KeyShape>;

export const TABLE_OPTION_KEYS = {
  primaryKey: isNameList,
  unique: isList,
  indexes: isList,
  foreignKeys: isList,
} as const satisfies Record<keyof TableOptions, KeyShape>;

export const UNIQUE_KEYS = { columns: isNameList, name: isText } as const satisfies Record<keyof UniqueSpec, KeyShape>;

export const INDEX_KEYS = { columns: isNameList, name: isText, unique: isBoolean } as const satisfies Record<keyof IndexSpec, KeyShape>;

/** onDelete / onUpdate: one of the closed list (referential-actions.ts), which is all that reaches SQL. */
const isReferentialAction: KeyShape = {
  says: `one of ${REFERENTIAL_ACTIONS.map((a) => `'${a}'`).join(', ')} (any case)`,
  valid: (v) => spelledAction(v) !== undefined,
};

export const FOREIGN_KEY_KEYS = {
  columns: isNameList, references: isReferences, name: isText,
  onDelete: isReferentialAction, onUpdate: isReferentialAction,
} as const satisfies Record<keyof ForeignKeySpec, KeyShape>;

export const REFERENCES_KEYS = { table: isText, columns: isNameList } as const satisfies Record<keyof ForeignKeySpec['references'], KeyShape>;

/** The options of `createIndex`, `addUnique`, `addForeignKey` (their columns are arguments of their own). */
export const CREATE_INDEX_OPTION_KEYS = { name: isText, unique: isBoolean } as const;
export const ADD_UNIQUE_OPTION_KEYS = { name: isText } as const;
export const ADD_FOREIGN_KEY_OPTION_KEYS = { name: isText, onDelete: isReferentialAction, onUpdate: isReferentialAction } as const;
export const DROP_OPTION_KEYS = { note: isText } as const;
export const SQL_OPTION_KEYS = { idempotent: isBoolean, description: isText } as const;
export const EXECUTE_IF_KEYS = {
  sql: isText, condition: isText, params: isList, conditionParams: isList, description: isText,
} as const;

export type KnownKeys = Readonly<Record<string, KeyShape>>;

/**
 * Words other tools use for a key idem spells otherwise: Knex, Sequelize,
 * TypeORM, SQLAlchemy. Matched after case and `_` are ignored.
 */
const OTHER_SPELLINGS: Readonly<Record<string, string>> = {
  notnull: 'nullable: false', required: 'nullable: false', allownull: 'nullable',
  len: 'length', size: 'length', maxlength: 'length',
  pk: 'primaryKey', primary: 'primaryKey', isprimary: 'primaryKey',
  increments: 'autoIncrement', autoinc: 'autoIncrement', serial: 'autoIncrement', generated: 'autoIncrement',
  defaultvalue: 'default', defaultto: 'default', serverdefault: 'default',
  datatype: 'type', columntype: 'sqlType', dbtype: 'sqlType',
  timezone: 'withTimezone', tz: 'withTimezone', withtimezone: 'withTimezone',
  isunique: 'unique',
  ondeleteaction: 'onDelete', onupdateaction: 'onUpdate',
  index: 'indexes', foreignkey: 'foreignKeys', references: 'references',
};

/** The known key `key` most likely meant, as the hint should name it: `primaryKey`, `nullable: false`. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  const plain = (s: string) => s.toLowerCase().replaceAll('_', '').replaceAll('-', '');
  const wanted = plain(key);
  const same = known.find((k) => plain(k) === wanted);
  if (same) return same;
  const other = OTHER_SPELLINGS[wanted];
  if (other !== undefined && known.includes(other.split(':')[0]!)) return other;
  let best: { key: string; distance: number } | undefined;
  for (const k of known) {
    const distance = editDistance(wanted, plain(k));
    if (distance <= Math.max(1, Math.floor(k.length / 4)) && (best === undefined || distance < best.distance)) best = { key: k, distance };
  }
  return best?.key;
}

/** Levenshtein distance, a swap of two neighbours counting as one (`lenght`). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}
