// Knex ships no types for its dialect modules; the bench subclasses the
// better-sqlite3 client (bench/peers/knex-up.mjs), which is a Knex.Client.
declare module 'knex/lib/dialects/better-sqlite3/index.js' {
  import type { Knex } from 'knex';
  const BetterSqliteClient: typeof Knex.Client;
  export default BetterSqliteClient;
}
