/**
 * Assertions shared by the CLI suites: an error as a person sees it (stderr,
 * `error:` and `hint:` lines, no stack trace) and as a machine sees it (the
 * last `--json` line is `{"event":"error","code":…}`), with one exit code for both.
 */
import assert from 'node:assert/strict';
import type { CliResult, TestProject } from './project.ts';

/** A V8 stack frame (`    at fn (file:1:2)`) or a Node internal. */
const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>\)?)$|node:internal\//m;

export function assertNoStack(r: CliResult): void {
  assert.doesNotMatch(r.stderr, STACK, `stack trace in stderr:\n${r.stderr}`);
  assert.doesNotMatch(r.stdout, STACK, `stack trace in stdout:\n${r.stdout}`);
}

/** Everything a run printed, for messages on failure. */
export function show(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

export interface ExpectedError {
  exit: number;
  code: string;
  /** Every pattern must match the message (human: stderr; JSON: the error event's message). */
  message: RegExp | RegExp[];
  hint: RegExp;
}

/**
 * Runs `args` twice, as typed and with --json, and checks both report the
 * same error. `run` gets the full argument list; by default the project's CLI
 * with its --url.
 */
export async function assertFails(
  p: TestProject | ((args: string[]) => Promise<CliResult>),
  args: string[],
  expected: ExpectedError,
): Promise<{ human: CliResult; json: CliResult }> {
  const run = typeof p === 'function' ? p : (a: string[]) => p.cli(a);
  const messages = Array.isArray(expected.message) ? expected.message : [expected.message];

  const human = await run(args);
  assert.equal(human.code, expected.exit, show(human));
  const errorAt = human.stderr.indexOf('error: ');
  assert.ok(errorAt >= 0, `no "error:" line:\n${show(human)}`);
  const errorText = human.stderr.slice(errorAt);
  for (const m of messages) assert.match(errorText, m, show(human));
  const hint = /^ {2}hint: +(.+)$/m.exec(errorText);
  assert.ok(hint, `no hint line:\n${show(human)}`);
  assert.match(hint[1]!, expected.hint);
  assertNoStack(human);

  const json = await run(['--json', ...args]);
  assert.equal(json.code, expected.exit, show(json));
  assert.equal(json.stderr, '', 'under --json everything goes to stdout as JSON');
  const error = json.events.at(-1)!;
  assert.equal(error.event, 'error', show(json));
  assert.equal(error.code, expected.code, show(json));
  for (const m of messages) assert.match(String(error.message), m);
  assert.match(String(error.hint), expected.hint);
  assert.equal(json.events.filter((e) => e.event === 'error').length, 1, 'one error event');
  assertNoStack(json);
  return { human, json };
}
