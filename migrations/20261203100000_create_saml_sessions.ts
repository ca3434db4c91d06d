import type { Knex } from 'knex';

/** Parat sessions by SAML NameID and SessionIndex, so an IdP's LogoutRequest can end them on any instance. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('saml_sessions', (t) => {
    t.string('sid', 255).primary();
    t.string('name_id', 500).notNullable().index();
    t.string('session_index', 200).nullable();
    t.bigInteger('created_at').notNullable().index();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('saml_sessions');
}
