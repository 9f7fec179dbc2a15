/**
 * The application's schema as Knex makes it: `knex.schema.createTable` with
 * the builder's usual calls (`increments`, `string`, `boolean`, `decimal`,
 * `timestamp`, `references`, `unique`, `index`), as a Knex migration writes
 * them. SQLite through `better-sqlite3`, PostgreSQL through `pg`, MariaDB
 * through `mysql2`.
 */
import knexFactory, { type Knex } from 'knex';
import { sqliteFile, type AppSchema, type EngineName, type OrmApp } from './orm-app.ts';

function config(engine: EngineName, url: string): Knex.Config {
  if (engine === 'sqlite') return { client: 'better-sqlite3', connection: { filename: sqliteFile(url) }, useNullAsDefault: true };
  return { client: engine === 'postgres' ? 'pg' : 'mysql2', connection: url };
}

async function build(engine: EngineName, url: string): Promise<void> {
  const knex = knexFactory(config(engine, url));
  try {
    await knex.schema.createTable('users', (t) => {
      t.increments('id');
      t.string('email', 255).notNullable().unique();
      t.boolean('active').notNullable().defaultTo(true);
      t.string('name', 100).nullable();
    });
    await knex.schema.createTable('groups', (t) => {
      t.increments('id');
      t.string('name', 100).notNullable();
      t.decimal('budget', 10, 2).nullable();
    });
    await knex.schema.createTable('user_groups', (t) => {
      t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
      t.integer('group_id').unsigned().notNullable().references('id').inTable('groups').onDelete('CASCADE');
      t.primary(['user_id', 'group_id']);
    });
    await knex.schema.createTable('posts', (t) => {
      t.increments('id');
      t.integer('user_id').unsigned().notNullable();
      t.string('slug', 100).notNullable();
      t.timestamp('created_at').notNullable();
      t.unique(['user_id', 'slug']);
      t.index(['created_at']);
    });
  } finally {
    await knex.destroy();
  }
}

/**
 * What Knex made, declared. On MySQL/MariaDB `increments()` is `int unsigned`
 * and the columns that reference it are declared `.unsigned()`: idem has no
 * portable unsigned yet, so the migration gives them as sqlType. `timestamp()`
 * is timestamptz on PostgreSQL and TIMESTAMP (an instant) on MySQL/MariaDB;
 * on SQLite Knex writes `decimal(10, 2)` as `float`.
 */
function declare(engine: EngineName): AppSchema {
  const integer = engine === 'mariadb' ? { type: 'integer', sqlType: 'int unsigned' } as const : { type: 'integer' } as const;
  return {
    users: {
      id: { ...integer, primaryKey: true, autoIncrement: true },
      email: { type: 'string', length: 255, nullable: false, unique: true },
      active: { type: 'boolean', nullable: false, default: true },
      name: { type: 'string', length: 100, nullable: true },
    },
    groups: {
      id: { ...integer, primaryKey: true, autoIncrement: true },
      name: { type: 'string', length: 100, nullable: false },
      budget: engine === 'sqlite' ? { type: 'float', nullable: true } : { type: 'decimal', precision: 10, scale: 2, nullable: true },
    },
    userGroups: {
      user_id: { ...integer, nullable: false },
      group_id: { ...integer, nullable: false },
    },
    posts: {
      id: { ...integer, primaryKey: true, autoIncrement: true },
      user_id: { ...integer, nullable: false },
      slug: { type: 'string', length: 100, nullable: false },
      created_at: { type: 'timestamp', withTimezone: engine !== 'sqlite', nullable: false },
    },
    memberKeys: { onDelete: 'cascade' },
    memberIndexes: false,
  };
}

export const knex: OrmApp = { name: 'knex', build, declare };
