/**
 * Nothing a migration or a database says drives the terminal: a description,
 * a file name, a table name, an `m.log` text and a thrown message, each with
 * ESC sequences (colour, clear screen, window title), a carriage return, a
 * bell and a line feed, are shown escaped (`\x1b`, `\r`-as-`\x0d`, `\n`) in
 * every command's human output, and kept exact under --json, which escapes
 * them itself.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { TestProject, type CliResult } from '../support/project.ts';

const ESC = '\u001b';
const DESCRIPTION = `red ${ESC}[31mALERT${ESC}[0m\rOVER\u0007\nforged line`;
const FILE = `0001_${ESC}[2Jwipe.ts`;
const TABLE = `t${ESC}[31mred`;
const LOG = `log ${ESC}]0;owned\u0007 done\u009b2J`;
const THROWN = `boom ${ESC}[2J\rcleared`;

/** A control character a terminal would act on: every C0 but the line feed, DEL, C1. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function assertEscaped(r: CliResult, what: string): void {
  const all = r.stdout + r.stderr;
  const at = RAW_CONTROL.exec(all);
  assert.equal(at, null, `${what}: a raw control character (U+${at?.[0].charCodeAt(0).toString(16).padStart(4, '0')}) reached the terminal\n${JSON.stringify(all)}`);
  assert.doesNotMatch(all, /^forged line/m, `${what}: a line feed in a description started a line of its own\n${show(r)}`);
}

for (const engine of engines) {
  describe(`${engine.name}: control characters in human output`, () => {
    test(`${engine.name}: descriptions, file names, table names, m.log and errors are escaped; --json keeps them exact`, async () => {
      const p = await TestProject.create(engine);
      try {
        await p.write({
          revision: 'r1', file: FILE, description: DESCRIPTION,
          up: `await m.createTable(${JSON.stringify(TABLE)}, { id: { type: 'integer', primaryKey: true } });\nm.log(${JSON.stringify(LOG)});`,
          down: `await m.dropTable(${JSON.stringify(TABLE)});`,
        });

        const plan = await p.cli(['plan']);
        assert.equal(plan.code, 0, show(plan));
        assertEscaped(plan, 'plan');
        assert.ok(plan.stdout.includes('\\x1b[31mALERT\\x1b[0m\\x0dOVER\\x07\\nforged line'), `the description, escaped\n${show(plan)}`);
        assert.ok(plan.stdout.includes('0001_\\x1b[2Jwipe.ts'), `the file name, escaped\n${show(plan)}`);
        assert.ok(plan.stdout.includes('t\\x1b[31mred'), `the table name, escaped\n${show(plan)}`);

        const up = await p.cli(['up']);
        assert.equal(up.code, 0, show(up));
        assertEscaped(up, 'up');
        assert.ok(up.stdout.includes('log \\x1b]0;owned\\x07 done\\x9b2J'), `the m.log text, escaped\n${show(up)}`);

        for (const command of [['status'], ['history'], ['heads'], ['doctor'], ['plan', '--down', 'base']]) {
          const r = await p.cli(command);
          assert.equal(r.code, 0, show(r));
          assertEscaped(r, command.join(' '));
        }

        const json = await p.cli(['--json', 'down', 'base']);
        assert.equal(json.code, 0, show(json));
        assert.doesNotMatch(json.stdout, RAW_CONTROL, 'JSON escapes control characters itself');
        const begin = json.events.find((e) => e.event === 'begin');
        assert.equal(begin?.description, DESCRIPTION, 'JSON carries the description exactly');
        assert.equal(begin?.file, FILE);
        assert.ok(json.events.some((e) => e.event === 'op' && e.target === TABLE), show(json));

        await p.write({ revision: 'r2', revises: 'r1', file: '0002_r2.ts', up: `throw new Error(${JSON.stringify(THROWN)});` });
        const failed = await p.cli(['up']);
        assert.notEqual(failed.code, 0, show(failed));
        assertEscaped(failed, 'a migration that throws');
        assert.ok(failed.stderr.includes('boom \\x1b[2J\\x0dcleared'), `the thrown message, escaped\n${show(failed)}`);
      } finally {
        await p.dispose();
      }
    });
  });
}
