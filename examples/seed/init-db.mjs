// The application's own init script, as the seed's init_db.py: it creates the
// tables the ORM knows (here `users`) at every start, before migrations run,
// and makes sure an admin exists. idem must adopt what it finds.
import { DatabaseSync } from 'node:sqlite';

const db = new DatabaseSync(process.env.DB_FILE ?? 'idem.db');
db.exec(`
  CREATE TABLE IF NOT EXISTS users (
    id INTEGER NOT NULL,
    username VARCHAR(50) NOT NULL,
    email VARCHAR(255) NOT NULL,
    role VARCHAR(20) NOT NULL DEFAULT 'user',
    PRIMARY KEY (id),
    UNIQUE (username)
  )
`);
const insert = db.prepare('INSERT INTO users (username, email, role) SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = ?)');
for (const [username, email, role] of [['admin', 'admin@example.com', 'admin'], ['ops', 'ops@example.com', 'admin'], ['alice', 'alice@example.com', 'user']]) {
  insert.run(username, email, role, username);
}
console.log(`init-db: users table ready with ${db.prepare('SELECT COUNT(*) AS n FROM users').get().n} users`);
db.close();
