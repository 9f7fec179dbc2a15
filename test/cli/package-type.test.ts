/**
 * `.ts` migrations are ES modules whatever the project's package.json says
 * (src/files/migration-loader.ts), and so are the `.ts` helpers beside them:
 * under "type": "commonjs", what `npm init` writes, Node would load them as
 * CommonJS and fail at the first `export`.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { show } from '../support/cli-checks.ts';
import { migrationSource, opLines, TestProject } from '../support/project.ts';

for (const engine of engines) {
  test(`${engine.name}: TypeScript migrations run in a project whose package.json says "type": "commonjs"`, async () => {
    const p = await TestProject.create(engine);
    try {
      await writeFile(join(p.dir, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', type: 'commonjs' }));
      await p.write({ revision: 'r1', up: `await m.createTable('t1', { id: { type: 'integer', primaryKey: true } });` });
      // A helper beside the migrations, as `idem` leaves `_`-prefixed files alone: an ES module too.
      await writeFile(join(p.migrations, '_columns.ts'), "export const nameColumn = { type: 'string', length: 20 } as const;\n");
      await p.writeRaw('0002_r2.ts', `import { nameColumn } from './_columns.ts';\n${migrationSource({ revision: 'r2', revises: 'r1', up: `await m.addColumn('t1', 'name', nameColumn);` })}`);
      const run = await p.cli(['--json', 'up']);
      assert.equal(run.code, EXIT.ok, show(run));
      assert.deepEqual(opLines(run), ['applied createTable t1', 'applied addColumn t1.name']);
      assert.deepEqual(await p.recorded(), ['r1', 'r2']);
    } finally {
      await p.dispose();
    }
  });
}
