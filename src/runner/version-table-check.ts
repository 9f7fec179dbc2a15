/**
 * The one check every read of the version table passes through: a table
 * someone edited by hand, or rebuilt without its primary key, is named, never
 * trusted. A revision recorded twice would count twice (status: 4 applied for
 * 3 files) and an empty one matches no file; `up` must not guess which row is
 * right. It looks only at the rows the read already fetched: the read itself
 * selects a probe over every column (VERSION_ROW_PROBE), so a dropped column
 * fails that same query, and `up` with nothing to do sends nothing more.
 */
import { IdemError } from '../errors.ts';

/** Every column of a version row, `revision` first and `seq` last. */
export const VERSION_COLUMNS = ['revision', 'description', 'checksum', 'applied_at', 'duration_ms', 'applied', 'skipped', 'drift', 'operations', 'seq'] as const;

/**
 * Selected by every read: it names each column the read does not select
 * (a dropped one fails the query) and says whether any is NULL (the table
 * was rebuilt without its NOT NULLs and a value is lost). Integers, not
 * booleans: the same value on every engine.
 */
export const VERSION_ROW_PROBE = `CASE WHEN ${VERSION_COLUMNS.map((c) => `${c} IS NULL`).join(' OR ')} THEN 1 ELSE 0 END AS idem_incomplete`;

export interface ProbedRow {
  revision: unknown;
  seq?: unknown;
  idem_incomplete?: unknown;
}

/** Throws VERSION_TABLE_INVALID naming the first kind of damage these rows show, with the fix. */
export function checkVersionRows(table: string, rows: readonly ProbedRow[]): void {
  const seqs = new Map<string, unknown[]>();
  let duplicated: string[] | undefined;
  for (const row of rows) {
    const revision = row.revision;
    if (revision === null || revision === undefined || String(revision).trim() === '') throw emptyRevision(table, row);
    if (Number(row.idem_incomplete) !== 0) throw incompleteRow(table, String(revision));
    const key = String(revision);
    const seen = seqs.get(key);
    if (seen === undefined) seqs.set(key, [row.seq]);
    else if (seen.push(row.seq) === 2) (duplicated ??= []).push(key);
  }
  if (duplicated) throw duplicateRevisions(table, duplicated, seqs);
}

function duplicateRevisions(table: string, revisions: string[], seqs: ReadonlyMap<string, unknown[]>): IdemError {
  const listed = revisions.map((r) => `${r} (${seqs.get(r)!.length} rows, seq ${seqs.get(r)!.join(', ')})`).join(', ');
  const first = revisions[0]!;
  const [kept, ...extra] = seqs.get(first)!;
  // Rows copied whole share their seq; then no WHERE tells them apart and the table must be rebuilt.
  const deletion = extra.some((s) => String(s) === String(kept)) ? undefined
    : `DELETE FROM ${table} WHERE revision = ${sqlText(first)} AND seq <> ${Number(kept)}`;
  return new IdemError('VERSION_TABLE_INVALID', `${table} is damaged: ${revisions.length === 1 ? 'a revision is' : 'revisions are'} recorded more than once: ${listed}; `
    + 'idem will not guess which row is right', {
    data: { problem: 'duplicate-revision', revisions },
    hint: `${deletion ? `keep one row per revision (${deletion}${revisions.length > 1 ? ', and likewise for the others' : ''}); ` : ''}`
      + `a table that allows this has lost its primary key: rename ${table} away and run \`idem up\`, which re-checks every migration, `
      + 'skips what holds and records each revision once; `idem doctor` shows what it finds',
  });
}

function emptyRevision(table: string, row: ProbedRow): IdemError {
  const seq = row.seq === undefined || row.seq === null ? undefined : Number(row.seq);
  return new IdemError('VERSION_TABLE_INVALID', `${table} is damaged: a row${seq === undefined ? '' : ` (seq ${seq})`} has an empty revision, which no migration has; `
    + 'idem will not guess what it stands for', {
    data: { problem: 'empty-revision', ...(seq === undefined ? {} : { seq }) },
    hint: `delete that row: DELETE FROM ${table} WHERE revision IS NULL OR TRIM(revision) = ''; then run \`idem doctor\``,
  });
}

function incompleteRow(table: string, revision: string): IdemError {
  return new IdemError('VERSION_TABLE_INVALID', `${table} is damaged: the row of revision ${revision} has a NULL column (the table was rebuilt without its NOT NULL constraints)`, {
    revision,
    data: { problem: 'null-column', revision },
    hint: `rename ${table} away and run \`idem up\`: it re-checks every migration, skips what holds and records each revision anew`,
  });
}

/** A read failed on a table that lacks a few of idem's columns: which, and the fix; undefined when it is not idem's table at all. */
export function missingColumns(table: string, present: readonly string[], sql: string, cause: unknown): IdemError | undefined {
  const have = new Set(present.map((c) => c.toLowerCase()));
  const missing = VERSION_COLUMNS.filter((c) => !have.has(c));
  // Most of idem's columns there and a few gone is idem's table damaged; most gone, another tool's table that shares the name.
  if (missing.length === 0 || missing.length > VERSION_COLUMNS.length / 2) return undefined;
  return new IdemError('VERSION_TABLE_INVALID', `${table} is damaged: it has no column ${missing.join(', ')}; idem will not read the revisions from what is left`, {
    sql, cause,
    data: { problem: 'missing-column', columns: missing },
    hint: `rename ${table} away (ALTER TABLE ${table} RENAME TO ${table}_damaged) and run \`idem up\`: it re-checks every migration, `
      + 'skips what holds and records each revision anew; `idem doctor` shows what it would find',
  });
}

/** A value as SQL text in a hint, never sent: quotes doubled. */
function sqlText(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}
