import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Published results of a closed round, computed once through the scoring and anonymity modules.
  await knex.schema.createTable('round_aggregates', (t) => {
    t.integer('round_id').primary().references('id').inTable('survey_rounds').onDelete('CASCADE');
    t.integer('k').notNullable();
    t.integer('respondents').notNullable();
    t.text('group_counts').notNullable();
    t.text('publication').notNullable();
    t.timestamp('computed_at', { useTz: true }).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('round_aggregates');
}
