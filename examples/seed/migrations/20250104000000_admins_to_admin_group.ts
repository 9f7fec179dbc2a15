import type { MigrationContext } from 'idem';

export const revision = '9a3c6e2f1b80';
export const revises: string | string[] | null = 'e41f0b9d6a73';
export const description = 'move admin users into the admin group';

// The same guard in the condition and in the statement: the data decides,
// not whether this run created anything, so a re-run after a crash (or over
// a database an init script filled) inserts each link exactly once.
const MISSING_LINKS = `
  FROM users u CROSS JOIN groups g
  WHERE u.role = ? AND g.name = ?
    AND NOT EXISTS (SELECT 1 FROM user_groups ug WHERE ug.user_id = u.id AND ug.group_id = g.id)`;

export async function up(m: MigrationContext): Promise<void> {
  await m.executeIf({
    description: 'migrating admin users to the admin group',
    sql: `INSERT INTO user_groups (user_id, group_id) SELECT u.id, g.id ${MISSING_LINKS}`,
    condition: `SELECT COUNT(*) > 0 ${MISSING_LINKS}`,
    params: ['admin', 'admin'],
    conditionParams: ['admin', 'admin'],
  });
  await m.summary('user_groups');
}

export async function down(m: MigrationContext): Promise<void> {
  await m.executeIf({
    description: 'removing admin users from the admin group',
    sql: `DELETE FROM user_groups WHERE group_id IN (SELECT id FROM groups WHERE name = ?)`,
    condition: `SELECT COUNT(*) > 0 FROM user_groups WHERE group_id IN (SELECT id FROM groups WHERE name = ?)`,
    params: ['admin'],
    conditionParams: ['admin'],
  });
}
