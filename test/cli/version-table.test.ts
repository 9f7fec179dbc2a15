/**
 * A table named idem_version that is not the version table this idem keeps
 * (another tool's, or an older build's) is a clear error saying what to do,
 * exit 4, never a stack trace, and nothing is changed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { engines } from '../engines.ts';
import { assertFails } from '../support/cli-checks.ts';
import { TestProject } from '../support/project.ts';

for (const engine of engines) {
  test(`${engine.name}: a foreign idem_version table is refused with a hint; nothing changes`, async () => {
    const p = await TestProject.create(engine);
    try {
      await p.write({ revision: 'v1', up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true } });` });
      await p.exec('CREATE TABLE idem_version (revision VARCHAR(64) NOT NULL PRIMARY KEY, applied_at VARCHAR(32))');
      await p.exec("INSERT INTO idem_version (revision, applied_at) VALUES ('x', 'then')");
      const before = await p.fingerprint({ includeVersionTable: true });
      for (const command of [['up'], ['status']]) {
        await assertFails(p, command, {
          exit: EXIT.history, code: 'VERSION_TABLE_INVALID',
          message: /the table idem_version exists but is not the version table this idem keeps/,
          hint: /rename it away/,
        });
      }
      assert.equal(await p.fingerprint({ includeVersionTable: true }), before);
    } finally {
      await p.dispose();
    }
  });
}
