/**
 * A PostgreSQL session: one pg connection with idem's catalog, DDL, types,
 * lock and transactions around it.
 *
 * `?schema=<name>` in the URL picks the schema idem migrates (one per tenant,
 * or per test). It is idem's parameter, not libpq's, so it is taken out
 * before pg sees the URL; the schema must exist (idem creates nothing on
 * connect), and becomes the session's whole search_path, so unqualified names
 * in DDL, catalog reads and the migrations' own SQL all resolve there.
 * https://www.postgresql.org/docs/current/ddl-schemas.html#DDL-SCHEMAS-PATH
 *
 * `?pooler=transaction|session`, also idem's, says what pools connections in
 * front of the server; without it idem looks (postgres-pooler.ts). Behind a
 * transaction pooler nothing is set for the session: the search_path is set
 * LOCAL in every transaction (postgres-driver.ts) and the run lock is taken
 * in every transaction (postgres-transaction-lock.ts).
 */
import { IdemError } from '../../errors.ts';
import { maskUrl } from '../connection-url.ts';
import type { DialectSession, MissingObject } from '../dialect.ts';
import { PostgresCatalogReader } from './postgres-catalog.ts';
import { PostgresDdlCompiler } from './postgres-ddl.ts';
import { PostgresDriver } from './postgres-driver.ts';
import { PostgresRunLock, PostgresTransactions } from './postgres-lock.ts';
import { bindPostgresPlaceholders, countPostgresPlaceholders } from './postgres-placeholders.ts';
import { chooseLockScope, parsePoolerParameter, type LockScope, type PoolerParameter } from './postgres-pooler.ts';
import { POSTGRES_MAX_IDENTIFIER_BYTES, quotePostgresIdentifier } from './postgres-quote.ts';
import { PostgresTransactionLock } from './postgres-transaction-lock.ts';
import { PostgresTypeMapper } from './postgres-types.ts';
import { postgresConventions } from './postgres-conventions.ts';

/** What shows in pg_stat_activity (and in a LOCK_TIMEOUT message naming the holder). */
const APPLICATION_NAME = 'idem';

/**
 * SQLSTATEs that mean "something created this object first":
 * 42P07 duplicate_table (tables, indexes, sequences: any relation),
 * 42701 duplicate_column, 42710 duplicate_object (constraints).
 * 23505 unique_violation counts only on a system catalog: two sessions
 * creating the same table at once can collide in pg_type or pg_class's
 * unique index before either sees the other's table.
 * 42P16 (invalid_table_definition) is left out: it also means a malformed
 * table, not only a second primary key.
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
const ALREADY_EXISTS = new Set(['42P07', '42701', '42710']);

export interface PostgresSession extends DialectSession {
  readonly driver: PostgresDriver;
  readonly lock: PostgresRunLock | PostgresTransactionLock;
  readonly transactions: PostgresTransactions;
  /** The schema idem migrates: current_schema() after connecting. */
  readonly schema: string;
  /** 'transaction' behind a transaction pooler (said or seen): the lock is taken in every transaction. */
  readonly lockScope: LockScope['scope'];
}

export async function openPostgresSession(target: { url: string }, idemTables: readonly string[]): Promise<PostgresSession> {
  const { connectionString, schema: wanted, pooler } = splitIdemParameters(target.url);
  const label = maskUrl(target.url);
  const driver = await PostgresDriver.connect({ connectionString, label, applicationName: APPLICATION_NAME });
  let opened: { schema: string; scope: LockScope };
  try {
    opened = await selectSchema(driver, wanted, pooler, label);
  } catch (error) {
    await driver.close();
    throw error;
  }
  const { schema, scope } = opened;
  const types = new PostgresTypeMapper();
  const lock = scope.scope === 'session' ? new PostgresRunLock(driver, schema) : new PostgresTransactionLock(driver, schema, scope.why);
  return {
    dialect: 'postgres',
    capabilities: { transactionalDdl: true, optionalTransactions: true, maxIdentifierLength: POSTGRES_MAX_IDENTIFIER_BYTES },
    driver,
    schema,
    lockScope: scope.scope,
    types,
    conventions: postgresConventions,
    catalog: new PostgresCatalogReader(driver, types, idemTables),
    ddl: new PostgresDdlCompiler(types),
    lock,
    transactions: new PostgresTransactions(driver, lock),
    quoteIdentifier: quotePostgresIdentifier,
    bindPlaceholders: bindPostgresPlaceholders,
    countPlaceholders: countPostgresPlaceholders,
    isAlreadyExistsError: isPostgresAlreadyExists,
    missingObject: postgresMissingObject,
    // The session lock is held from the first migration to the last: no other runner writes in between.
    // The transaction lock is taken again for each migration: another runner may have got in before.
    async changedByOthers() {
      return lock instanceof PostgresTransactionLock ? lock.takenAgain() : false;
    },
    // Constraints are checked as each statement runs (deferred ones at COMMIT): nothing left to verify.
    async verifyMigration() {},
    async close() {
      // Closing ends the session, and with it the lock and any open transaction: nothing to report.
      await lock.release().catch(() => undefined);
      await driver.close();
    },
  };
}

export function isPostgresAlreadyExists(error: unknown): boolean {
  const e = error as { code?: unknown; schema?: unknown; constraint?: unknown } | null;
  if (typeof e?.code !== 'string') return false;
  if (ALREADY_EXISTS.has(e.code)) return true;
  return e.code === '23505' && (e.schema === 'pg_catalog' || (typeof e.constraint === 'string' && e.constraint.startsWith('pg_')));
}

/**
 * undefined_table (42P01, `relation "legacy" does not exist`) and
 * undefined_column (42703, `column "old_name" does not exist`, `column
 * u.old_name does not exist`, `column "old_name" of relation "users" does not exist`).
 * https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function postgresMissingObject(error: unknown): MissingObject | undefined {
  const e = error as { code?: unknown; message?: unknown } | null;
  const message = String(e?.message ?? '');
  const kind = e?.code === '42P01' ? 'table' : e?.code === '42703' ? 'column' : undefined;
  if (kind === undefined) return undefined;
  const found = /^(?:relation|column) (?:"([^"]+)"|(\S+))/.exec(message);
  const named = found?.[1] ?? found?.[2]?.split('.').pop();
  return named === undefined ? undefined : { kind, name: named };
}

/** The URL without idem's own parameters (`schema`, `pooler`), and those parameters. */
export function splitIdemParameters(url: string): { connectionString: string; schema: string | undefined; pooler: PoolerParameter | undefined } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new IdemError('URL_INVALID', `the database URL ${maskUrl(url)} is not a valid URL`, {
      hint: 'write it as postgres://user:<password>@host:port/database (percent-encode special characters in the password)',
    });
  }
  const schema = parsed.searchParams.get('schema') ?? undefined;
  const pooler = parsePoolerParameter(parsed.searchParams.get('pooler') ?? undefined, maskUrl(url));
  if (schema === undefined && pooler === undefined) return { connectionString: url, schema, pooler };
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('pooler');
  if (schema === '') throw new IdemError('URL_INVALID', `the database URL ${maskUrl(url)} has an empty schema parameter`, { hint: 'write ?schema=<name>, or leave it out for the default search_path' });
  return { connectionString: parsed.toString(), schema, pooler };
}

/**
 * The lock scope (one statement tells the server's pid, for the pooler check,
 * along with what the schema check needs), then the search_path: for the
 * session directly, or LOCAL in every transaction behind a transaction pooler.
 */
async function selectSchema(
  driver: PostgresDriver, wanted: string | undefined, pooler: PoolerParameter | undefined, label: string,
): Promise<{ schema: string; scope: LockScope }> {
  const [first] = await driver.query<{ pid: number; schema: string | null; found: boolean }>(
    'SELECT pg_backend_pid() AS pid, current_schema() AS schema, EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1) AS found', [wanted ?? ''],
  );
  const scope = chooseLockScope(pooler, driver.announcedPid, Number(first?.pid));
  if (scope.scope !== 'session') driver.behindTransactionPooler();
  let current = first?.schema;
  if (wanted !== undefined) {
    if (first?.found !== true) {
      throw new IdemError('CONFIG', `schema "${wanted}" does not exist in ${label}`, {
        hint: `create it first (CREATE SCHEMA ${quotePostgresIdentifier(wanted)}), or drop ?schema= from the URL`,
      });
    }
    // SET takes no parameters; the name goes in as a quoted identifier.
    const path = `search_path TO ${quotePostgresIdentifier(wanted)}`;
    if (scope.scope === 'session') await driver.execute(`SET ${path}`);
    else driver.setPerTransaction(`SET LOCAL ${path}`);
    const [row] = await driver.query<{ schema: string | null }>('SELECT current_schema() AS schema');
    current = row?.schema;
  }
  if (current == null) {
    throw new IdemError('CONFIG', `no schema on the search_path of ${label} exists`, {
      hint: 'add ?schema=<name> to the URL, or create the schema the search_path names',
    });
  }
  return { schema: current, scope };
}
