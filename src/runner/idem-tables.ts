/**
 * The tables idem keeps in the user's database. Every catalog read leaves
 * them out: they are not the user's schema, and `idem schema`, drift and
 * verify's fingerprints must not see them.
 */
import { PROGRESS_TABLE } from './progress-journal.ts';
import { VERSION_TABLE } from './version-table.ts';

export const IDEM_TABLES: readonly string[] = [VERSION_TABLE, PROGRESS_TABLE];
