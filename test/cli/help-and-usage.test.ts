/**
 * `--help` for idem and every command exits 0 and prints usage on stdout;
 * a usage mistake (unknown command or option, missing argument) exits 2 with
 * commander's message on stderr, or one error event under --json.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { assertNoStack, show } from '../support/cli-checks.ts';
import { runCli } from '../support/project.ts';

const COMMANDS: Array<[string, RegExp]> = [
  ['new', /^Usage: idem new \[options\] <description>$/m],
  ['up', /^Usage: idem up \[options\] \[target\]$/m],
  ['down', /^Usage: idem down \[options\] <target>$/m],
  ['status', /^Usage: idem status \[options\]$/m],
  ['history', /^Usage: idem history \[options\]$/m],
  ['heads', /^Usage: idem heads \[options\]$/m],
  ['stamp', /^Usage: idem stamp \[options\] <revision>$/m],
  ['merge', /^Usage: idem merge \[options\] <revisions\.\.\.>$/m],
];

describe('cli: help and usage', () => {
  let cwd: string;
  before(async () => { cwd = await mkdtemp(join(tmpdir(), 'idem-help-')); });
  after(() => rm(cwd, { recursive: true, force: true }));

  test('idem --help lists every command and the global options, exit 0', async () => {
    const r = await runCli(['--help'], cwd);
    assert.equal(r.code, EXIT.ok, show(r));
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^Usage: idem \[options\] \[command\]$/m);
    for (const [name] of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${name}\\b`, 'm'), `${name} listed`);
    for (const option of ['--url <url>', '--dir <folder>', '--json', '--strict', '--quiet']) assert.ok(r.stdout.includes(option), option);
  });

  for (const [name, usage] of COMMANDS) {
    test(`idem ${name} --help prints its usage, exit 0`, async () => {
      const r = await runCli([name, '--help'], cwd);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.equal(r.stderr, '');
      assert.match(r.stdout, usage);
      const viaHelp = await runCli(['help', name], cwd);
      assert.equal(viaHelp.code, EXIT.ok);
      assert.equal(viaHelp.stdout, r.stdout);
    });
  }

  test('--help changes nothing: no database file, no migrations folder', async () => {
    const r = await runCli(['up', '--help'], cwd);
    assert.equal(r.code, EXIT.ok);
    const { readdir } = await import('node:fs/promises');
    assert.deepEqual(await readdir(cwd), []);
  });

  test('--version prints the version, exit 0', async () => {
    const r = await runCli(['--version'], cwd);
    assert.equal(r.code, EXIT.ok);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  const mistakes: Array<[string, string[], RegExp]> = [
    ['an unknown command', ['bogus'], /unknown command 'bogus'/],
    ['an unknown global option', ['--bogus', 'status'], /unknown option '--bogus'/],
    ['an unknown command option', ['up', '--bogus'], /unknown option '--bogus'/],
    ['a missing argument', ['down'], /missing required argument 'target'/],
    ['too many arguments', ['up', 'a', 'b'], /too many arguments for 'up'/],
    ['merge without -m', ['merge', 'a', 'b'], /required option '-m, --message <description>' not specified/],
    ['no command at all', [], /Usage: idem/],
  ];
  for (const [what, args, message] of mistakes) {
    test(`${what} exits 2 with the mistake on stderr`, async () => {
      const r = await runCli(args, cwd);
      assert.equal(r.code, EXIT.usage, show(r));
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
      assertNoStack(r);
    });
  }

  test('under --json a usage mistake is one error event with code USAGE, exit 2', async () => {
    for (const args of [['bogus'], ['up', '--bogus'], ['down'], []]) {
      const r = await runCli(['--json', ...args], cwd);
      assert.equal(r.code, EXIT.usage, show(r));
      assert.equal(r.stderr, '');
      assert.equal(r.events.length, 1, r.stdout);
      assert.equal(r.events[0]!.event, 'error');
      assert.equal(r.events[0]!.code, 'USAGE');
      assert.match(String(r.events[0]!.hint), /idem --help/);
    }
    const unknown = await runCli(['--json', 'bogus'], cwd);
    assert.equal(unknown.events[0]!.message, "unknown command 'bogus'");
  });

  test('a bad --lock-timeout is a usage error naming the value', async () => {
    const r = await runCli(['--lock-timeout', 'soon', 'status'], cwd);
    assert.equal(r.code, EXIT.usage, show(r));
    assert.match(r.stderr, /^error: --lock-timeout must be a number of seconds \(got soon\)$/m);
    assert.match(r.stderr, /hint: +e\.g\. --lock-timeout 120/);
  });
});
