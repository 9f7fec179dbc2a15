/**
 * The PostgreSQL connection: one `pg.Client` (not a pool: the run lock and
 * the migration's transaction live in one session, and every statement must
 * go through it). `pg` is an optional dependency, loaded on first use, so a
 * SQLite user never installs it.
 * https://node-postgres.com/apis/client
 *
 * Values are left as pg returns them: int8 and numeric arrive as strings
 * (they do not fit a JS number); callers that count rows use Number(). No
 * global type parser is changed: the application may share this pg module.
 *
 * Behind a transaction pooler (PgBouncer's pool_mode = transaction) one
 * client connection is served by whichever server session is free at each
 * transaction, so nothing set for the session survives to the next one.
 * What idem needs set (the search_path of `?schema=`) is then given as
 * `perTransaction`: sent as SET LOCAL after every BEGIN, and a statement sent
 * outside a transaction runs in a transaction of its own with it. pg's
 * queries are unnamed statements (Parse, Bind, Execute, Sync in one go), which
 * a transaction pooler serves on one server session.
 * https://www.pgbouncer.org/features.html#sql-feature-map-for-pooling-modes
 */
import type { Client, ClientConfig, QueryResult } from 'pg';
import { IdemError } from '../../errors.ts';
import { passwordsOf, withoutPasswords } from '../../secrets.ts';
import { AnswerInFlight } from '../answer-in-flight.ts';
import type { Driver, ExecResult } from '../dialect.ts';
import { inlinePostgresParameters } from './postgres-placeholders.ts';

/** COMMIT without waiting for the disk, for this transaction only (commitLazily). */
const LAZY_COMMIT = 'SET LOCAL synchronous_commit = off; COMMIT';

/** A server that accepts the TCP connection but never answers would otherwise hang the run. */
const CONNECT_TIMEOUT_MS = 10_000;

type PgModule = { Client: new (config: ClientConfig) => Client };

/** Loads `pg`, or says which package to install. `importer` is replaceable for tests. */
export async function loadPg(importer: () => Promise<unknown> = () => import('pg')): Promise<PgModule> {
  let loaded: unknown;
  try {
    loaded = await importer();
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new IdemError('DRIVER_MISSING', 'PostgreSQL needs the pg package', { hint: 'npm install pg', cause: error });
    }
    throw error;
  }
  // pg is CommonJS: under ESM its exports sit on `default` (and, detected, as named exports too).
  const module = loaded as { default?: PgModule } & Partial<PgModule>;
  const Client = module.Client ?? module.default?.Client;
  if (Client === undefined) throw new IdemError('DRIVER_MISSING', 'the installed pg package has no Client export', { hint: 'npm install pg@8' });
  return { Client };
}

export interface PostgresConnectOptions {
  /** The URL pg connects with (idem's own parameters removed). */
  connectionString: string;
  /** The URL as every message shows it: password masked. */
  label: string;
  applicationName: string;
  importer?: () => Promise<unknown>;
}

export class PostgresDriver implements Driver {
  /** The masked URL, for messages. */
  readonly label: string;
  readonly #client: Client;
  /** Set when the server or network ends the session: every later call fails with it. */
  #lost: Error | undefined;
  #closed = false;
  #perTransaction: string | undefined;
  #inTransaction = false;
  /** Behind a transaction pooler: consecutive transactions may reach different server connections. */
  #transactionPooled = false;
  /** A commitLazily() since the last commit that waited for the disk: close() waits for it. */
  #lazyCommits = false;
  /**
   * A transaction begun by beginLazily() whose BEGIN is not sent yet: it
   * goes with the transaction's first statement. The function checks the
   * pid of the server session the BEGIN ran in (it throws to refuse it).
   */
  #pendingBegin: ((pid: number) => void) | undefined;
  /** The pid #pendingBegin accepts, when known: the server can then check it itself (sessionCheck). */
  #expectedPid: number | undefined;
  /** The BEGIN went with a statement that failed, so its pid never came back: checked before the commit. */
  #uncheckedPid: ((pid: number) => void) | undefined;
  /** Statements held by defer(), sent in front of the next one (the COMMIT, at the latest). */
  #deferred: string[] = [];
  /** Deferred statements failed since the transaction began: which of them is not known. */
  #deferredFailed = false;
  /**
   * The last transaction's closing message (sendThenCommitLazily), sent and
   * not yet answered: every call that sends waits for it, so nothing of the
   * next transaction reaches the server before it is known to have
   * committed. A failure is kept in #failedInFlight.
   */
  readonly #inFlight = new AnswerInFlight();
  /**
   * That message failed: the server holds its transaction, aborted, until
   * rollback(), and every call that sends fails with its error till then.
   * `batch`: deferred statements went with it (batchFailed()).
   */
  #failedInFlight: { error: unknown; batch: boolean } | undefined;

  private constructor(client: Client, label: string) {
    this.#client = client;
    this.label = label;
    // An 'error' event with no listener would crash the process (a terminated backend, a dropped network).
    client.on('error', (error: Error) => { this.#lost = error; });
  }

  static async connect(options: PostgresConnectOptions): Promise<PostgresDriver> {
    const { Client } = await loadPg(options.importer);
    const client = new Client({
      connectionString: options.connectionString,
      application_name: options.applicationName,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw connectionError(error, options.label, passwordsOf(options.connectionString));
    }
    return new PostgresDriver(client, options.label);
  }

  /**
   * The process id PostgreSQL announced for this connection at start-up
   * (BackendKeyData, kept by pg for cancel requests). A pooler answers the
   * start-up itself with a key of its own, since a cancel must reach
   * whichever server session serves the client then: this differs from
   * pg_backend_pid() behind one. null when none was announced.
   * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-START-UP
   */
  get announcedPid(): number | null {
    const pid = (this.#client as unknown as { processID?: unknown }).processID;
    return typeof pid === 'number' ? pid : null;
  }

  /** The session goes through a pooler in transaction mode (postgres-pooler.ts): no named prepared statements. */
  behindTransactionPooler(): void {
    this.#transactionPooled = true;
  }

  /** Statements (`SET LOCAL …`) every transaction starts with; see the file comment. */
  setPerTransaction(sql: string): void {
    this.#perTransaction = sql;
  }

  get inTransaction(): boolean {
    return this.#inTransaction;
  }

  /**
   * BEGIN, with the per-transaction statements, in one round trip. Returns
   * the pid of the server session the transaction runs in: the session lock
   * checks it is still the one it was taken in. `isolation`: for a
   * transaction that must see what others committed after its first
   * statement (one that waits for a lock inside it), whatever the server's
   * default_transaction_isolation.
   */
  async begin(isolation?: 'read committed'): Promise<number> {
    await this.#ready();
    const prelude = this.#perTransaction === undefined ? '' : `${this.#perTransaction}; `;
    const begin = isolation === undefined ? 'BEGIN' : 'BEGIN ISOLATION LEVEL READ COMMITTED';
    // No parameters: pg sends it as one simple query, several statements in one message.
    let result: QueryResult[];
    try {
      result = (await this.#client.query(`${begin}; ${prelude}SELECT pg_backend_pid() AS pid`)) as unknown as QueryResult[];
    } catch (error) {
      // The BEGIN may have run before the failing statement: leave no transaction open behind it.
      await this.#client.query('ROLLBACK').catch(() => undefined);
      throw beginError(error, this.label);
    }
    this.#inTransaction = true;
    this.#deferredFailed = false;
    return Number(result[result.length - 1]?.rows[0]?.pid);
  }

  /**
   * A transaction whose BEGIN (and pid check) travels with its first
   * statement instead of a round trip of its own: a thousand migrations
   * waited for a thousand. `checkPid` gets the pid of the server session the
   * transaction runs in before anything else is sent; when it throws, the
   * transaction is rolled back (the statement with it) and the error
   * thrown. Where every transaction starts with per-transaction statements
   * the BEGIN is sent at once, as begin() does. `expectedPid`: the one pid
   * `checkPid` accepts, when there is one; a transaction whose first
   * statement is its last (executeThenCommitLazily) then goes whole in one
   * message, the server checking the pid before the COMMIT.
   */
  async beginLazily(checkPid: (pid: number) => void, expectedPid?: number): Promise<void> {
    this.#assertAlive();
    if (this.#perTransaction !== undefined) {
      const pid = await this.begin();
      await this.#checked(checkPid, pid);
      return;
    }
    this.#pendingBegin = checkPid;
    this.#expectedPid = expectedPid;
    this.#inTransaction = true;
    this.#deferredFailed = false;
  }

  /**
   * Holds a statement without parameters (DDL) to send with the next one:
   * a migration's DDL then reaches the server with its COMMIT, in one round
   * trip. Only inside a transaction, where nothing of it is visible before
   * the commit anyway. When they fail, the server does not say which one
   * did: `deferredFailed` tells the caller, whose rollback undoes them all,
   * to run them again one at a time.
   */
  defer(sql: string): void {
    if (!this.#inTransaction) throw new IdemError('INTERNAL', 'a statement was deferred outside a transaction', { hint: 'this is a bug in idem: please report it' });
    this.#deferred.push(sql);
  }

  get deferredFailed(): boolean {
    return this.#deferredFailed || this.#failedInFlight?.batch === true;
  }

  async commit(): Promise<void> {
    await this.#commitWith('COMMIT');
  }

  /**
   * COMMIT without waiting for the commit record to reach the disk
   * (asynchronous commit, for this transaction only). A server crash may then
   * lose the latest such commits, each whole, never half of one; a
   * migration lost so is applied again by the next run. close() waits until
   * every one is durable, so a run ends with what it reports on disk. Saves
   * a WAL flush per migration: a run of a thousand migrations waited for a
   * thousand.
   * https://www.postgresql.org/docs/current/wal-async-commit.html
   */
  async commitLazily(): Promise<void> {
    if (await this.#commitWith(LAZY_COMMIT)) this.#lazyCommits = true;
  }

  /** Sends what the transaction holds, checks its session, then `commit`; false when nothing of it reached the server. */
  async #commitWith(commit: string): Promise<boolean> {
    await this.#ready();
    await this.#sendDeferred();
    if (this.#endsUnsent()) return false;
    await this.#checkPidBeforeCommit();
    this.#inTransaction = false;
    await this.#client.query(commit);
    return true;
  }

  /**
   * One last statement of the transaction (the migration's version row) and
   * the lazy COMMIT in one round trip: its parameters are written in as
   * literals, since only the simple protocol carries several statements.
   * When the statement fails nothing after it runs, and the transaction
   * stays open for the caller's rollback.
   */
  async executeThenCommitLazily(sql: string, params: unknown[]): Promise<ExecResult> {
    await this.#ready();
    // A lazy BEGIN the server cannot check goes first, with the deferred statements, so its pid comes back
    // before anything commits; so does the pid of a BEGIN that went with a statement that failed.
    if (this.#pendingBegin !== undefined && this.#expectedPid === undefined) {
      await this.#sendDeferred();
      await this.#sendPendingBegin(); // nothing was deferred
    }
    await this.#checkPidBeforeCommit();
    return this.#close(sql, params);
  }

  /**
   * Whether sendThenCommitLazily() can close the open transaction now: its
   * session is checked already or can be by the server, and no closing
   * message is still in flight.
   */
  get canCloseWithoutWaiting(): boolean {
    return this.#inTransaction && !this.#inFlight.pending && this.#failedInFlight === undefined && this.#lost === undefined
      && this.#uncheckedPid === undefined && (this.#pendingBegin === undefined || this.#expectedPid !== undefined);
  }

  /**
   * executeThenCommitLazily(), the caller not waiting for the answer: the
   * message is sent now and the transaction counts as ended, so the next
   * one may begin and hold statements (beginLazily, defer) at once. The
   * first call that sends anything waits for this answer, and fails with
   * its error if it failed. The returned promise is the answer. A
   * migration's own code then runs while the server commits the one before.
   */
  sendThenCommitLazily(sql: string, params: unknown[]): Promise<ExecResult> {
    if (!this.canCloseWithoutWaiting) {
      throw new IdemError('INTERNAL', 'a transaction was closed without waiting where it cannot be', { hint: 'this is a bug in idem: please report it' });
    }
    return this.#close(sql, params);
  }

  /**
   * Sends the transaction's closing message, taking what the transaction
   * holds (lazy BEGIN, deferred statements) before it returns: the next
   * transaction's state is its own. A lazy BEGIN still unsent goes in front,
   * with sessionCheck. The answer is tracked as #inFlight.
   */
  #close(sql: string, params: unknown[]): Promise<ExecResult> {
    const checkPid = this.#pendingBegin;
    const opening = checkPid === undefined ? '' : `BEGIN; ${sessionCheck(this.#expectedPid!)}; `;
    const deferred = this.#takeDeferred();
    const text = `${opening}${deferred.map((d) => `${d}; `).join('')}${inlinePostgresParameters(sql, params)}; ${LAZY_COMMIT}`;
    this.#pendingBegin = undefined;
    this.#inTransaction = false;
    this.#deferredFailed = false;
    const answer = (this.#client.query(text) as unknown as Promise<QueryResult[]>).then((results) => {
      this.#lazyCommits = true;
      // The statement's result comes before SET LOCAL's and COMMIT's, whatever the deferred statements returned.
      return { rowsAffected: results[results.length - 3]?.rowCount ?? 0 };
    }, (error: unknown) => {
      const reason = checkPid === undefined ? error : refusedInMessage(error, checkPid, this.label);
      // The transaction is left on the server, aborted, for rollback(). A refusal is not the batch's doing.
      this.#failedInFlight = { error: reason, batch: deferred.length > 0 && reason === error };
      throw reason;
    });
    return this.#inFlight.track(answer);
  }

  /**
   * Waits for a closing message still in flight; after one that failed,
   * fails with its error until rollback() ends its transaction.
   */
  async #ready(): Promise<void> {
    this.#assertAlive();
    await this.#inFlight.answered();
    if (this.#failedInFlight !== undefined) throw this.#failedInFlight.error;
  }

  async rollback(): Promise<void> {
    this.#assertAlive();
    await this.#inFlight.answered();
    this.#uncheckedPid = undefined;
    this.#deferred = [];
    // A closing message that failed left its transaction open on the server, whatever began since.
    const failed = this.#failedInFlight;
    this.#failedInFlight = undefined;
    if (this.#endsUnsent() && failed === undefined) return;
    this.#inTransaction = false;
    await this.#client.query('ROLLBACK');
  }

  async query<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
    const result = await this.#send(sql, params);
    // Several statements without parameters come back as one result each; the last one's rows are the answer.
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return (last?.rows ?? []) as Row[];
  }

  /**
   * A query the session sends again and again (the catalog read), as a named
   * prepared statement: PostgreSQL parses it once per connection, and after a
   * few runs plans it once too; planning was most of its cost. Behind a
   * transaction pooler the next transaction may reach a server connection that
   * never saw the statement, so there it goes unnamed.
   * https://www.postgresql.org/docs/current/sql-prepare.html
   */
  async queryPrepared<Row = Record<string, unknown>>(name: string, sql: string, params: unknown[]): Promise<Row[]> {
    if (this.#transactionPooled) return this.query<Row>(sql, params);
    await this.#ready();
    await this.#sendDeferred();
    await this.#sendPendingBegin();
    const result = (await this.#client.query({ name, text: sql, values: params })) as unknown as QueryResult;
    return (result.rows ?? []) as Row[];
  }

  async queryArrays(sql: string, params: unknown[] = []): Promise<unknown[][]> {
    await this.#ready();
    await this.#sendDeferred();
    await this.#sendPendingBegin();
    // rowMode 'array' keeps columns that share a name (`SELECT 1, 2`: both `?column?`).
    // https://node-postgres.com/features/queries#row-mode
    const result = await this.#inOwnTransaction(async () =>
      (await this.#client.query({ text: sql, values: params, rowMode: 'array' })) as unknown as QueryResult | QueryResult[]);
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return (last?.rows ?? []) as unknown[][];
  }

  async execute(sql: string, params: unknown[] = []): Promise<ExecResult> {
    const result = await this.#send(sql, params);
    const results = Array.isArray(result) ? result : [result];
    return { rowsAffected: results.reduce((sum, r) => sum + (r.rowCount ?? 0), 0) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#inFlight.answered();
    this.#endsUnsent();
    // A transaction that takes an id and commits as the session's synchronous_commit says waits
    // for the WAL up to its commit record, which holds every earlier lazy commit. Best effort: a
    // connection already lost cannot be asked, and the server writes the WAL out within moments anyway.
    if (this.#lazyCommits && this.#lost === undefined && !this.#inTransaction) {
      this.#lazyCommits = false;
      await this.#client.query('BEGIN; SELECT txid_current(); COMMIT').catch(() => undefined);
    }
    this.#closed = true;
    // Ending the session releases its advisory locks and rolls back an open transaction.
    await this.#client.end().catch(() => undefined);
  }

  async #send(sql: string, params: unknown[]): Promise<QueryResult | QueryResult[]> {
    await this.#ready();
    await this.#sendDeferred();
    if (this.#pendingBegin !== undefined && params.length === 0) return this.#sendWithBegin(sql, this.#pendingBegin);
    await this.#sendPendingBegin();
    // An empty parameter list keeps pg on the simple protocol, which allows several statements in one string.
    return this.#inOwnTransaction(async () =>
      (await this.#client.query(sql, params.length > 0 ? params : undefined)) as unknown as QueryResult | QueryResult[]);
  }

  /** The lazy BEGIN and its pid in front of the transaction's first statement, in one simple-protocol message. */
  async #sendWithBegin(sql: string, checkPid: (pid: number) => void): Promise<QueryResult | QueryResult[]> {
    this.#pendingBegin = undefined;
    let results: QueryResult[];
    try {
      results = (await this.#client.query(`BEGIN; SELECT pg_backend_pid() AS pid; ${sql}`)) as unknown as QueryResult[];
    } catch (error) {
      // The BEGIN ran unless it was itself refused (a pooler in statement mode): the failed statement's
      // transaction stays open for the caller's ROLLBACK TO SAVEPOINT or ROLLBACK, and its pid is asked before any commit.
      const refused = beginError(error, this.label);
      if (refused !== error) {
        this.#inTransaction = false;
        throw refused;
      }
      this.#uncheckedPid = checkPid;
      throw error;
    }
    await this.#checked(checkPid, Number(results[1]?.rows[0]?.pid));
    const own = results.slice(2);
    return own.length === 1 ? own[0]! : own;
  }

  /**
   * The deferred statements, in one message of their own (behind the lazy
   * BEGIN when it is still to be sent), before any other statement: what
   * follows, a catalog read above all, must see what they did.
   */
  async #sendDeferred(): Promise<void> {
    const deferred = this.#takeDeferred();
    if (deferred.length === 0) return;
    const text = deferred.join('; ');
    try {
      if (this.#pendingBegin !== undefined) await this.#sendWithBegin(text, this.#pendingBegin);
      else await this.#client.query(text);
    } catch (error) {
      this.#deferredFailed = true;
      throw error;
    }
  }

  #takeDeferred(): string[] {
    const deferred = this.#deferred;
    this.#deferred = [];
    return deferred;
  }

  /** The lazy BEGIN on its own: the next statement has parameters, or reads through a prepared statement. */
  async #sendPendingBegin(): Promise<void> {
    const checkPid = this.#pendingBegin;
    if (checkPid === undefined) return;
    this.#pendingBegin = undefined;
    this.#inTransaction = false;
    await this.#checked(checkPid, await this.begin());
  }

  /** The pid of a lazily begun transaction whose first statement failed, asked now that the transaction may commit. */
  async #checkPidBeforeCommit(): Promise<void> {
    const checkPid = this.#uncheckedPid;
    if (checkPid === undefined) return;
    this.#uncheckedPid = undefined;
    const [row] = (await this.#client.query('SELECT pg_backend_pid() AS pid')).rows as { pid: number }[];
    await this.#checked(checkPid, Number(row?.pid));
  }

  /** Runs the check; a refused session's transaction is rolled back before the check's error is thrown. */
  async #checked(checkPid: (pid: number) => void, pid: number): Promise<void> {
    try {
      checkPid(pid);
    } catch (error) {
      this.#inTransaction = false;
      await this.#client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  }

  /** Ends a lazily begun transaction that never sent its BEGIN: nothing to commit or roll back. */
  #endsUnsent(): boolean {
    if (this.#pendingBegin === undefined) return false;
    this.#pendingBegin = undefined;
    this.#inTransaction = false;
    return true;
  }

  /** `send` as is, or, with per-transaction statements and no transaction open, in a transaction of its own. */
  async #inOwnTransaction<T>(send: () => Promise<T>): Promise<T> {
    if (this.#perTransaction === undefined || this.#inTransaction) return send();
    await this.begin();
    let result: T;
    try {
      result = await send();
    } catch (error) {
      await this.rollback().catch(() => undefined);
      throw error;
    }
    await this.commit();
    return result;
  }

  #assertAlive(): void {
    if (this.#lost !== undefined) {
      throw new IdemError('CONNECTION', `lost the connection to ${this.label}: ${this.#lost.message}`, {
        cause: this.#lost, hint: 'the server ended the session (restart, failover or terminated backend); re-run',
      });
    }
  }
}

/**
 * A statement that fails unless the transaction runs in server session
 * `pid`, so that the statements after it in the same message, the COMMIT
 * among them, do not run: a failed statement ends a simple-protocol message.
 * The failure is a cast error (no PL/pgSQL needed) whose text carries the
 * session's real pid, for the caller's own check to word the refusal.
 * https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT
 */
function sessionCheck(pid: number): string {
  return `SELECT CASE WHEN pg_backend_pid() = ${Math.trunc(pid)} THEN 0 ELSE CAST('${SESSION_CHECK} ' || pg_backend_pid() AS int) END AS session_check`;
}

/**
 * Why a message that opened its transaction with sessionCheck failed: a
 * BEGIN a pooler refused, or a session the check refused (worded by
 * `checkPid`, which throws for it), or else the error itself.
 */
function refusedInMessage(error: unknown, checkPid: (pid: number) => void, label: string): unknown {
  const refused = beginError(error, label);
  if (refused !== error) return refused;
  const pid = SESSION_CHECK_FAILED.exec((error as Error)?.message ?? '')?.[1];
  if (pid === undefined) return error;
  try {
    checkPid(Number(pid));
  } catch (refusal) {
    return refusal;
  }
  return error;
}

const SESSION_CHECK = 'idem: the run lock is held by another server session; this one is pid';
const SESSION_CHECK_FAILED = new RegExp(`"${SESSION_CHECK} (\\d+)"`);

/**
 * One clear line per way a connection fails, with the URL's password masked.
 * Network errors come from Node (code ECONNREFUSED …), server refusals carry
 * a SQLSTATE: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
export function connectionError(error: unknown, label: string, secrets: readonly string[] = []): IdemError {
  const code = errorCode(error);
  const dbMessage = withoutPasswords(error instanceof Error ? error.message : String(error), secrets);
  // The cause is rebuilt from the message and code alone: a driver error may carry the URL it was given (TypeError.input).
  const cause = Object.assign(new Error(dbMessage), code === undefined ? {} : { code });
  const make = (message: string, hint: string): IdemError => new IdemError('CONNECTION', message, { cause, hint });
  // A refused login or a missing database is the configuration's to fix: retrying cannot help.
  const misconfigured = (message: string, hint: string): IdemError => new IdemError('CONFIG', message, { cause, hint });
  switch (code) {
    case 'ECONNREFUSED':
      return make(`cannot reach ${label}: connection refused — is the server up?`,
        'start the server, or check the host and port (a container may start before its database does: retry)');
    case 'ENOTFOUND': case 'EAI_AGAIN':
      return make(`cannot reach ${label}: the host name does not resolve`, 'check the host in the URL');
    case 'ETIMEDOUT': case 'EHOSTUNREACH': case 'ENETUNREACH':
      return make(`cannot reach ${label}: no route or no answer (${code})`, 'check the host, port and firewall');
    case 'ECONNRESET':
      return make(`cannot connect to ${label}: the server closed the connection`, 'check the server log; it may be starting, or refuse SSL/non-SSL');
    case '28P01':
      return misconfigured(`cannot log in to ${label}: ${dbMessage}`, 'check the user and password in the URL (percent-encode special characters)');
    case '28000':
      return misconfigured(`cannot log in to ${label}: ${dbMessage}`, 'check the user name, and that pg_hba.conf lets it connect from here');
    case '3D000':
      return misconfigured(`cannot connect to ${label}: ${dbMessage}`, 'create the database (createdb <name>) or fix its name in the URL');
    case '57P03':
      return make(`cannot connect to ${label}: the server is starting up or shutting down`, 're-run in a moment');
    case '53300':
      return make(`cannot connect to ${label}: too many connections`, 'close idle connections or raise max_connections');
    default:
      if (/timeout/i.test(dbMessage)) {
        return make(`cannot reach ${label}: no answer within ${CONNECT_TIMEOUT_MS / 1000}s`, 'check the host, port and firewall');
      }
      return make(`cannot connect to ${label}: ${dbMessage}`, 'check the URL and that the server accepts connections from here');
  }
}

/**
 * A pooler in statement mode (PgBouncer pool_mode = statement) ends the
 * connection at the first BEGIN: every statement may go to another server
 * session, so it allows no transaction, and idem needs one per migration.
 * https://www.pgbouncer.org/config.html#pool_mode
 */
function beginError(error: unknown, label: string): unknown {
  if (!/transaction blocks not allowed in statement pooling mode/i.test((error as Error)?.message ?? '')) return error;
  return new IdemError('CONFIG', `${label} goes through a pooler in statement pooling mode, which allows no transaction; idem runs each migration in one`, {
    cause: error, hint: 'point the URL at a pool in transaction or session mode (PgBouncer pool_mode = transaction), or at PostgreSQL itself',
  });
}

/** The SQLSTATE or Node error code; an AggregateError (IPv6 then IPv4 attempts) gives its first inner one. */
function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return undefined;
}
