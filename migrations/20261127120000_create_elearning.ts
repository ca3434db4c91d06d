import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // A learner is a participant (when there is one) or else a SAML user; see src/elearning/learners.ts.
  await knex.schema.createTable('learners', (t) => {
    t.increments('id').primary();
    t.string('learner_key', 40).notNullable().unique();
    t.integer('participant_id').nullable().references('id').inTable('participants').onDelete('CASCADE');
    t.integer('user_id').nullable().references('id').inTable('users').onDelete('CASCADE');
    t.integer('municipality_code').nullable().references('code').inTable('municipalities');
    t.string('name', 200).notNullable();
    t.string('learner_group', 40).notNullable();
    t.boolean('superuser').notNullable().defaultTo(false);
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.index(['municipality_code', 'learner_group']);
  });
  await knex.schema.createTable('elearning_progress', (t) => {
    t.integer('learner_id').notNullable().references('id').inTable('learners').onDelete('CASCADE');
    t.string('module_slug', 50).notNullable();
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('completed_at', { useTz: true }).nullable();
    t.integer('times_completed').notNullable().defaultTo(0);
    t.timestamp('last_visited_at', { useTz: true }).notNullable();
    t.primary(['learner_id', 'module_slug']);
  });
  await knex.schema.createTable('elearning_exercise_results', (t) => {
    t.integer('learner_id').notNullable().references('id').inTable('learners').onDelete('CASCADE');
    t.string('exercise_id', 50).notNullable();
    t.timestamp('completed_at', { useTz: true }).notNullable();
    t.integer('times_completed').notNullable().defaultTo(1);
    t.primary(['learner_id', 'exercise_id']);
  });
  await knex.schema.createTable('quiz_attempts', (t) => {
    t.increments('id').primary();
    t.integer('learner_id').notNullable().references('id').inTable('learners').onDelete('CASCADE');
    t.timestamp('started_at', { useTz: true }).notNullable();
    t.timestamp('submitted_at', { useTz: true }).nullable();
    t.integer('question_count').notNullable();
    t.integer('correct_count').nullable();
    t.integer('pass_percent').notNullable();
    t.boolean('passed').nullable();
    t.index(['learner_id', 'submitted_at']);
  });
  await knex.schema.createTable('quiz_attempt_items', (t) => {
    t.integer('attempt_id').notNullable().references('id').inTable('quiz_attempts').onDelete('CASCADE');
    t.integer('position').notNullable();
    t.string('question_id', 20).notNullable();
    t.string('objective_id', 20).notNullable();
    // JSON array of option ids in the order shown to this learner.
    t.text('option_order').notNullable();
    // JSON array of selected option ids; null until answered.
    t.text('selected').nullable();
    t.boolean('correct').nullable();
    t.primary(['attempt_id', 'position']);
    t.index(['question_id']);
  });
  await knex.schema.createTable('certificates', (t) => {
    t.increments('id').primary();
    t.integer('learner_id').notNullable().unique().references('id').inTable('learners').onDelete('CASCADE');
    t.string('code', 20).notNullable().unique();
    t.string('name', 200).notNullable();
    t.integer('municipality_code').nullable().references('code').inTable('municipalities');
    t.string('passed_on', 10).notNullable();
    t.integer('attempt_id').notNullable().references('id').inTable('quiz_attempts').onDelete('CASCADE');
  });
  await knex.schema.createTable('course_sessions', (t) => {
    t.increments('id').primary();
    t.integer('municipality_code').notNullable().references('code').inTable('municipalities');
    t.string('title', 200).notNullable();
    t.string('place', 200).notNullable();
    t.string('held_on', 10).notNullable();
    t.string('code', 12).notNullable().unique();
    t.integer('created_by_user_id').nullable().references('id').inTable('users').onDelete('SET NULL');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.index(['municipality_code']);
  });
  // Whether a person has evaluated; no link to the response (PRODUCT.md "Anonymity").
  await knex.schema.createTable('evaluation_participation', (t) => {
    t.string('scope', 40).notNullable();
    t.string('person_key', 40).notNullable();
    t.primary(['scope', 'person_key']);
  });
  // Anonymous by construction: no participant, user, token or time; a random id gives no order.
  await knex.schema.createTable('evaluation_responses', (t) => {
    t.string('id', 36).primary();
    t.integer('municipality_code').notNullable();
    t.string('kind', 20).notNullable();
    t.integer('course_session_id').nullable().references('id').inTable('course_sessions').onDelete('CASCADE');
    t.text('answers').notNullable();
    t.text('comment').nullable();
    t.index(['municipality_code', 'kind']);
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'evaluation_responses',
    'evaluation_participation',
    'course_sessions',
    'certificates',
    'quiz_attempt_items',
    'quiz_attempts',
    'elearning_exercise_results',
    'elearning_progress',
    'learners',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
