/**
 * One connection to MySQL or MariaDB through `mysql2`, an optional
 * dependency loaded only when a mysql:// or mariadb:// URL is used.
 * https://sidorares.github.io/node-mysql2/docs
 *
 * Statements go through `query` (the text protocol) with `?` placeholders
 * that mysql2 fills in with its own escaping, never by pasting strings here.
 * Not `execute` (server-side prepared statements): some statements a
 * migration may send cannot be prepared (LOCK TABLES, several SHOW and
 * administrative statements; https://dev.mysql.com/doc/refman/8.0/en/sql-prepared-statements.html#prepared-statements-permitted),
 * a parameter's type is fixed at prepare time (`LIMIT ?` with a JS number
 * fails on MySQL 8.0.22+), and a one-off DDL statement gains nothing from
 * a prepare round trip. mysql2's escaping assumes backslash escapes, so the
 * session never runs with NO_BACKSLASH_ESCAPES (see `connect`).
 *
 * Several statements in one text (`m.sql('INSERT …; INSERT …')`) all run, as
 * on the other engines: multipleStatements is on. That is safe here because
 * values only ever arrive as bound parameters, never spliced into the text.
 */
import type { Connection, ConnectionOptions, ResultSetHeader } from 'mysql2/promise';
import { IdemError } from '../../errors.ts';
import { AnswerInFlight } from '../answer-in-flight.ts';
import { maskUrl } from '../connection-url.ts';
import { passwordsOf, withoutPasswords } from '../../secrets.ts';
import type { Driver, ExecResult } from '../dialect.ts';
import { GALERA_VARIABLES } from './mysql-galera.ts';
import type { MysqlFlavor } from './mysql-types.ts';

type Mysql2 = typeof import('mysql2/promise');

/** What idem learns about the server when it connects. */
export interface MysqlServer {
  flavor: MysqlFlavor;
  version: string;
  /** The connection's database, `SELECT DATABASE()`. */
  database: string;
  connectionId: number;
  /** The wsrep settings (Galera), read in the same round trip; empty on a server without them (MySQL). */
  variables: ReadonlyMap<string, string>;
}

export async function loadMysql2(load: () => Promise<unknown> = () => import('mysql2/promise')): Promise<Mysql2> {
  try {
    const mod = (await load()) as Mysql2 & { default?: Mysql2 };
    return mod.default ?? mod;
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new IdemError('DRIVER_MISSING', 'MySQL/MariaDB needs the mysql2 package', { cause: error, hint: 'npm install mysql2' });
    }
    throw error;
  }
}

/**
 * mysql2 options from a URL: `mysql://user:password@host:port/database`
 * (percent-encoded), with `?ssl=true` for TLS (certificates verified) and
 * `?socket=/path` for a Unix socket. BIGINT results (COUNT(*)) come back as
 * numbers when they fit a JS number exactly and as strings beyond; DECIMAL
 * stays an exact string; DATE/DATETIME/TIMESTAMP come back as the text the
 * server sends, not a JS Date a client time zone has shifted.
 */
export function mysqlConnectionOptions(url: string): ConnectionOptions {
  const parsed = new URL(url);
  const param = (name: string): string | null => parsed.searchParams.get(name);
  const options: ConnectionOptions = {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1') || 'localhost',
    port: parsed.port === '' ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    dateStrings: true,
    multipleStatements: true,
    connectTimeout: 10_000,
    // utf8mb4 whatever the installed driver defaults to (mysql2 1.x sent utf8mb3):
    // a statement's text is sent in this charset, so an emoji in a default or in
    // data would otherwise reach the server as '?'.
    // https://dev.mysql.com/doc/refman/8.0/en/charset-connection.html
    charset: 'UTF8MB4_UNICODE_CI',
  };
  const socket = param('socket') ?? param('socketPath');
  if (socket) options.socketPath = socket;
  if (['true', '1', 'required'].includes((param('ssl') ?? '').toLowerCase())) options.ssl = {};
  return options;
}

export class MysqlDriver implements Driver {
  readonly server: MysqlServer;
  readonly #connection: Connection;
  /** A fatal error the connection reported while idle (the server went away); the next call fails with it. */
  #lost: Error | undefined;
  /** Statements held by sendWithNext(), sent in front of the next one. */
  #held: string[] = [];
  /**
   * A message sent by sendAhead() and not yet answered: every later
   * statement waits for it. A failure is kept in #failedAhead, and every
   * statement fails with it until settle().
   */
  readonly #inFlight = new AnswerInFlight();
  #failedAhead: { error: unknown } | undefined;

  private constructor(connection: Connection, server: MysqlServer) {
    this.#connection = connection;
    this.server = server;
    // Without a listener an 'error' event on an idle connection would crash the process.
    connection.on('error', (error: Error) => { this.#lost = error; });
  }

  /** Connects, learns the server, refuses a read-only one. Every failure is a one-line CONNECTION error with the URL masked. */
  static async connect(url: string, mysql2?: Mysql2): Promise<MysqlDriver> {
    let options: ConnectionOptions;
    try {
      options = mysqlConnectionOptions(url);
    } catch {
      throw new IdemError('URL_INVALID', `the database URL ${maskUrl(url)} is not a valid URL`, {
        hint: 'write it as mysql://user:<password>@host:3306/database (percent-encode special characters in the password)',
      });
    }
    if (options.database === '') {
      throw new IdemError('URL_INVALID', `the MySQL/MariaDB URL ${maskUrl(url)} names no database`, {
        hint: 'add the database to the URL: mysql://user:<password>@host:3306/database',
      });
    }
    const lib = mysql2 ?? await loadMysql2();
    const where = options.socketPath ?? `${options.host}:${options.port}`;
    let connection: Connection;
    try {
      connection = await lib.createConnection(options);
    } catch (error) {
      throw connectionError(error, url, where, options);
    }
    try {
      // SHOW VARIABLES, not @@wsrep_on: MySQL has no such variable and would refuse the whole SELECT.
      const [results] = await connection.query(
        'SELECT VERSION() AS version, DATABASE() AS db, CONNECTION_ID() AS id, @@read_only AS read_only, @@sql_mode AS sql_mode; '
        + 'SHOW SESSION VARIABLES WHERE Variable_name IN (?)', [GALERA_VARIABLES],
      );
      const [rows, variables] = results as [Record<string, unknown>[], Array<{ Variable_name: string; Value: string }>];
      const info = rows[0] ?? {};
      const version = String(info.version ?? '');
      // super_read_only forces read_only on, so read_only alone covers both. https://dev.mysql.com/doc/refman/8.0/en/server-system-variables.html#sysvar_super_read_only
      if (Number(info.read_only) === 1) {
        throw new IdemError('CONNECTION', `the server at ${where} is read-only (read_only = ON): a replica or a read-only server cannot be migrated (${maskUrl(url)})`, {
          data: { reason: 'read-only' },
          hint: 'point idem at the primary (writable) server',
        });
      }
      const mode = String(info.sql_mode ?? '');
      if (/\bNO_BACKSLASH_ESCAPES\b/i.test(mode)) {
        const kept = mode.split(',').filter((m) => m.toUpperCase() !== 'NO_BACKSLASH_ESCAPES').join(',');
        await connection.query('SET SESSION sql_mode = ?', [kept]);
      }
      return new MysqlDriver(connection, {
        flavor: /mariadb/i.test(version) ? 'mariadb' : 'mysql',
        version,
        database: String(info.db ?? options.database),
        connectionId: Number(info.id),
        variables: new Map(variables.map((v) => [v.Variable_name.toLowerCase(), String(v.Value)])),
      });
    } catch (error) {
      connection.destroy();
      if (error instanceof IdemError) throw error;
      throw connectionError(error, url, where, options);
    }
  }

  /** The rows of the (last) statement; none for a statement that returns none (DDL, UPDATE). */
  async query<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
    const results = await this.#send(sql, params);
    const last = results[results.length - 1];
    return Array.isArray(last) ? (last as object[]).map((row) => ({ ...row }) as Row) : [];
  }

  /** Rows changed by every statement of the text. */
  async execute(sql: string, params: unknown[] = []): Promise<ExecResult> {
    return rowsAffected(await this.#send(sql, params));
  }

  /**
   * Holds a statement without parameters (`SET autocommit = 0`) to go in
   * front of the next one, in the same message: the server runs them in
   * order and stops at the first error, as two round trips would.
   */
  sendWithNext(sql: string): void {
    this.#held.push(sql);
  }

  /** Whether sendAhead() can send now: nothing in flight, no failure waiting for settle(). */
  get canSendAhead(): boolean {
    return !this.#inFlight.pending && this.#failedAhead === undefined && this.#lost === undefined;
  }

  /**
   * execute(), the caller not waiting for the answer: the text (with what is
   * held in front) is sent now, and the next statement waits for the answer
   * before it is sent, failing with it if it failed, until settle().
   */
  sendAhead(sql: string, params: unknown[]): Promise<ExecResult> {
    if (!this.canSendAhead) {
      throw new IdemError('INTERNAL', 'a statement was sent ahead while another is in flight', { hint: 'this is a bug in idem: please report it' });
    }
    return this.#inFlight.track(this.#exchange(sql, params).then(rowsAffected, (error: unknown) => {
      this.#failedAhead = { error };
      throw error;
    }));
  }

  /**
   * Waits for a message sent ahead, and forgets its failure: the caller
   * deals with it (a rollback follows). Whether it failed.
   */
  async settle(): Promise<boolean> {
    await this.#inFlight.answered();
    const failed = this.#failedAhead !== undefined;
    this.#failedAhead = undefined;
    return failed;
  }

  /** Forgets the held statements; whether any was held (and so never sent). */
  dropHeld(): boolean {
    const held = this.#held.length > 0;
    this.#held = [];
    return held;
  }

  /** Ends the session politely (COM_QUIT); the server releases its locks and rolls back an open transaction. */
  async close(): Promise<void> {
    await this.#inFlight.answered();
    try {
      await this.#connection.end();
    } catch {
      this.#connection.destroy();
    }
  }

  /** Drops the socket without a goodbye, as a killed process would. */
  destroy(): void {
    this.#connection.destroy();
  }

  /** One result per statement: rows (an array) or a result header. */
  async #send(sql: string, params: unknown[]): Promise<Array<unknown[] | ResultSetHeader>> {
    await this.#inFlight.answered();
    if (this.#failedAhead !== undefined) throw this.#failedAhead.error;
    return this.#exchange(sql, params);
  }

  /** Sends `sql` with the held statements in front (taken before it returns) and reads the answer. */
  async #exchange(sql: string, params: unknown[]): Promise<Array<unknown[] | ResultSetHeader>> {
    if (this.#lost) {
      throw new IdemError('CONNECTION', `the connection to the server was lost: ${this.#lost.message}`, { cause: this.#lost, hint: 're-run when the server is back' });
    }
    // Held statements have no placeholders, so the parameters still fill the ones of `sql`, in order.
    const held = this.#held.length;
    const text = held === 0 ? sql : `${this.#held.join('; ')}; ${sql}`;
    this.#held = [];
    const [result] = await this.#connection.query(text, params.length > 0 ? toMysql(params) : undefined);
    // Several statements give an array with one entry per statement; rows are never arrays themselves.
    const multiple = Array.isArray(result) && result.length > 1 && result.every((r) => Array.isArray(r) || isHeader(r));
    const results = multiple ? (result as Array<unknown[] | ResultSetHeader>) : [result as unknown[] | ResultSetHeader];
    // The held statements' results are not the caller's.
    return results.slice(held);
  }
}

/** Rows changed by every statement of a text. */
function rowsAffected(results: Array<unknown[] | ResultSetHeader>): ExecResult {
  return { rowsAffected: results.reduce<number>((sum, r) => sum + (Array.isArray(r) ? 0 : Number(r.affectedRows ?? 0)), 0) };
}

function isHeader(value: unknown): value is ResultSetHeader {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'affectedRows' in value && 'insertId' in value;
}

/** Values mysql2 would otherwise expand (a plain object becomes `a = 1, b = 2`): JSON text, as SQLite stores them. Arrays stay lists for `IN (?)`. */
function toMysql(params: readonly unknown[]): unknown[] {
  return params.map((value) => {
    if (value === undefined) return null;
    if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Date || value instanceof Uint8Array) return value;
    return JSON.stringify(value);
  });
}

/** One clear line per cause; the URL only ever masked, the password never. */
function connectionError(error: unknown, url: string, where: string, options: ConnectionOptions): IdemError {
  const e = error as { code?: unknown; errno?: unknown; errors?: Array<{ code?: unknown }>; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errors?.[0]?.code === 'string' ? e.errors[0].code : '';
  const errno = typeof e?.errno === 'number' ? e.errno : undefined;
  const target = maskUrl(url);
  // The server's own text never carries the password; this guards against one that would.
  const passwords = [...passwordsOf(url), ...(options.password ? [options.password] : [])];
  const clean = (text: string): string => withoutPasswords(text, passwords);
  // A refused login or a missing database is the configuration's to fix (exit 2): retrying cannot help.
  const fail = (reason: string, message: string, hint: string): IdemError =>
    new IdemError(reason === 'access-denied' || reason === 'unknown-database' ? 'CONFIG' : 'CONNECTION', `${clean(message)} (${target})`, { cause: error, hint, data: { reason } });
  if (code === 'ECONNREFUSED' || code === 'ENOENT') {
    return fail('refused', `cannot connect to MySQL/MariaDB at ${where}: connection refused`, 'start the server or check host and port; `--wait <seconds>` retries while it starts');
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return fail('host-not-found', `cannot connect to MySQL/MariaDB: host ${options.host} not found`, 'check the host name in the URL');
  }
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET' || code === 'PROTOCOL_CONNECTION_LOST') {
    return fail('timeout', `cannot connect to MySQL/MariaDB at ${where}: the connection timed out or was dropped`, 'check that the server is up and reachable from here; `--wait <seconds>` retries');
  }
  if (errno === 1045 || errno === 1698 || code === 'ER_ACCESS_DENIED_ERROR') {
    return fail('access-denied', `access denied for user "${options.user ?? ''}" at ${where}`, 'check the user and password in the URL (percent-encode special characters in the password)');
  }
  if (errno === 1044 || code === 'ER_DBACCESS_DENIED_ERROR') {
    return fail('access-denied', `user "${options.user ?? ''}" may not use database "${options.database ?? ''}" at ${where}`, `grant it: GRANT ALL ON \`${options.database ?? ''}\`.* TO …`);
  }
  if (errno === 1049 || code === 'ER_BAD_DB_ERROR') {
    return fail('unknown-database', `database "${options.database ?? ''}" does not exist at ${where}`, `create it (CREATE DATABASE \`${options.database ?? ''}\`) or fix the database name in the URL`);
  }
  const message = typeof e?.message === 'string' && e.message !== '' ? e.message : String(error);
  return fail('other', `cannot connect to MySQL/MariaDB at ${where}: ${message}`, 'check the URL and that the server is up');
}
