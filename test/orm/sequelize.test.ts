/** Adopting the schema Sequelize makes, on every engine (test/orm/adoption-suite.ts). */
import { describeAdoption } from './adoption-suite.ts';
import { sequelize } from './sequelize-app.ts';

describeAdoption(sequelize);
