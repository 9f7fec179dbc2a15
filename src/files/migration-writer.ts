/**
 * Writes a new migration file (`idem new`). The header it writes is exactly
 * the plain form readStaticHeader understands, so new migrations never need
 * importing just to build the graph.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IdemError } from '../errors.ts';
import { isMigrationFileName } from './migration-files.ts';
import { isRevisionId } from './migration-loader.ts';

export interface WriteMigrationOptions {
  description: string;
  /** Parent revisions: [] for the first migration, two or more for a merge. */
  revises: string[];
  /** Timestamp for the file name, taken as given; defaults to now (or just past the newest existing name). */
  now?: Date;
  /** Defaults to 12 random hex characters. */
  revision?: string;
  /** Defaults to 'ts', or 'js' when the directory already holds only JavaScript migrations. */
  language?: 'ts' | 'js';
}

const SLUG_MAX = 40;

export async function writeMigration(dir: string, options: WriteMigrationOptions): Promise<{ path: string; revision: string }> {
  const description = options.description.trim();
  if (description === '') {
    throw new IdemError('USAGE', 'a migration needs a description', {
      hint: 'say what it does, e.g. `idem new "add groups and user_groups"`',
    });
  }
  const revision = options.revision ?? randomBytes(6).toString('hex');
  if (!isRevisionId(revision)) {
    throw new IdemError('USAGE', `${JSON.stringify(revision)} is not a revision id`, {
      hint: 'use letters, digits, `_` and `-` only, or leave the revision out to get a random one',
    });
  }
  for (const parent of options.revises) {
    if (!isRevisionId(parent)) {
      throw new IdemError('USAGE', `${JSON.stringify(parent)} is not a revision id`, {
        hint: 'name parent revisions as `idem heads` prints them',
      });
    }
  }

  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const existing = (await readdir(root)).filter(isMigrationFileName);
  const ext = chooseExtension(existing, options.language);
  const text = renderMigration({ revision, revises: options.revises, description, js: ext === '.js' || ext === '.mjs' });

  const stem = `${timestamp(options.now ?? after(new Date(), existing))}_${slugify(description)}`;
  // Two migrations with one name but different extensions would be confusing, so any extension counts as taken.
  const taken = new Set(existing.map(withoutExtension));
  for (let n = 1; ; n++) {
    const name = n === 1 ? stem : `${stem}_${n}`;
    if (taken.has(name)) continue;
    const path = join(root, name + ext);
    try {
      // 'wx': never overwrite, even if another `idem new` created the same name since the listing.
      await writeFile(path, text, { encoding: 'utf8', flag: 'wx' });
      return { path, revision };
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * The language follows the directory: a JavaScript project's migrations stay
 * JavaScript, and the extension follows the newest existing file of that
 * language. A first JavaScript migration is `.mjs` because the template uses
 * `export`, which `.mjs` runs as ESM whatever package.json's "type" says.
 */
function chooseExtension(existing: string[], language: 'ts' | 'js' | undefined): string {
  const isJs = (name: string): boolean => name.endsWith('.js') || name.endsWith('.mjs');
  const lang = language ?? (existing.length > 0 && existing.every(isJs) ? 'js' : 'ts');
  const sameLanguage = existing.filter((name) => (lang === 'js') === isJs(name)).sort();
  const newest = sameLanguage[sameLanguage.length - 1];
  if (newest !== undefined) return newest.slice(newest.lastIndexOf('.'));
  return lang === 'js' ? '.mjs' : '.ts';
}

function withoutExtension(name: string): string {
  return name.slice(0, name.lastIndexOf('.'));
}

/**
 * `now`, or one second past the newest timestamped name when that is not
 * older: two `idem new` in one second (or a colleague's clock ahead of ours)
 * must still list in the order they were written, since the slug decides ties.
 */
function after(now: Date, existing: string[]): Date {
  const newest = existing.map((name) => /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})_/.exec(name)).filter((m) => m !== null)
    .map((m) => Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])))
    .reduce((a, b) => Math.max(a, b), -Infinity);
  return Math.floor(now.getTime() / 1000) * 1000 <= newest ? new Date(newest + 1000) : now;
}

/** UTC so that two developers in different time zones still produce names that sort in creation order. */
function timestamp(date: Date): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    pad(date.getUTCFullYear(), 4) + pad(date.getUTCMonth() + 1) + pad(date.getUTCDate()) +
    pad(date.getUTCHours()) + pad(date.getUTCMinutes()) + pad(date.getUTCSeconds())
  );
}

function slugify(description: string): string {
  const slug = description.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return slug.slice(0, SLUG_MAX).replace(/_+$/, '') || 'migration';
}

interface Template {
  revision: string;
  revises: string[];
  description: string;
  js: boolean;
}

function renderMigration(t: Template): string {
  const revises =
    t.revises.length === 0 ? 'null' : t.revises.length === 1 ? quote(t.revises[0]!) : `[${t.revises.map(quote).join(', ')}]`;
  const body = t.revises.length >= 2 ? '  // A merge joins branches of the history; it usually needs no operations of its own.\n' : '';
  if (t.js) {
    return (
      `export const revision = ${quote(t.revision)};\n` +
      `export const revises = ${revises};\n` +
      `export const description = ${quote(t.description)};\n` +
      `\n` +
      `/** @param {import('idem').MigrationContext} m */\n` +
      `export async function up(m) {\n${body}}\n` +
      `\n` +
      `/** @param {import('idem').MigrationContext} m */\n` +
      `export async function down(m) {\n${body}}\n`
    );
  }
  return (
    `import type { MigrationContext } from 'idem';\n` +
    `\n` +
    `export const revision = ${quote(t.revision)};\n` +
    `export const revises: string | string[] | null = ${revises};\n` +
    `export const description = ${quote(t.description)};\n` +
    `\n` +
    `export async function up(m: MigrationContext): Promise<void> {\n${body}}\n` +
    `\n` +
    `export async function down(m: MigrationContext): Promise<void> {\n${body}}\n`
  );
}

/** A single-quoted JavaScript string literal whose value is exactly `value`. */
function quote(value: string): string {
  let out = "'";
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === "'" || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    // Other control characters and the two line separators would be invisible or break the line.
    else if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + "'";
}
