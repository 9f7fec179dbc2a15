/**
 * `idem up` with nothing to do costs a directory listing, file hashes and one
 * read of the version table: no migration module is imported. A migration
 * with an import-time side effect proves it.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { engines } from '../engines.ts';
import { TestProject } from '../support/project.ts';

for (const engine of engines) {
  test(`${engine.name}: up with nothing pending imports no migration module`, async () => {
    const p = await TestProject.create(engine);
    try {
      const marker = join(p.dir, 'imported.marker');
      await p.writeRaw('0001_a.ts', `import { writeFileSync } from 'node:fs';
import type { MigrationContext } from 'idem';
writeFileSync(${JSON.stringify(marker)}, 'imported');
export const revision = 'n1';
export const revises: string | string[] | null = null;
export const description = 'side effect on import';
export async function up(m: MigrationContext): Promise<void> {
  await m.createTable('t', { id: { type: 'integer', primaryKey: true } });
}
`);
      const first = await p.cli(['up']);
      assert.equal(first.code, 0, first.stderr);
      assert.ok(existsSync(marker), 'the first run imports the pending migration');
      await rm(marker);
      const second = await p.cli(['up']);
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /nothing to do/);
      assert.equal(existsSync(marker), false, 'a no-op run must not import migration modules');
      const status = await p.cli(['status']);
      assert.equal(status.code, 0);
      assert.equal(existsSync(marker), false, 'status must not import migration modules');
    } finally {
      await p.dispose();
    }
  });
}
