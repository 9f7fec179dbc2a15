/** Adopting the schema TypeORM makes, on every engine (test/orm/adoption-suite.ts). */
import { describeAdoption } from './adoption-suite.ts';
import { typeorm } from './typeorm-app.ts';

describeAdoption(typeorm);
