import type { Knex } from 'knex';
import * as m001 from './20261127100000_create_foundation.js';
import * as m002 from './20261127110000_create_surveys.js';
import * as m003 from './20261127120000_create_elearning.js';
import * as m004 from './20261127130000_create_mail.js';
import * as m005 from './20261127140000_create_reporting.js';
import * as m006 from './20261127150000_create_round_rates.js';
import * as m007 from './20261203100000_create_saml_sessions.js';
import * as m008 from './20261203110000_create_rate_limits.js';
import * as m009 from './20261203120000_elearning_progress.js';
import * as m010 from './20261203130000_quiz_option_tokens.js';

type Migration = { up: (knex: Knex) => Promise<void>; down: (knex: Knex) => Promise<void> };

const migrations: Array<[string, Migration]> = [
  ['20261127100000_create_foundation', m001],
  ['20261127110000_create_surveys', m002],
  ['20261127120000_create_elearning', m003],
  ['20261127130000_create_mail', m004],
  ['20261127140000_create_reporting', m005],
  ['20261127150000_create_round_rates', m006],
  ['20261203100000_create_saml_sessions', m007],
  ['20261203110000_create_rate_limits', m008],
  ['20261203120000_elearning_progress', m009],
  ['20261203130000_quiz_option_tokens', m010],
];

/** Static list of migrations, so they load the same under tsx, vitest and compiled JS. */
export const migrationSource: Knex.MigrationSource<[string, Migration]> = {
  getMigrations: async () => migrations,
  getMigrationName: ([name]) => name,
  getMigration: async ([, migration]) => migration,
};
