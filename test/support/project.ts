/**
 * A throwaway idem project for one test: a temp folder with a migrations
 * directory, a fresh database on the engine under test, the built CLI run as
 * a child process (as users run it), the API called in-process, and a
 * fingerprint of schema and data to prove "nothing changed".
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConnectionUrl } from '../../src/dialect/connection-url.ts';
import { openSession } from '../../src/dialect/connect.ts';
import type { DialectSession } from '../../src/dialect/dialect.ts';
import { IDEM_TABLES } from '../../src/runner/idem-tables.ts';
import { VERSION_TABLE } from '../../src/runner/version-table.ts';
import type { IdemEvent } from '../../src/runner/events.ts';
import type { Engine, TestDatabase } from '../engines.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = join(root, 'dist/cli/bin.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Parsed stdout lines when run with --json. */
  events: Array<IdemEvent & Record<string, unknown>>;
}

export interface MigrationSource {
  revision: string;
  revises?: string | string[] | null;
  description?: string;
  up: string;
  down?: string;
  /** File name; default `<revision>.ts`. Names sort in file order. */
  file?: string;
}

export class TestProject {
  readonly dir: string;
  readonly migrations: string;
  readonly db: TestDatabase;
  readonly engine: Engine;
  #counter = 0;

  private constructor(engine: Engine, dir: string, db: TestDatabase) {
    this.engine = engine;
    this.dir = dir;
    this.migrations = join(dir, 'migrations');
    this.db = db;
  }

  static async create(engine: Engine): Promise<TestProject> {
    const dir = await mkdtemp(join(tmpdir(), 'idem-project-'));
    await mkdir(join(dir, 'migrations'));
    return new TestProject(engine, dir, await engine.createDatabase());
  }

  get url(): string {
    return this.db.url;
  }

  /** Writes a migration module; files are numbered so listings keep the order they were written in. */
  async write(m: MigrationSource): Promise<string> {
    this.#counter++;
    const file = m.file ?? `${String(this.#counter).padStart(4, '0')}_${m.revision}.ts`;
    await writeFile(join(this.migrations, file), migrationSource(m));
    return file;
  }

  async writeRaw(file: string, text: string): Promise<void> {
    await writeFile(join(this.migrations, file), text);
  }

  /** Runs the built CLI in the project folder with this database. */
  cli(args: string[], options: { env?: Record<string, string>; url?: boolean } = {}): Promise<CliResult> {
    const fullArgs = options.url === false ? args : ['--url', this.url, ...args];
    return runCli(fullArgs, this.dir, options.env);
  }

  /** A session on the test database, for assertions (closed by the caller). */
  async session(): Promise<DialectSession> {
    return openSession(parseConnectionUrl(this.url), IDEM_TABLES);
  }

  async query<Row = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<Row[]> {
    const session = await this.session();
    try {
      return await session.driver.query<Row>(session.bindPlaceholders(sql), params);
    } finally {
      await session.close();
    }
  }

  async exec(sql: string, params: unknown[] = []): Promise<void> {
    const session = await this.session();
    try {
      await session.driver.execute(session.bindPlaceholders(sql), params);
    } finally {
      await session.close();
    }
  }

  /** Schema (tables, columns, keys, indexes) and data (rows per table), stable across runs. */
  async fingerprint(options: { includeVersionTable?: boolean } = {}): Promise<string> {
    const session = await this.session();
    try {
      const { tables } = await session.catalog.readAll();
      const out: Record<string, unknown> = {};
      for (const name of [...tables.keys()].sort()) {
        const t = tables.get(name)!;
        const rows = await session.driver.query(`SELECT * FROM ${session.quoteIdentifier(name)}`);
        out[name] = {
          columns: t.columns.map((c) => [c.name, c.type.raw, c.nullable, c.default, c.autoIncrement]),
          primaryKey: t.primaryKey,
          indexes: t.indexes.map((i) => [i.name, i.columns, i.unique, i.origin]).sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
          foreignKeys: t.foreignKeys.map((f) => [f.name, f.columns, f.refTable, f.refColumns, f.onDelete, f.onUpdate]),
          rows: rows.map((r) => JSON.stringify(r)).sort(),
        };
      }
      if (options.includeVersionTable) {
        out[VERSION_TABLE] = (await session.driver.query(`SELECT revision FROM ${session.quoteIdentifier(VERSION_TABLE)} ORDER BY revision`).catch(() => []))
          .map((r) => r.revision);
      }
      return JSON.stringify(out, null, 1);
    } finally {
      await session.close();
    }
  }

  async recorded(): Promise<string[]> {
    const rows = await this.query<{ revision: string }>(`SELECT revision FROM ${VERSION_TABLE} ORDER BY revision`).catch((e: Error) => {
      if (/no such table|does not exist|doesn't exist/i.test(e.message)) return [];
      throw e;
    });
    return rows.map((r) => r.revision);
  }

  async dispose(): Promise<void> {
    await this.db.drop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

export function migrationSource(m: MigrationSource): string {
  const revises = m.revises === undefined || m.revises === null ? 'null'
    : Array.isArray(m.revises) ? `[${m.revises.map((r) => `'${r}'`).join(', ')}]` : `'${m.revises}'`;
  return `import type { MigrationContext } from 'idem';

export const revision = '${m.revision}';
export const revises: string | string[] | null = ${revises};
export const description = ${JSON.stringify(m.description ?? m.revision)};

export async function up(m: MigrationContext): Promise<void> {
${indent(m.up)}
}
${m.down === undefined ? '' : `
export async function down(m: MigrationContext): Promise<void> {
${indent(m.down)}
}
`}`;
}

function indent(body: string): string {
  return body.trim().split('\n').map((l) => `  ${l.trim()}`).join('\n');
}

/** Runs the CLI (the built one, or `bin`: e.g. a copy installed elsewhere) as a child process. */
export function runCli(args: string[], cwd: string, env: Record<string, string> = {}, bin: string = CLI): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd, env: { ...process.env, DATABASE_URL: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      const events = args.includes('--json')
        ? stdout.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as IdemEvent & Record<string, unknown>)
        : [];
      resolvePromise({ code, stdout, stderr, events });
    });
  });
}

/** The op events of a JSON run, as `outcome kind target` lines: easy to assert and to read on failure. */
export function opLines(result: CliResult): string[] {
  return result.events.filter((e) => e.event === 'op').map((e) => `${e.outcome} ${e.op} ${e.target}`);
}

export function outcomes(result: CliResult): string[] {
  return result.events.filter((e) => e.event === 'op').map((e) => String(e.outcome));
}
