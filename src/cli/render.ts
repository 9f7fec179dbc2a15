/**
 * Output: one line per operation marked applied / skipped / drift, a summary
 * per migration and per run; or, under --json, every event as one JSON
 * object per line. Events go to stdout; errors and warnings to stderr in
 * human mode (so `idem status` output stays pipeable).
 *
 * Human output is escaped here and nowhere else: a description, an `m.log`
 * text, a file or table name, a database's message may hold ESC or another
 * control character, which a terminal would obey (colours, a cleared screen,
 * a line overwritten by `\r`). Each is shown as `\x1b`; JSON escapes them
 * itself. And every line, human or JSON, has any URL in it masked
 * (src/secrets.ts), whatever text carries it: a config module's error, a
 * driver's message, a URL spelled with unencoded characters.
 */
import { describeCause, type IdemError } from '../errors.ts';
import type { IdemEvent } from '../runner/events.ts';
import { mayHoldSecret, maskUrlsIn } from '../secrets.ts';
import { writeStderr, writeStdout } from './stdout-batch.ts';

export interface Output {
  event(event: IdemEvent): void;
  error(error: IdemError): void;
  /** A free-form line for listings (status, history), one line each; JSON mode passes structured records instead. */
  line(text: string): void;
  record(record: Record<string, unknown>): void;
}

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

export function createOutput(options: OutputOptions): Output {
  if (options.json) {
    const stdout = options.stdout ?? writeStdout;
    const out = (value: unknown) => stdout(`${jsonLine(value)}\n`);
    return {
      event: (e) => out(e.event === 'op' ? withDetail(e) : e),
      error: (e) => out(errorEvent(e)),
      line: () => {},
      record: (r) => out(r),
    };
  }
  const stdout = options.stdout ?? writeStdout;
  const stderr = options.stderr ?? writeStderr;
  const out = (text: string) => stdout(forTerminal(text));
  const err = (text: string) => stderr(forTerminal(text));
  return {
    event(e) {
      const text = humanEvent(e, options.quiet);
      if (text === null) return;
      (e.event === 'warning' ? err : out)(`${text}\n`);
    },
    error: (e) => err(`${humanError(e)}\n`),
    // One line each: a line feed inside (a description in a listing) is shown, not obeyed.
    line: (t) => out(`${one(t)}\n`),
    record: () => {},
  };
}

export function errorEvent(e: IdemError): IdemEvent {
  const cause = describeCause(e.cause);
  return {
    event: 'error', code: e.code, message: e.message,
    ...(e.revision ? { revision: e.revision } : {}),
    ...(e.operation ? { op: e.operation.kind, target: e.operation.target } : {}),
    ...(e.sql ? { sql: e.sql } : {}),
    ...(cause ? { cause } : {}),
    ...(e.hint ? { hint: e.hint } : {}),
    ...(e.code === 'VALIDATION_FAILED' && Array.isArray(e.data?.problems) ? { problems: e.data.problems as Array<Record<string, unknown>> } : {}),
  };
}

/** Every op event carries `detail` (the JSON contract), null when the outcome says it all. */
function withDetail(e: Extract<IdemEvent, { event: 'op' }>): Record<string, unknown> {
  const { event, revision, direction, op, target, outcome, detail, ...rest } = e;
  return { event, revision, direction, op, target, outcome, detail: detail ?? null, ...rest };
}

const OUTCOME_WIDTH = 8;

function humanEvent(e: IdemEvent, quiet: boolean): string | null {
  switch (e.event) {
    case 'begin':
      if (e.planned) return quiet ? null : `${e.direction === 'up' ? '>' : '<'} ${e.revision} ${e.direction} (plan): ${one(e.description)} (${one(e.file)})`;
      return quiet ? null : `${e.direction === 'up' ? '>' : '<'} ${e.revision} ${e.direction}${e.reapply ? ' (reapply)' : ''}: ${one(e.description)} (${one(e.file)})${e.transaction ? '' : ' [no transaction: a failure leaves what ran; re-run converges]'}`;
    case 'op': {
      if (quiet && e.outcome !== 'drift') return null;
      const mark = e.planned ? PLANNED[e.outcome] : e.outcome;
      const line = `  ${mark.padEnd(e.planned ? PLANNED_WIDTH : OUTCOME_WIDTH)} ${e.op} ${one(e.target)}${e.detail ? `  (${one(e.detail)})` : ''}`;
      if (e.outcome !== 'drift' || !e.differences?.length) return line;
      return [line, ...e.differences.map((d) => `${e.planned ? '   ' : ''}             ${one(d.object)} ${d.field}: database has ${show(d.actual)}, migration declares ${show(d.declared)}`)].join('\n');
    }
    case 'migration':
      if (e.planned) return quiet ? null : `  ${e.revision} ${e.direction} (plan): ${plannedCounts(e)}`;
      return quiet ? null : `  ${e.revision} ${e.direction}${e.reapply ? ' (reapply)' : ''}: ${counts(e)} in ${e.ms} ms`;
    case 'summary':
      return quiet ? null : `  summary  ${one(e.table)}: ${e.exists ? `${e.columns.length} columns (${e.columns.map((c) => one(c.name)).join(', ')}), ${e.indexes.length} indexes, ${e.rows} rows` : 'does not exist'}`;
    case 'log':
      return quiet ? null : `  log      ${one(e.message)}`;
    case 'warning':
      return `warning: ${e.message}${e.hint ? `\n  hint: ${e.hint}` : ''}`;
    case 'stamp':
      return quiet ? null : `${e.action === 'recorded' ? 'stamped' : 'unstamped'} ${e.revision}: ${one(e.description)}`;
    case 'done':
      if (quiet) return null;
      if (e.planned) {
        return e.migrations === 0
          ? `plan: nothing to do; nothing was changed (${e.ms} ms)`
          : `plan: ${e.migrations} migration(s), ${plannedCounts(e)}; nothing was changed (${e.ms} ms)`;
      }
      return e.migrations === 0
        ? `${e.command}: nothing to do (${e.ms} ms)`
        : `${e.command}: ${e.migrations} migration(s), ${counts(e)} in ${e.ms} ms`;
    case 'error':
      return null;
    case 'fleet':
      return null; // the fleet listing prints one line per target and its own summary
  }
}

/** A plan predicts: its lines say what the run would do, never what it did. */
const PLANNED = { applied: 'would apply', skipped: 'would skip', drift: 'drift' } as const;
const PLANNED_WIDTH = 11;

function plannedCounts(c: { applied: number; skipped: number; drift: number }): string {
  return `${c.applied} would apply, ${c.skipped} would skip, ${c.drift} drift`;
}

function counts(c: { applied: number; skipped: number; drift: number }): string {
  return `${c.applied} applied, ${c.skipped} skipped, ${c.drift} drift`;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return `(${value.map((v) => one(String(v))).join(', ')})`;
  if (value === null || value === undefined) return 'none';
  return one(String(value));
}

/** One JSON line, every string in it with its URLs masked: serialized twice only when the first look finds a URL. */
function jsonLine(value: unknown): string {
  const line = JSON.stringify(value);
  return mayHoldSecret(line) ? JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? maskUrlsIn(v) : v)) : line;
}

/** Human text as it may reach a terminal: URLs masked, control characters escaped. */
export function forTerminal(text: string): string {
  return escapeControls(maskUrlsIn(text));
}

/** Every C0 control but the line feed idem writes itself, DEL, and the C1 controls (U+009B is CSI on some terminals). */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
const CONTROLS = new RegExp(CONTROL.source, 'g');

/** Control characters as `\xNN`, so the terminal shows them instead of obeying them. */
function escapeControls(text: string): string {
  if (!CONTROL.test(text)) return text;
  return text.replace(CONTROLS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** A value shown inside one line (a description, a name, a logged text): its own line feeds escaped too. */
function one(text: string): string {
  return text.includes('\n') ? text.replaceAll('\n', '\\n') : text;
}

export function humanError(e: IdemError): string {
  const where = [e.revision, e.operation ? `${e.operation.kind} ${e.operation.target}` : undefined].filter(Boolean).join(' > ');
  const lines = [`error: ${where && !e.message.startsWith(e.operation?.kind ?? '\u0000') ? `${where}: ` : e.revision ? `${e.revision} > ` : ''}${e.message}`];
  if (e.sql) lines.push(`  sql:   ${e.sql.replace(/\s+/g, ' ').trim()}`);
  const cause = describeCause(e.cause);
  // The database's own words, unless the message already quotes them.
  const causeText = e.cause instanceof Error ? e.cause.message : cause;
  if (cause && !(causeText && e.message.includes(maskUrlsIn(causeText)))) lines.push(`  cause: ${cause}`);
  if (e.hint) lines.push(`  hint:  ${e.hint}`);
  if (e.code === 'INTERNAL') lines.push('  this is a bug in idem: please report it with the command you ran and this output');
  return lines.join('\n');
}
