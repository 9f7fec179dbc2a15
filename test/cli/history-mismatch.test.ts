/**
 * When the database and the files disagree: a database ahead of the code (a
 * rolled-back image starting) is left alone with a warning and exit 0, an
 * error under --strict; unknown revisions with work pending are an error
 * naming them; an applied migration edited since is reported (exit 3 under
 * --strict), while line endings and trailing whitespace are not edits.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertFails, assertNoStack, show } from '../support/cli-checks.ts';
import { TestProject } from '../support/project.ts';

const table = (name: string) => `await m.createTable('${name}', { id: { type: 'integer', primaryKey: true } });`;

for (const engine of engines) {
  describe(`${engine.name}: database ahead of the code`, () => {
    let p: TestProject;
    let bFile: string;
    let ahead: string;
    before(async () => {
      p = await TestProject.create(engine);
      await p.write({ revision: 'a', up: table('t_a') });
      bFile = await p.write({ revision: 'b', revises: 'a', up: table('t_b') });
      const up = await p.cli(['up']);
      assert.equal(up.code, EXIT.ok, show(up));
      // The older image: it never had b's file.
      await rm(join(p.migrations, bFile));
      ahead = await p.fingerprint({ includeVersionTable: true });
    });
    after(() => p.dispose());

    test(`${engine.name}: up warns naming b and the stale image, changes nothing, exits 0`, async () => {
      const human = await p.cli(['up']);
      assert.equal(human.code, EXIT.ok, show(human));
      assert.match(human.stderr, /^warning: the database has revision\(s\) this code does not know: b; .*nothing was changed$/m);
      assert.match(human.stderr, /hint: .*older build.*image/);
      assert.match(human.stdout, /^up: nothing to do/m);
      assertNoStack(human);

      const json = await p.cli(['--json', 'up']);
      assert.equal(json.code, EXIT.ok, show(json));
      assert.deepEqual(json.events.map((e) => [e.event, e.code]), [['warning', 'DB_AHEAD'], ['done', undefined]]);
      assert.match(String(json.events[0]!.message), /\bb\b/);
      assert.equal(json.events[1]!.migrations, 0);
      assert.equal(await p.fingerprint({ includeVersionTable: true }), ahead);
    });

    test(`${engine.name}: the warning is not hidden by --quiet`, async () => {
      const r = await p.cli(['--quiet', 'up']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^warning: .*does not know: b/m);
    });

    test(`${engine.name}: up --strict exits 4 and changes nothing`, async () => {
      await assertFails(p, ['up', '--strict'], {
        exit: EXIT.history, code: 'DB_AHEAD', message: /the database has revision\(s\) no migration file defines: b/, hint: /without cache/,
      });
      assert.equal(await p.fingerprint({ includeVersionTable: true }), ahead);
    });

    test(`${engine.name}: status and history report b as unknown`, async () => {
      const human = await p.cli(['status']);
      assert.equal(human.code, EXIT.ok, show(human));
      assert.match(human.stdout, /^unknown: +b — in the database, not in \S+: a stale build\? rebuild the image without cache$/m);
      const json = await p.cli(['--json', 'status']);
      assert.deepEqual(json.events[0]!.unknown, ['b']);
      const history = await p.cli(['--json', 'history']);
      assert.deepEqual(history.events.map((e) => [e.revision, e.unknown ?? false]), [['a', false], ['b', true]]);
    });

    test(`${engine.name}: down refuses while the database holds revisions the code cannot revert`, async () => {
      await assertFails(p, ['down', 'base'], {
        exit: EXIT.history, code: 'DB_UNKNOWN_REVISION', message: /no migration file defines: b/, hint: /restore their files/,
      });
      assert.equal(await p.fingerprint({ includeVersionTable: true }), ahead);
    });

    test(`${engine.name}: an unknown revision with work pending is an error naming it`, async () => {
      const other = await TestProject.create(engine);
      try {
        await other.write({ revision: 'a', up: table('t_a') });
        await other.write({ revision: 'x', revises: 'a', up: table('t_x') });
        assert.equal((await other.cli(['up'])).code, EXIT.ok);
        // This build never had x, but brings y.
        await rm(join(other.migrations, '0002_x.ts'));
        await other.write({ revision: 'y', revises: 'a', up: table('t_y') });
        await assertFails(other, ['up'], {
          exit: EXIT.history, code: 'DB_UNKNOWN_REVISION',
          message: /the database has revision\(s\) no migration file defines: x/,
          hint: /rebuild it without cache/,
        });
        assert.deepEqual(await other.recorded(), ['a', 'x']);
        assert.equal('t_y' in JSON.parse(await other.fingerprint()), false, 'y did not run');
        const status = await other.cli(['--json', 'status']);
        assert.deepEqual([status.events[0]!.unknown, status.events[0]!.pending], [['x'], ['y']]);
      } finally {
        await other.dispose();
      }
    });
  });

  describe(`${engine.name}: edited migrations`, () => {
    let p: TestProject;
    let file: string;
    let original: string;
    before(async () => {
      p = await TestProject.create(engine);
      file = await p.write({ revision: 'e1', up: table('t_e') });
      original = await readFile(join(p.migrations, file), 'utf8');
      assert.equal((await p.cli(['up'])).code, EXIT.ok);
    });
    after(() => p.dispose());

    const edit = (text: string) => writeFile(join(p.migrations, file), text);
    const clean = async (): Promise<void> => {
      for (const args of [['up'], ['up', '--strict']]) {
        const r = await p.cli(['--json', ...args]);
        assert.equal(r.code, EXIT.ok, show(r));
        assert.deepEqual(r.events.map((e) => e.event), ['done'], `${args.join(' ')}: no warning`);
      }
      const status = await p.cli(['--json', 'status']);
      assert.deepEqual(status.events[0]!.edited, []);
    };

    test(`${engine.name}: CRLF line endings are not an edit`, async () => {
      await edit(original.replace(/\n/g, '\r\n'));
      await clean();
    });

    test(`${engine.name}: trailing whitespace and a missing final newline are not an edit`, async () => {
      await edit(original.replace(/\n/g, '   \t\n').trimEnd());
      await clean();
    });

    test(`${engine.name}: a changed body warns CHECKSUM_MISMATCH, is not re-run; --strict exits 3`, async () => {
      await edit(original.replace("'t_e'", "'t_edited'"));
      const before = await p.fingerprint({ includeVersionTable: true });

      const human = await p.cli(['up']);
      assert.equal(human.code, EXIT.ok, show(human));
      assert.match(human.stderr, new RegExp(`^warning: migration ${file} \\(e1\\) changed since it was applied$`, 'm'));
      assert.match(human.stderr, /hint: put changes to applied migrations in a new migration/);

      const json = await p.cli(['--json', 'up']);
      assert.equal(json.code, EXIT.ok, show(json));
      const warning = json.events.find((e) => e.event === 'warning')!;
      assert.deepEqual([warning.code, warning.revision], ['CHECKSUM_MISMATCH', 'e1']);
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before, 'the edit was not applied');

      await assertFails(p, ['up', '--strict'], {
        exit: EXIT.strict, code: 'CHECKSUM_MISMATCH', message: new RegExp(`migration ${file} \\(e1\\) changed since it was applied`), hint: /new migration/,
      });
      const status = await p.cli(['status']);
      assert.match(status.stdout, /^edited: +e1 — changed since applied; .*`idem up --reapply-changed`$/m);
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before);
    });
  });

  // `up` reads only revisions and checksums until one differs; then the whole rows say how each was recorded.
  test(`${engine.name}: an edited stamped revision is not reported, an edited applied one beside it is`, async () => {
    const p = await TestProject.create(engine);
    try {
      const stampedFile = await p.write({ revision: 's1', up: table('t_s') });
      const appliedFile = await p.write({ revision: 'a2', revises: 's1', up: table('t_a') });
      for (const args of [['stamp', 's1'], ['up']]) assert.equal((await p.cli(args)).code, EXIT.ok);
      const edit = async (file: string, from: string, to: string) => {
        const path = join(p.migrations, file);
        await writeFile(path, (await readFile(path, 'utf8')).replace(from, to));
      };
      await edit(stampedFile, "'t_s'", "'t_s_edited'");
      const quiet = await p.cli(['--json', 'up', '--strict']);
      assert.equal(quiet.code, EXIT.ok, show(quiet));
      assert.deepEqual(quiet.events.map((e) => e.event), ['done'], 'a stamped revision never ran its file: no warning');

      await edit(appliedFile, "'t_a'", "'t_a_edited'");
      const warned = await p.cli(['--json', 'up']);
      assert.equal(warned.code, EXIT.ok, show(warned));
      assert.deepEqual(warned.events.filter((e) => e.event === 'warning').map((e) => [e.code, e.revision]), [['CHECKSUM_MISMATCH', 'a2']]);
    } finally {
      await p.dispose();
    }
  });
}
