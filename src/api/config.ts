/**
 * Where the database and the migrations are: `url` from the option, else
 * DATABASE_URL, else a config file (idem.config.ts|js|json in the working
 * directory), else an embedded SQLite file there. The same for the CLI and
 * for `await up()` at application start.
 */
// Synchronous reads: node:fs/promises (and what it loads) costs a start-up more than the one read it would serve.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeThrown, IdemError } from '../errors.ts';
import { maskUrlsIn } from '../secrets.ts';
import type { EventSink } from '../runner/events.ts';

export interface IdemOptions {
  /** Connection URL: sqlite:<path>, postgres://…, mysql://…, mariadb://… */
  url?: string;
  /** The migrations folder; default ./migrations. */
  dir?: string;
  /** Where relative paths and the config file are looked up; default process.cwd(). */
  cwd?: string;
  /** Drift, a database ahead of the code and edited migrations are errors. */
  strict?: boolean;
  /** How long to wait for another runner's lock; default 60 s. */
  lockTimeoutMs?: number;
  /**
   * Seconds a run lock lease lasts without a heartbeat, where the lock is a
   * lease (MariaDB Galera); default 15. A killed runner's lease lapses
   * within twice this.
   */
  lockLease?: number;
  /** Seconds to keep retrying while the database cannot be reached (it may still be starting); default 0. */
  wait?: number;
  /**
   * Stops the run before its next operation: the current migration rolls
   * back where the engine can, the lock is released, and the call rejects
   * with an INTERRUPTED IdemError. The CLI aborts it on SIGINT/SIGTERM.
   */
  signal?: AbortSignal;
  /** Receives every event of the run (the same facts `--json` prints). */
  onEvent?: EventSink;
  /** Environment to read DATABASE_URL from; default process.env. */
  env?: Record<string, string | undefined>;
}

export interface ResolvedConfig {
  url: string;
  /** Where the URL came from, for messages. */
  urlSource: 'option' | 'DATABASE_URL' | 'config file' | 'default';
  dir: string;
  cwd: string;
  strict: boolean;
  lockTimeoutMs: number;
  lockLeaseMs: number;
  waitMs: number;
  emit: EventSink;
  signal: AbortSignal | undefined;
}

export const CONFIG_FILES = ['idem.config.ts', 'idem.config.js', 'idem.config.mjs', 'idem.config.json'] as const;
export const DEFAULT_DATABASE_FILE = 'idem.db';

interface ConfigFile {
  url?: string;
  dir?: string;
  strict?: boolean;
}

export async function resolveConfig(options: IdemOptions = {}): Promise<ResolvedConfig> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const env = options.env ?? process.env;
  const file = await readConfigFile(cwd);
  let url: string;
  let urlSource: ResolvedConfig['urlSource'];
  if (options.url) [url, urlSource] = [options.url, 'option'];
  else if (env.DATABASE_URL) [url, urlSource] = [env.DATABASE_URL, 'DATABASE_URL'];
  else if (file?.url) [url, urlSource] = [file.url, 'config file'];
  else [url, urlSource] = [`sqlite:${join(cwd, DEFAULT_DATABASE_FILE)}`, 'default'];
  return {
    url,
    urlSource,
    dir: resolve(cwd, options.dir ?? file?.dir ?? 'migrations'),
    cwd,
    strict: options.strict ?? file?.strict ?? false,
    lockTimeoutMs: options.lockTimeoutMs ?? 60_000,
    lockLeaseMs: lockLeaseMs(options.lockLease),
    waitMs: Math.max(0, (options.wait ?? 0) * 1000),
    emit: options.onEvent ?? (() => {}),
    signal: options.signal,
  };
}

/** The lease in milliseconds: whole seconds or fractions, at least 1 s so a heartbeat (a third of it) has time to land. */
function lockLeaseMs(seconds: number | undefined): number {
  if (seconds === undefined) return 15_000;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 1) {
    throw new IdemError('USAGE', `lockLease must be a number of seconds, at least 1 (got ${String(seconds)})`, {
      hint: 'e.g. lockLease: 15 (the default); a killed runner\'s lease lapses within twice that',
    });
  }
  return Math.round(seconds * 1000);
}

async function readConfigFile(cwd: string): Promise<ConfigFile | undefined> {
  const name = CONFIG_FILES.find((f) => existsSync(join(cwd, f)));
  if (!name) return undefined;
  const path = join(cwd, name);
  let value: unknown;
  try {
    if (name.endsWith('.json')) {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } else {
      const module = await import(pathToFileURL(path).href) as { default?: unknown };
      value = module.default;
    }
  } catch (error) {
    // Its text may quote the URL it was about to export: shown masked, as every URL is.
    throw new IdemError('CONFIG', `cannot load the config file ${name}: ${maskUrlsIn(describeThrown(error))}`, {
      cause: error, hint: `fix ${name} (it must ${name.endsWith('.json') ? 'be valid JSON' : 'export default { url, dir }'}), or remove it`,
    });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new IdemError('CONFIG', `the config file ${name} does not ${name.endsWith('.json') ? 'hold an object' : 'export default an object'}`, {
      hint: 'write it as { "url": "sqlite:./app.db", "dir": "migrations" }',
    });
  }
  const config = value as Record<string, unknown>;
  for (const key of ['url', 'dir'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'string') {
      throw new IdemError('CONFIG', `the config file ${name}: "${key}" must be a string`, { hint: `set "${key}" to a string or remove it` });
    }
  }
  if (config.strict !== undefined && typeof config.strict !== 'boolean') {
    throw new IdemError('CONFIG', `the config file ${name}: "strict" must be true or false`, { hint: 'set "strict" to a boolean or remove it' });
  }
  return config as ConfigFile;
}
