/**
 * ON DELETE / ON UPDATE actions: a closed list. A migration's action is
 * checked against it when the operation is recorded, spelled the one way
 * idem uses everywhere (lower case, single spaces), and compiled to SQL only
 * from this list, never from the text the migration wrote: an action reaches
 * SQL as one of five tokens, so `'cascade; drop table t'` cannot.
 */
import { IdemError } from '../errors.ts';
import type { ReferentialAction } from './column-spec.ts';

export const REFERENTIAL_ACTIONS: readonly ReferentialAction[] = ['no action', 'restrict', 'cascade', 'set null', 'set default'];

const SQL: Readonly<Record<ReferentialAction, string>> = {
  'no action': 'NO ACTION', restrict: 'RESTRICT', cascade: 'CASCADE', 'set null': 'SET NULL', 'set default': 'SET DEFAULT',
};

/**
 * The declared action in idem's spelling (`'SET  NULL'` gives `'set null'`),
 * undefined when none is declared. Anything else is refused before any SQL
 * is sent, naming the operation and the option.
 */
export function referentialAction(value: unknown, option: 'onDelete' | 'onUpdate', operation: { kind: string; target: string }): ReferentialAction | undefined {
  if (value === undefined || value === null) return undefined;
  const action = spelledAction(value);
  if (action) return action;
  throw new IdemError('OPERATION_INVALID', `${operation.kind} ${operation.target}: ${option} ${JSON.stringify(value)} is not a referential action`, {
    operation,
    hint: `use one of ${REFERENTIAL_ACTIONS.map((a) => `'${a}'`).join(', ')} (any case), or leave ${option} out`,
  });
}

/** A value as one of the closed list (any case and spacing), or undefined. */
export function spelledAction(value: unknown): ReferentialAction | undefined {
  const spelled = typeof value === 'string' ? value.trim().replace(/\s+/g, ' ').toLowerCase() : undefined;
  return REFERENTIAL_ACTIONS.find((a) => a === spelled);
}

/** The SQL keywords for an action: looked up, never copied from the migration. */
export function referentialActionSql(action: ReferentialAction): string {
  const sql = SQL[action];
  if (sql === undefined) {
    throw new IdemError('INTERNAL', `referential action ${JSON.stringify(action)} reached the DDL compiler unchecked`, {
      hint: 'this is a bug in idem: actions are checked when the operation is recorded',
    });
  }
  return sql;
}
