import type { Knex } from 'knex';

/**
 * Per attempt and question, the opaque tokens the page carries instead of the content's option ids
 * (JSON array aligned with option_order), so nothing on the page tells the key.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('quiz_attempt_items', (t) => {
    t.text('option_tokens').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('quiz_attempt_items', (t) => {
    t.dropColumn('option_tokens');
  });
}
