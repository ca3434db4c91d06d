import type { Knex } from 'knex';

/** Rate-limit counters per client address and limit, shared by every instance on PostgreSQL. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('bucket', 255).primary();
    t.integer('count').notNullable();
    t.bigInteger('reset_at').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('rate_limits');
}
