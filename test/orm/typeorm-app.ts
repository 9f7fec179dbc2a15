/**
 * The application's schema as TypeORM makes it: entities declared with
 * EntitySchema (Node's type stripping runs no decorators, and the schema is
 * the same), then `synchronize: true` on initialize, as an application does
 * in development. SQLite through `better-sqlite3` (TypeORM 1 has no
 * `sqlite3` driver), PostgreSQL through `pg`, MariaDB through `mysql2`.
 */
import { DataSource, EntitySchema, type DataSourceOptions } from 'typeorm';
import { sqliteFile, type AppSchema, type EngineName, type OrmApp } from './orm-app.ts';

interface UserRow { id: number; email: string; active: boolean; name: string | null; groups: GroupRow[] }
interface GroupRow { id: number; name: string; budget: string | null }
interface PostRow { id: number; user_id: number; slug: string; created_at: Date }

const User = new EntitySchema<UserRow>({
  name: 'User',
  tableName: 'users',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    email: { type: String, length: 255, unique: true },
    active: { type: Boolean, default: true },
    name: { type: String, length: 100, nullable: true },
  },
  relations: {
    groups: {
      type: 'many-to-many', target: 'Group', onDelete: 'CASCADE',
      joinTable: {
        name: 'user_groups',
        joinColumn: { name: 'user_id', referencedColumnName: 'id' },
        inverseJoinColumn: { name: 'group_id', referencedColumnName: 'id' },
      },
    },
  },
});

const Group = new EntitySchema<GroupRow>({
  name: 'Group',
  tableName: 'groups',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    name: { type: String, length: 100 },
    budget: { type: 'decimal', precision: 10, scale: 2, nullable: true },
  },
});

const Post = new EntitySchema<PostRow>({
  name: 'Post',
  tableName: 'posts',
  columns: {
    id: { type: Number, primary: true, generated: 'increment' },
    user_id: { type: Number },
    slug: { type: String, length: 100 },
    created_at: { type: Date, createDate: true },
  },
  uniques: [{ columns: ['user_id', 'slug'] }],
  indices: [{ columns: ['created_at'] }],
});

function options(engine: EngineName, url: string): DataSourceOptions {
  const common = { entities: [User, Group, Post], synchronize: true, logging: false };
  if (engine === 'sqlite') return { ...common, type: 'better-sqlite3', database: sqliteFile(url) };
  if (engine === 'postgres') return { ...common, type: 'postgres', url };
  return { ...common, type: 'mariadb', url };
}

async function build(engine: EngineName, url: string): Promise<void> {
  const source = new DataSource(options(engine, url));
  await source.initialize();
  await source.destroy();
}

/**
 * What TypeORM made, declared. A CreateDateColumn defaults to the current
 * time, in each engine's words; on MySQL/MariaDB it is `datetime(6)`
 * (microseconds), which has no portable spelling yet, so the migration gives
 * it as sqlType. The join table's foreign keys cascade both ways (TypeORM's
 * default for a junction table), and each of its columns has an index.
 */
function declare(engine: EngineName): AppSchema {
  const createdAt = {
    sqlite: { type: 'timestamp', default: { sql: "datetime('now')" } },
    postgres: { type: 'timestamp', default: { sql: 'now()' } },
    mariadb: { sqlType: 'datetime(6)', default: { sql: 'CURRENT_TIMESTAMP(6)' } },
  } as const;
  return {
    users: {
      id: { type: 'integer', primaryKey: true, autoIncrement: true },
      email: { type: 'string', length: 255, nullable: false, unique: true },
      active: { type: 'boolean', nullable: false, default: true },
      name: { type: 'string', length: 100, nullable: true },
    },
    groups: {
      id: { type: 'integer', primaryKey: true, autoIncrement: true },
      name: { type: 'string', length: 100, nullable: false },
      budget: { type: 'decimal', precision: 10, scale: 2, nullable: true },
    },
    userGroups: {
      user_id: { type: 'integer', nullable: false },
      group_id: { type: 'integer', nullable: false },
    },
    posts: {
      id: { type: 'integer', primaryKey: true, autoIncrement: true },
      user_id: { type: 'integer', nullable: false },
      slug: { type: 'string', length: 100, nullable: false },
      created_at: { ...createdAt[engine], nullable: false },
    },
    memberKeys: { onDelete: 'cascade', onUpdate: 'cascade' },
    memberIndexes: true,
  };
}

export const typeorm: OrmApp = { name: 'typeorm', build, declare };
