import type { Knex } from 'knex';
import * as m001 from './20261127100000_create_foundation.js';

type Migration = { up: (knex: Knex) => Promise<void>; down: (knex: Knex) => Promise<void> };

const migrations: Array<[string, Migration]> = [['20261127100000_create_foundation', m001]];

/** Static list of migrations, so they load the same under tsx, vitest and compiled JS. */
export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
