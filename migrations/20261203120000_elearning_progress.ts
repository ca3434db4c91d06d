import type { Knex } from 'knex';

/**
 * What a module's completion rests on (src/elearning/elearning.service.ts): the pages a learner has seen
 * and the exercise steps they have answered correctly. Solved exercises stay in elearning_exercise_results.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('elearning_page_visits', (t) => {
    t.integer('learner_id').notNullable().references('id').inTable('learners').onDelete('CASCADE');
    t.string('module_slug', 50).notNullable();
    t.string('page', 80).notNullable();
    t.timestamp('first_seen_at', { useTz: true }).notNullable();
    t.timestamp('last_seen_at', { useTz: true }).notNullable();
    t.primary(['learner_id', 'module_slug', 'page']);
  });
  await knex.schema.createTable('elearning_exercise_steps', (t) => {
    t.integer('learner_id').notNullable().references('id').inTable('learners').onDelete('CASCADE');
    t.string('exercise_id', 50).notNullable();
    t.string('step_id', 50).notNullable();
    t.timestamp('solved_at', { useTz: true }).notNullable();
    t.primary(['learner_id', 'exercise_id', 'step_id']);
  });
  // The test figures count registered participants per municipality and group, and subtract those who
  // already have a learner row; both indexes keep that cheap on a national participant list.
  await knex.schema.alterTable('learners', (t) => {
    t.index(['participant_id'], 'learners_participant_id_index');
  });
  await knex.schema.alterTable('participants', (t) => {
    t.index(['municipality_code', 'survey_group', 'superuser'], 'participants_learner_count_index');
  });
  // A module marked complete before this migration was marked from its own page (the form is only there),
  // so that page has been seen. Job aids and exercise steps were not recorded and are not assumed.
  await knex.raw(
    `insert into elearning_page_visits (learner_id, module_slug, page, first_seen_at, last_seen_at)
     select learner_id, module_slug, 'modul', completed_at, completed_at from elearning_progress where completed_at is not null`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('participants', (t) => {
    t.dropIndex(['municipality_code', 'survey_group', 'superuser'], 'participants_learner_count_index');
  });
  await knex.schema.alterTable('learners', (t) => {
    t.dropIndex(['participant_id'], 'learners_participant_id_index');
  });
  await knex.schema.dropTableIfExists('elearning_exercise_steps');
  await knex.schema.dropTableIfExists('elearning_page_visits');
}
