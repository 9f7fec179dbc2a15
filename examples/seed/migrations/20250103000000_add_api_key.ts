import type { MigrationContext } from 'idem';

export const revision = 'e41f0b9d6a73';
export const revises: string | string[] | null = '2d9b47e0c8a6';
export const description = 'add users.api_key';

export async function up(m: MigrationContext): Promise<void> {
  // SQLite cannot ADD COLUMN … UNIQUE: idem adds the column and a unique index.
  await m.addColumn('users', 'api_key', { type: 'string', length: 255, nullable: true, unique: true });
}

export async function down(m: MigrationContext): Promise<void> {
  await m.dropColumn('users', 'api_key');
}
