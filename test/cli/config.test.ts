/**
 * Where the database and the migrations come from: --url, then DATABASE_URL,
 * then idem.config.* (json, mjs), then ./idem.db in the working directory;
 * --dir. Broken config and unknown URL schemes are usage errors (exit 2), and
 * a password in a URL never reaches the output.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertFails, assertNoStack, show } from '../support/cli-checks.ts';
import { migrationSource, TestProject, type CliResult } from '../support/project.ts';

const PASSWORD = 's3cret';

for (const engine of engines.filter((e) => e.name === 'sqlite')) {
  describe(`${engine.name}: config resolution`, () => {
    let p: TestProject;
    // The CLI without the test database's --url: as a user types it in the project folder.
    const cli = (args: string[], env: Record<string, string> = {}): Promise<CliResult> => p.cli(args, { url: false, env });
    const databases = async (): Promise<string[]> => (await readdir(p.dir)).filter((f) => f.endsWith('.db')).sort();
    const recordedIn = async (file: string): Promise<string[]> => {
      const { DatabaseSync } = await import('node:sqlite');
      const db = new DatabaseSync(join(p.dir, file));
      try {
        return db.prepare('SELECT revision FROM idem_version ORDER BY revision').all().map((r) => String(r.revision));
      } finally {
        db.close();
      }
    };

    beforeEach(async () => {
      p = await TestProject.create(engine);
      await p.write({ revision: 'c1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true } });` });
    });
    afterEach(() => p.dispose());

    test(`${engine.name}: --url beats DATABASE_URL beats idem.config.json beats ./idem.db`, async () => {
      await writeFile(join(p.dir, 'idem.config.json'), JSON.stringify({ url: 'sqlite:./from-config.db' }));
      const env = { DATABASE_URL: 'sqlite:./from-env.db' };

      const option = await cli(['--url', 'sqlite:./from-option.db', 'up'], env);
      assert.equal(option.code, EXIT.ok, show(option));
      assert.deepEqual(await databases(), ['from-option.db']);

      const fromEnv = await cli(['up'], env);
      assert.equal(fromEnv.code, EXIT.ok, show(fromEnv));
      assert.deepEqual(await databases(), ['from-env.db', 'from-option.db']);

      const fromConfig = await cli(['up']);
      assert.equal(fromConfig.code, EXIT.ok, show(fromConfig));
      assert.deepEqual(await databases(), ['from-config.db', 'from-env.db', 'from-option.db']);

      await rm(join(p.dir, 'idem.config.json'));
      const fallback = await cli(['up']);
      assert.equal(fallback.code, EXIT.ok, show(fallback));
      assert.deepEqual(await databases(), ['from-config.db', 'from-env.db', 'from-option.db', 'idem.db']);
      for (const file of await databases()) assert.deepEqual(await recordedIn(file), ['c1'], file);

      const status = await cli(['--json', 'status']);
      assert.equal(status.events[0]!.url, `sqlite:${join(p.dir, 'idem.db')}`);
    });

    test(`${engine.name}: idem.config.mjs exporting default { url, dir }`, async () => {
      await mkdir(join(p.dir, 'db/migrations'), { recursive: true });
      await writeFile(join(p.dir, 'db/migrations/0001_m1.ts'), migrationSource({ revision: 'm1', up: `await m.createTable('from_mjs', { id: { type: 'integer', primaryKey: true } });` }));
      await writeFile(join(p.dir, 'idem.config.mjs'), `export default { url: 'sqlite:./mjs.db', dir: 'db/migrations' };\n`);
      const r = await cli(['--json', 'up']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(r.events.filter((e) => e.event === 'migration').map((e) => e.revision), ['m1'], 'the config dir, not ./migrations');
      assert.deepEqual(await databases(), ['mjs.db']);
      assert.deepEqual(await recordedIn('mjs.db'), ['m1']);
      // --dir overrides the config's dir; the config's url still applies: mjs.db has m1, ./migrations has c1.
      const override = await cli(['--json', '--dir', 'migrations', 'status']);
      assert.equal(override.code, EXIT.ok, show(override));
      assert.deepEqual([override.events[0]!.pending, override.events[0]!.unknown], [['c1'], ['m1']]);
    });

    test(`${engine.name}: --dir points at another folder`, async () => {
      await mkdir(join(p.dir, 'other'));
      await writeFile(join(p.dir, 'other/0001_o1.ts'), migrationSource({ revision: 'o1', up: '' }));
      const r = await p.cli(['--json', '--dir', 'other', 'up']);
      assert.equal(r.code, EXIT.ok, show(r));
      assert.deepEqual(await p.recorded(), ['o1']);
    });

    test(`${engine.name}: a config file that does not parse is exit 2, naming the file`, async () => {
      await writeFile(join(p.dir, 'idem.config.json'), '{ "url": ');
      await assertFails((args) => cli(args), ['up'], {
        exit: EXIT.usage, code: 'CONFIG', message: /cannot load the config file idem\.config\.json/, hint: /fix idem\.config\.json .*valid JSON/,
      });
      await rm(join(p.dir, 'idem.config.json'));
      await writeFile(join(p.dir, 'idem.config.mjs'), 'export default { url: ');
      await assertFails((args) => cli(args), ['status'], {
        exit: EXIT.usage, code: 'CONFIG', message: /cannot load the config file idem\.config\.mjs/, hint: /export default \{ url, dir \}/,
      });
      await writeFile(join(p.dir, 'idem.config.mjs'), 'export default { url: 42 };');
      await assertFails((args) => cli(args), ['up'], {
        exit: EXIT.usage, code: 'CONFIG', message: /idem\.config\.mjs: "url" must be a string/, hint: /string/,
      });
      assert.deepEqual(await databases(), [], 'nothing was opened');
    });

    test(`${engine.name}: an unknown URL scheme is exit 2`, async () => {
      await assertFails((args) => cli(args), ['--url', 'redis://localhost/0', 'up'], {
        exit: EXIT.usage, code: 'URL_INVALID', message: /unknown database URL scheme "redis:"/, hint: /sqlite:<path>, postgres:\/\//,
      });
      await assertFails((args) => cli(args, { DATABASE_URL: 'localhost/app' }), ['up'], {
        exit: EXIT.usage, code: 'URL_INVALID', message: /unknown database URL scheme in localhost\/app/, hint: /sqlite:<path>/,
      });
    });

    test(`${engine.name}: a URL naming a file that is not a database is exit 5, not a crash`, async () => {
      await writeFile(join(p.dir, 'notes.db'), 'these are notes, not a SQLite database\n'.repeat(20));
      await assertFails((args) => cli(args), ['--url', 'sqlite:./notes.db', 'up'], {
        exit: EXIT.unavailable, code: 'CONNECTION', message: /cannot read the database sqlite:\.\/notes\.db: file is not a database/, hint: /SQLite database file/,
      });
      await mkdir(join(p.dir, 'folder.db'));
      await assertFails((args) => cli(args), ['--url', 'sqlite:./folder.db', 'status'], {
        exit: EXIT.unavailable, code: 'CONNECTION', message: /cannot open the SQLite database .*folder\.db/, hint: /SQLite database/,
      });
    });

    test(`${engine.name}: a password in the URL never appears in stdout or stderr`, async () => {
      const urls = [`postgres://u:${PASSWORD}@127.0.0.1:1/x`, `mysql://u:${PASSWORD}@127.0.0.1:1/x`, `mariadb://u@127.0.0.1:1/x?password=${PASSWORD}`];
      const runs: CliResult[] = [];
      for (const url of urls) {
        for (const args of [['up'], ['--json', 'up'], ['status'], ['down', 'base'], ['stamp', 'base']]) {
          runs.push(await cli(['--url', url, ...args]));
          runs.push(await cli(args, { DATABASE_URL: url }));
        }
      }
      await writeFile(join(p.dir, 'idem.config.json'), JSON.stringify({ url: urls[0] }));
      runs.push(await cli(['up']));
      for (const r of runs) {
        // Exit 2 while this build has no driver for the server; 5 (cannot connect) once it has.
        assert.ok(r.code === EXIT.usage || r.code === EXIT.unavailable, show(r));
        assert.ok(!r.stdout.includes(PASSWORD) && !r.stderr.includes(PASSWORD), show(r));
        assert.match(r.stdout + r.stderr, /\*\*\*/, 'the URL is shown masked');
        assertNoStack(r);
      }
      assert.equal(existsSync(join(p.dir, 'idem.db')), false);
    });

    test(`${engine.name}: a password containing @ is masked whole`, async () => {
      const r = await cli(['--url', 'postgres://u:p@ss@127.0.0.1:1/x', 'up']);
      assert.ok(!r.stderr.includes('ss@127'), show(r));
    });
  });
}
