import type { MigrationContext } from 'idem';

export const revision = '2d9b47e0c8a6';
export const revises: string | string[] | null = '7c1e5a0f3b21';
export const description = 'add groups and user_groups';

export async function up(m: MigrationContext): Promise<void> {
  await m.createTable('groups', {
    id: { type: 'integer', primaryKey: true, autoIncrement: true },
    name: { type: 'string', length: 50, nullable: false, unique: true },
  });
  await m.createTable('user_groups', {
    user_id: { type: 'integer', nullable: false },
    group_id: { type: 'integer', nullable: false },
  }, {
    primaryKey: ['user_id', 'group_id'],
    foreignKeys: [
      { columns: ['user_id'], references: { table: 'users', columns: ['id'] }, onDelete: 'cascade', name: 'fk_user_groups_user' },
      { columns: ['group_id'], references: { table: 'groups', columns: ['id'] }, onDelete: 'cascade', name: 'fk_user_groups_group' },
    ],
  });
  await m.executeIf({
    description: 'create the admin group',
    sql: 'INSERT INTO groups (name) VALUES (?)',
    params: ['admin'],
    condition: 'SELECT COUNT(*) = 0 FROM groups WHERE name = ?',
    conditionParams: ['admin'],
  });
}

export async function down(m: MigrationContext): Promise<void> {
  await m.dropTable('user_groups');
  await m.dropTable('groups');
}
