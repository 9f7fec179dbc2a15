/**
 * Adopting what an ORM made, as a user does: the ORM creates the
 * application's schema (test/orm/orm-app.ts), then the built CLI runs one
 * migration declaring the same schema over it, with an empty version table.
 *
 * - As made: `idem up` skips every operation and reports no drift;
 *   the engine's catalog has the same indexes and keys before and after (no
 *   duplicate of a key the ORM named its own way).
 * - One real difference per kind (length, nullability, signedness, decimal
 *   and timestamp precision, default), declared in the migration: that one
 *   operation is drift, with both shapes; everything else is skipped;
 *   `--strict` exits 3.
 *
 * Where idem misjudges an ORM's schema today, the case stays asserting the
 * right outcome and is marked `todo` in MISJUDGED, with the catalog's
 * spelling and idem's drift line.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ColumnSpec } from '../../src/plan/column-spec.ts';
import type { Difference } from '../../src/plan/migration-context.ts';
import { engines } from '../engines.ts';
import { addedKeys, catalogKeys } from '../support/catalog-keys.ts';
import { opLines, type CliResult, TestProject } from '../support/project.ts';
import { APP_TABLES, appOperations, type AppSchema, type EngineName, type OrmApp } from './orm-app.ts';

interface DifferenceCase {
  kind: string;
  /** Why the kind does not exist for this ORM on this engine; undefined where it does. */
  notApplicable?(orm: string, engine: EngineName, schema: AppSchema): string | undefined;
  /** The declaration with the one difference. */
  change(schema: AppSchema, engine: EngineName): AppSchema;
  /** The drift expected: on which operation, which object and field, and both shapes. */
  op: string;
  object: string;
  field: string;
  shapes(schema: AppSchema): { declared: Shape; actual: Shape };
}

/** A boolean to equal, or a pattern the printed shape matches. */
type Shape = RegExp | boolean;

const withColumn = (schema: AppSchema, table: 'users' | 'groups' | 'posts', column: string, spec: ColumnSpec): AppSchema =>
  ({ ...schema, [table]: { ...schema[table], [column]: spec } });

const isUnsigned = (spec: ColumnSpec | undefined): boolean => /unsigned/i.test(spec?.sqlType ?? '');
/** A type with a fractional-second precision, `(6)`, against one without. */
const FRACTION = /\(\d\)/;
const NO_FRACTION = /^(?!.*\(\d\))/;
const UNSIGNED = /unsigned/;
const SIGNED = /^(?!.*unsigned)/;

export const DIFFERENCES: DifferenceCase[] = [
  {
    kind: 'length',
    change: (s) => withColumn(s, 'users', 'name', { ...s.users.name, length: 150 }),
    op: 'createTable users', object: 'users.name', field: 'type', shapes: () => ({ declared: /150/, actual: /100/ }),
  },
  {
    kind: 'nullability',
    change: (s) => withColumn(s, 'users', 'name', { ...s.users.name, nullable: false }),
    op: 'createTable users', object: 'users.name', field: 'nullable', shapes: () => ({ declared: false, actual: true }),
  },
  {
    // The ORM's posts.user_id declared with the other signedness: signed where
    // the ORM made it signed, `int unsigned` where Knex made it unsigned.
    kind: 'signedness',
    notApplicable: (_orm, engine) => (engine === 'mariadb' ? undefined : `${engine} has no unsigned integers`),
    change: (s) => withColumn(s, 'posts', 'user_id', isUnsigned(s.posts.user_id)
      ? { type: 'integer', nullable: false }
      : { type: 'integer', sqlType: 'int unsigned', nullable: false }),
    op: 'createTable posts', object: 'posts.user_id', field: 'type',
    shapes: (s) => (isUnsigned(s.posts.user_id) ? { declared: SIGNED, actual: UNSIGNED } : { declared: UNSIGNED, actual: SIGNED }),
  },
  {
    kind: 'decimal precision',
    notApplicable: (_orm, _engine, s) => (s.groups.budget?.type === 'decimal' ? undefined : 'the ORM made groups.budget a float here: no precision'),
    change: (s) => withColumn(s, 'groups', 'budget', { ...s.groups.budget, precision: 12 }),
    op: 'createTable groups', object: 'groups.budget', field: 'type', shapes: () => ({ declared: /12/, actual: /10/ }),
  },
  {
    // A fractional-second precision where the ORM made none, or none where it
    // made one (TypeORM's datetime(6)). No portable `precision` on timestamps
    // yet: the precise type is given as sqlType.
    kind: 'timestamp precision',
    notApplicable: (_orm, engine) => (engine === 'sqlite' ? 'SQLite has no fractional-second precision: its datetime is text' : undefined),
    change: (s, engine) => withColumn(s, 'posts', 'created_at', timestampPrecisionChange(s.posts.created_at!, engine)),
    op: 'createTable posts', object: 'posts.created_at', field: 'type',
    shapes: (s) => (FRACTION.test(s.posts.created_at?.sqlType ?? '') ? { declared: NO_FRACTION, actual: FRACTION } : { declared: FRACTION, actual: NO_FRACTION }),
  },
  {
    kind: 'default',
    change: (s) => withColumn(s, 'users', 'active', { ...s.users.active, default: false }),
    op: 'createTable users', object: 'users.active', field: 'default', shapes: () => ({ declared: /false|0/, actual: /true|1/ }),
  },
];

/**
 * created_at with another fractional-second precision than the ORM gave it:
 * none where it has one; else (6) on MySQL/MariaDB, whose DATETIME and
 * TIMESTAMP keep whole seconds unless told, and (3) on PostgreSQL, whose
 * timestamp keeps microseconds (6) unless told.
 * https://mariadb.com/kb/en/datetime/ https://www.postgresql.org/docs/current/datatype-datetime.html
 */
function timestampPrecisionChange(spec: ColumnSpec, engine: EngineName): ColumnSpec {
  const { sqlType, type: _type, withTimezone, ...rest } = spec;
  if (sqlType !== undefined && FRACTION.test(sqlType)) return { ...rest, type: 'timestamp' };
  const base = engine === 'mariadb' ? (withTimezone ? 'timestamp' : 'datetime') : withTimezone ? 'timestamptz' : 'timestamp';
  return { ...rest, sqlType: `${base}(${engine === 'mariadb' ? 6 : 3})` };
}

/**
 * Where idem misjudges an ORM's schema: `${orm} ${engine} ${case}` -> why,
 * with the catalog's spelling and idem's drift line. Each case still asserts
 * the right outcome; `todo` keeps CI green until its fix lands. Empty: the
 * 22 cases listed here when the suite was written (SQLite booleans from
 * Sequelize and Knex, TypeORM's tinyint(4), missed unsigned and timestamp
 * precision) are judged right now.
 */
export const MISJUDGED: Record<string, string> = {};

const MISJUDGED_KEY = (orm: string, engine: EngineName, kind: string): string => `${orm} ${engine} ${kind}`;

function todoFor(orm: string, engine: EngineName, kind: string): { todo?: string } {
  const reason = MISJUDGED[MISJUDGED_KEY(orm, engine, kind)];
  return reason === undefined ? {} : { todo: reason };
}

/** The op events as `outcome op target: detail`, for assertion messages. */
function describeRun(result: CliResult): string {
  const ops = result.events.filter((e) => e.event === 'op')
    .map((e) => `${String(e.outcome)} ${String(e.op)} ${String(e.target)}${e.detail ? `: ${String(e.detail)}` : ''}`);
  const errors = result.events.filter((e) => e.event === 'error').map((e) => `error ${String(e.code)}: ${String(e.message)}`);
  return [...ops, ...errors, result.stderr].filter(Boolean).join('\n');
}

async function adoptionProject(app: OrmApp, engine: EngineName, project: TestProject, schema: AppSchema): Promise<void> {
  await app.build(engine, project.url);
  await project.write({ revision: 'app_schema', description: `the schema ${app.name} made`, up: appOperations(schema).join('\n') });
}

function matches(expected: Shape, value: unknown): boolean {
  return typeof expected === 'boolean' ? value === expected : expected.test(String(value));
}

export function describeAdoption(app: OrmApp): void {
  for (const engine of engines) {
    describe(`${engine.name}: ${app.name}`, () => {
      test(`${engine.name}: ${app.name}'s schema adopts with every operation skipped, no drift, no duplicate key`,
        todoFor(app.name, engine.name, 'as made'), async (t) => {
          const p = await TestProject.create(engine);
          try {
            const schema = app.declare(engine.name);
            await adoptionProject(app, engine.name, p, schema);
            const before = await catalogKeys(p, APP_TABLES);
            const up = await p.cli(['up', '--json']);
            const after = await catalogKeys(p, APP_TABLES);
            const lines = opLines(up);
            const notSkipped = lines.filter((l) => !l.startsWith('skipped '));
            t.diagnostic(`${app.name} on ${engine.name}: ${lines.length - notSkipped.length} of ${appOperations(schema).length} operations skipped; not skipped: ${JSON.stringify(notSkipped)}; `
              + `${before.length} indexes and keys before, ${after.length} after; added: ${JSON.stringify(addedKeys(before, after))}`);
            assert.equal(lines.length, appOperations(schema).length, describeRun(up));
            assert.deepEqual(notSkipped, [], describeRun(up));
            assert.equal(up.code, 0, describeRun(up));
            assert.deepEqual(addedKeys(before, after), [], 'indexes or keys added by the adoption');
            assert.deepEqual(after, before);
          } finally {
            await p.dispose();
          }
        });

      for (const difference of DIFFERENCES) {
        const title = `${engine.name}: ${app.name}'s schema with one ${difference.kind} difference is drift with both shapes; --strict exits 3`;
        const schema = app.declare(engine.name);
        const notApplicable = difference.notApplicable?.(app.name, engine.name, schema);
        if (notApplicable !== undefined) {
          test(title, { skip: notApplicable }, () => {});
          continue;
        }
        test(title, todoFor(app.name, engine.name, difference.kind), async () => {
          const p = await TestProject.create(engine);
          try {
            const declared = difference.change(schema, engine.name);
            await adoptionProject(app, engine.name, p, declared);
            const before = await catalogKeys(p, APP_TABLES);

            const strict = await p.cli(['up', '--strict', '--json']);
            assert.equal(strict.code, 3, describeRun(strict));
            const error = strict.events.find((e) => e.event === 'error');
            assert.equal(error?.code, 'DRIFT', describeRun(strict));

            const up = await p.cli(['up', '--json']);
            assert.equal(up.code, 0, describeRun(up));
            const lines = opLines(up);
            assert.deepEqual(lines.filter((l) => !l.startsWith('skipped ')), [`drift ${difference.op}`], describeRun(up));
            const drift = up.events.find((e) => e.event === 'op' && e.outcome === 'drift')!;
            const differences = drift.differences as Difference[];
            assert.equal(differences.length, 1, describeRun(up));
            const [d] = differences;
            assert.equal(d!.object, difference.object, describeRun(up));
            assert.equal(d!.field, difference.field, describeRun(up));
            const shapes = difference.shapes(schema);
            assert.ok(matches(shapes.declared, d!.declared), `declared shape ${String(d!.declared)}, expected ${String(shapes.declared)}\n${describeRun(up)}`);
            assert.ok(matches(shapes.actual, d!.actual), `actual shape ${String(d!.actual)}, expected ${String(shapes.actual)}\n${describeRun(up)}`);

            assert.deepEqual(addedKeys(before, await catalogKeys(p, APP_TABLES)), [], 'indexes or keys added by the adoption');
          } finally {
            await p.dispose();
          }
        });
      }
    });
  }
}
