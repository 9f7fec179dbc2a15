/**
 * PostgreSQL: the version row sent with its COMMIT has its parameters written
 * in as literals (inlinePostgresParameters). Each value must reach the server
 * as the same text a bound parameter would, whatever
 * standard_conforming_strings says, and a description with quotes,
 * backslashes and placeholder look-alikes must be recorded as written.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inlinePostgresParameters } from '../../src/dialect/postgres/postgres-placeholders.ts';
import { isIdemError } from '../../src/errors.ts';
import { engines } from '../engines.ts';
import { TestProject } from '../support/project.ts';

const VALUES: unknown[] = [
  "it's", 'back\\slash', "both \\' and ''", '$1 ? $2', 'E\'x\'', 'ünï©ødé ✓', '', 'line\nbreak\ttab', '$$dollar$$', '-- not a comment', 42, -7, 1.5, true, false, null,
];

for (const engine of engines.filter((e) => e.name === 'postgres')) {
  test(`${engine.name}: parameters written in as literals read back as the bound values, with standard_conforming_strings on and off`, async () => {
    const p = await TestProject.create(engine);
    const session = await p.session();
    try {
      const sql = `SELECT ${VALUES.map((_, i) => `$${i + 1} AS v${i}`).join(', ')}`;
      for (const setting of ['on', 'off']) {
        await session.driver.execute(`SET standard_conforming_strings = ${setting}`);
        const [inlined] = await session.driver.query<Record<string, unknown>>(inlinePostgresParameters(sql, VALUES));
        const [bound] = await session.driver.query<Record<string, unknown>>(`SELECT ${VALUES.map((_, i) => `$${i + 1}::text AS v${i}`).join(', ')}`,
          VALUES.map((v) => (v === null ? null : String(v))));
        VALUES.forEach((value, i) => assert.equal(inlined![`v${i}`] === null ? null : String(inlined![`v${i}`]), bound![`v${i}`], `value ${JSON.stringify(value)} with standard_conforming_strings ${setting}`));
      }
    } finally {
      await session.close();
      await p.dispose();
    }
  });

  test(`${engine.name}: a description with quotes, backslashes and placeholders is recorded as written`, async () => {
    const p = await TestProject.create(engine);
    try {
      const description = "it's a \\back\\slash, $1 and ? and $$x$$";
      await p.write({ revision: 'q1', description, up: `await m.createTable('t', { id: { type: 'integer', primaryKey: true } });` });
      const run = await p.cli(['up']);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      const [row] = await p.query<{ description: string }>('SELECT description FROM idem_version');
      assert.equal(row?.description, description);
    } finally {
      await p.dispose();
    }
  });
}

test('a value idem never writes (an object, NaN, a NUL character) is refused, not pasted', () => {
  for (const value of [{}, Number.NaN, 'a\u0000b', undefined]) {
    assert.throws(() => inlinePostgresParameters('SELECT $1', [value]), (e: unknown) => isIdemError(e) && e.code === 'INTERNAL' && /parameter \$1 cannot be written as a literal/.test(e.message));
  }
});
