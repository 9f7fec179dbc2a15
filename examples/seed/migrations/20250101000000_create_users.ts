import type { MigrationContext } from 'idem';

export const revision = '7c1e5a0f3b21';
export const revises: string | string[] | null = null;
export const description = 'create users';

export async function up(m: MigrationContext): Promise<void> {
  // The init script usually got here first: this is then skipped, and adopted.
  await m.createTable('users', {
    id: { type: 'integer', primaryKey: true, autoIncrement: true },
    username: { type: 'string', length: 50, nullable: false, unique: true },
    email: { type: 'string', length: 255, nullable: false },
    role: { type: 'string', length: 20, nullable: false, default: 'user' },
  });
}

export async function down(m: MigrationContext): Promise<void> {
  await m.dropTable('users');
}
