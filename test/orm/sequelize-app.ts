/**
 * The application's schema as Sequelize 6 makes it: models defined with
 * `sequelize.define`, then `sequelize.sync()`, as an application does on
 * start. SQLite through `sqlite3` (Sequelize's only SQLite driver),
 * PostgreSQL through `pg`, MariaDB through `mysql2` (the `mysql` dialect).
 */
import { DataTypes, Sequelize, type Options } from 'sequelize';
import { sqliteFile, type AppSchema, type EngineName, type OrmApp } from './orm-app.ts';

function connect(engine: EngineName, url: string): Sequelize {
  const options: Options = { logging: false };
  if (engine === 'sqlite') return new Sequelize({ ...options, dialect: 'sqlite', storage: sqliteFile(url) });
  return new Sequelize(url, { ...options, dialect: engine === 'postgres' ? 'postgres' : 'mysql' });
}

async function build(engine: EngineName, url: string): Promise<void> {
  const sequelize = connect(engine, url);
  try {
    const plain = { timestamps: false, underscored: true };
    const User = sequelize.define('User', {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      email: { type: DataTypes.STRING(255), allowNull: false, unique: true },
      active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
      name: { type: DataTypes.STRING(100), allowNull: true },
    }, { ...plain, tableName: 'users' });
    const Group = sequelize.define('Group', {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      name: { type: DataTypes.STRING(100), allowNull: false },
      budget: { type: DataTypes.DECIMAL(10, 2), allowNull: true },
    }, { ...plain, tableName: 'groups' });
    const UserGroup = sequelize.define('UserGroup', {
      user_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
      group_id: { type: DataTypes.INTEGER, primaryKey: true, allowNull: false },
    }, { ...plain, tableName: 'user_groups' });
    User.belongsToMany(Group, { through: UserGroup, foreignKey: 'user_id', otherKey: 'group_id', onDelete: 'CASCADE' });
    Group.belongsToMany(User, { through: UserGroup, foreignKey: 'group_id', otherKey: 'user_id', onDelete: 'CASCADE' });
    sequelize.define('Post', {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      user_id: { type: DataTypes.INTEGER, allowNull: false },
      slug: { type: DataTypes.STRING(100), allowNull: false },
      created_at: { type: DataTypes.DATE, allowNull: false },
    }, {
      ...plain, tableName: 'posts',
      indexes: [{ unique: true, fields: ['user_id', 'slug'] }, { fields: ['created_at'] }],
    });
    await sequelize.sync();
  } finally {
    await sequelize.close();
  }
}

/**
 * What Sequelize made, declared: DataTypes.DATE is timestamptz on
 * PostgreSQL and DATETIME elsewhere; belongsToMany's foreign keys cascade on
 * delete (as asked) and on update (Sequelize's default).
 */
function declare(engine: EngineName): AppSchema {
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
      created_at: { type: 'timestamp', withTimezone: engine === 'postgres', nullable: false },
    },
    memberKeys: { onDelete: 'cascade', onUpdate: 'cascade' },
    memberIndexes: false,
  };
}

export const sequelize: OrmApp = { name: 'sequelize', build, declare };
