/**
 * A small application's schema, as an ORM makes it and as an idem migration
 * adopting it declares it: users (a unique email, a boolean with a default),
 * groups (a decimal), user_groups (the join table: a composite primary key
 * and a foreign key to each side) and posts (a composite unique key and an
 * index on a timestamp). Each ORM's module says how it builds the schema
 * and how the migration declares what that ORM made on each engine.
 */
import type { ColumnMap, ReferentialAction } from '../../src/plan/column-spec.ts';
import type { Engine } from '../engines.ts';

export type EngineName = Engine['name'];

export interface AppSchema {
  users: ColumnMap;
  groups: ColumnMap;
  userGroups: ColumnMap;
  posts: ColumnMap;
  /** The actions the ORM gives the join table's two foreign keys. */
  memberKeys: { onDelete: ReferentialAction; onUpdate?: ReferentialAction };
  /** The ORM indexes each of the join table's columns on its own (TypeORM does). */
  memberIndexes: boolean;
}

export interface OrmApp {
  name: string;
  /** Creates the schema with the ORM, on a database idem reaches at `url`. */
  build(engine: EngineName, url: string): Promise<void>;
  /** The schema the ORM made on `engine`, declared as an idem migration adopting it writes it. */
  declare(engine: EngineName): AppSchema;
}

export const APP_TABLES = ['users', 'groups', 'user_groups', 'posts'] as const;

/** The file of an idem SQLite URL (`sqlite:/tmp/x/test.db`), which the ORMs take as a path. */
export function sqliteFile(url: string): string {
  return url.replace(/^sqlite:/, '');
}

/** The body of the one migration that declares the whole schema (the baseline an adopting project writes), a line per operation. */
export function appOperations(s: AppSchema): string[] {
  const json = (value: unknown): string => JSON.stringify(value);
  const member = (column: string, table: string): string =>
    `await m.addForeignKey('user_groups', ['${column}'], '${table}', ['id'], ${json(s.memberKeys)});`;
  return [
    `await m.createTable('users', ${json(s.users)});`,
    `await m.createTable('groups', ${json(s.groups)});`,
    `await m.createTable('user_groups', ${json(s.userGroups)}, { primaryKey: ['user_id', 'group_id'] });`,
    member('user_id', 'users'),
    member('group_id', 'groups'),
    ...(s.memberIndexes ? [`await m.createIndex('user_groups', ['user_id']);`, `await m.createIndex('user_groups', ['group_id']);`] : []),
    `await m.createTable('posts', ${json(s.posts)});`,
    `await m.addUnique('posts', ['user_id', 'slug']);`,
    `await m.createIndex('posts', ['created_at']);`,
  ];
}
