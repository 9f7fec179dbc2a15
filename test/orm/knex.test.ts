/** Adopting the schema Knex makes, on every engine (test/orm/adoption-suite.ts). */
import { describeAdoption } from './adoption-suite.ts';
import { knex } from './knex-app.ts';

describeAdoption(knex);
