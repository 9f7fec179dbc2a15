/**
 * What a statement a tool sent is: a catalog read (the checks), DDL, data,
 * transaction control, or session chatter (settings, locks, version). Counted
 * per tool and scenario, this is how the bench shows whether checks read the
 * catalog once or once per check.
 */

export type StatementKind = 'catalog' | 'ddl' | 'data' | 'transaction' | 'session';
export const STATEMENT_KINDS: readonly StatementKind[] = ['catalog', 'ddl', 'data', 'transaction', 'session'];

/** One statement as the database received it; `ms` where the counter could time it. */
export interface SentStatement {
  sql: string;
  ms?: number;
}

export type StatementCounts = Record<StatementKind | 'total', number>;

// Relations and functions that describe the schema. `pg_catalog.version()`
// (SQLAlchemy asks it on connect) is not one, so PostgreSQL's catalog is
// matched by its tables, not by the schema name.
const CATALOG = new RegExp([
  '\\binformation_schema\\b',
  '\\bpg_(class|attribute|attrdef|index|indexes|namespace|constraint|type|tables|views|depend|description|sequence|inherits|am|proc|collation|get_indexdef|get_constraintdef|get_expr|table_is_visible)\\b',
  '\\bto_regclass\\b',
  '::regclass\\b',
  '\\bsqlite_(master|schema|temp_master|temp_schema)\\b',
  // Only the pragmas that describe tables; busy_timeout, data_version, foreign_keys = OFF are settings.
  '\\bpragma[\\s_]+(main\\.)?(table_x?info|table_list|index_(list|x?info)|foreign_key_list)\\b',
  '^\\s*show\\s+(full\\s+)?(tables|columns|fields|create|index|indexes|keys|table\\s+status|databases)\\b',
  '^\\s*(describe|desc)\\s',
].join('|'), 'i');
const TRANSACTION = /^\s*(begin|start\s+transaction|commit|end|rollback|savepoint|release|set\s+(session\s+)?transaction|xa\s)\b/i;
const DDL = /^\s*(create|alter|drop|rename|truncate|comment\s+on)\b/i;
const SESSION = /^\s*(set|show|use|reset|discard|lock|unlock|listen|pragma)\b|\b(pg_(try_)?advisory_(xact_)?(un)?lock(_all)?|get_lock|release_lock|is_free_lock|version|current_schema|database|connection_id|pg_backend_pid|current_database|set_config|current_setting|pg_is_in_recovery)\s*\(|@@/i;

export function classifyStatement(sql: string): StatementKind {
  const text = stripLeadingComments(sql);
  if (CATALOG.test(text)) return 'catalog';
  if (TRANSACTION.test(text)) return 'transaction';
  if (DDL.test(text)) return 'ddl';
  if (SESSION.test(text)) return 'session';
  return 'data';
}

function stripLeadingComments(sql: string): string {
  let text = sql.trimStart();
  for (;;) {
    if (text.startsWith('--')) text = text.slice(text.indexOf('\n') === -1 ? text.length : text.indexOf('\n') + 1).trimStart();
    else if (text.startsWith('/*')) text = text.slice(text.indexOf('*/') === -1 ? text.length : text.indexOf('*/') + 2).trimStart();
    else return text;
  }
}

export function countStatements(statements: readonly SentStatement[]): StatementCounts {
  const counts: StatementCounts = { total: 0, catalog: 0, ddl: 0, data: 0, transaction: 0, session: 0 };
  for (const statement of statements) {
    counts.total++;
    counts[classifyStatement(statement.sql)]++;
  }
  return counts;
}

/** Time spent per kind, where the counter timed statements (the server counters do; SQLite's do for node). */
export function timeByKind(statements: readonly SentStatement[]): Record<StatementKind, number> {
  const ms: Record<StatementKind, number> = { catalog: 0, ddl: 0, data: 0, transaction: 0, session: 0 };
  for (const statement of statements) ms[classifyStatement(statement.sql)] += statement.ms ?? 0;
  return ms;
}

/**
 * The statements of a text sent as one (PostgreSQL's simple query, a MySQL
 * COM_QUERY, SQLite's exec): split at top-level `;`, outside quotes,
 * identifiers, comments and dollar quotes. Empty pieces are dropped.
 */
export function splitStatements(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      i = skipQuoted(text, i, ch);
    } else if (ch === '-' && text[i + 1] === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end + 1;
    } else if (ch === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end === -1 ? text.length : end + 2;
    } else if (ch === '$') {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i))?.[0];
      if (tag) {
        const end = text.indexOf(tag, i + tag.length);
        i = end === -1 ? text.length : end + tag.length;
      } else {
        i++;
      }
    } else if (ch === ';') {
      out.push(text.slice(start, i));
      start = ++i;
    } else {
      i++;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/** Index just past the closing quote; a doubled quote is an escaped one, and `\` escapes in single quotes (MySQL). */
function skipQuoted(text: string, open: number, quote: string): number {
  let i = open + 1;
  while (i < text.length) {
    if (quote === "'" && text[i] === '\\') {
      i += 2;
    } else if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return i;
}
