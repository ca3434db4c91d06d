import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Invited and answered per survey group, frozen when a round closes, so erasing or purging people later
  // leaves the round's response rates as they were published.
  await knex.schema.createTable('round_rates', (t) => {
    t.integer('round_id').notNullable().references('id').inTable('survey_rounds').onDelete('CASCADE');
    t.string('survey_group', 40).notNullable();
    t.integer('invited').notNullable();
    t.integer('answered').notNullable();
    t.primary(['round_id', 'survey_group']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('round_rates');
}
