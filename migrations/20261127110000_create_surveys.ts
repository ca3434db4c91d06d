import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('participants', (t) => {
    t.increments('id').primary();
    t.integer('municipality_code').notNullable().references('code').inTable('municipalities');
    t.string('name', 200).notNullable();
    t.string('email', 320).notNullable();
    t.string('survey_group', 50).notNullable();
    t.boolean('superuser').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.unique(['municipality_code', 'email']);
  });
  await knex.schema.createTable('personal_links', (t) => {
    t.increments('id').primary();
    t.string('token_hash', 64).notNullable().unique();
    t.string('purpose', 20).notNullable();
    t.integer('municipality_code').notNullable().references('code').inTable('municipalities');
    t.integer('participant_id').notNullable().references('id').inTable('participants').onDelete('CASCADE');
    t.integer('round_id').nullable();
    t.integer('course_session_id').nullable();
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamp('revoked_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['participant_id', 'purpose']);
  });
  await knex.schema.createTable('survey_rounds', (t) => {
    t.increments('id').primary();
    t.integer('municipality_code').notNullable().references('code').inTable('municipalities');
    t.integer('round_no').notNullable();
    t.string('state', 10).notNullable().defaultTo('planned');
    t.string('opens_on', 10).notNullable();
    t.string('closes_on', 10).notNullable();
    t.integer('instrument_version').nullable();
    t.timestamp('opened_at', { useTz: true }).nullable();
    t.timestamp('closed_at', { useTz: true }).nullable();
    t.integer('reminders_sent').notNullable().defaultTo(0);
    t.boolean('manual').notNullable().defaultTo(false);
    t.unique(['municipality_code', 'round_no']);
    t.index(['state', 'opens_on']);
  });
  // Whether a participant has answered; no link to the response (PRODUCT.md "Anonymity").
  await knex.schema.createTable('survey_participation', (t) => {
    t.integer('round_id').notNullable().references('id').inTable('survey_rounds').onDelete('CASCADE');
    t.integer('participant_id').notNullable().references('id').inTable('participants').onDelete('CASCADE');
    t.boolean('submitted').notNullable().defaultTo(false);
    // Save-and-resume draft; deleted in the same transaction that writes the anonymous response.
    t.text('draft').nullable();
    t.primary(['round_id', 'participant_id']);
  });
  // Anonymous by construction: no participant, user, token, IP or time; a random id gives no order.
  await knex.schema.createTable('survey_responses', (t) => {
    t.string('id', 36).primary();
    t.integer('round_id').notNullable().references('id').inTable('survey_rounds').onDelete('CASCADE');
    t.integer('municipality_code').notNullable();
    t.integer('round_no').notNullable();
    t.string('survey_group', 50).notNullable();
    t.integer('instrument_version').notNullable();
    t.text('answers').notNullable();
    t.text('comment').nullable();
    t.index(['round_id', 'survey_group']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'survey_responses',
    'survey_participation',
    'survey_rounds',
    'personal_links',
    'participants',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
