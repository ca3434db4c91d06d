import type { Knex } from 'knex';

export async function up(knex: Knex): Promise<void> {
  // Written in the same transaction as the change that causes the mail; the worker sends it later.
  await knex.schema.createTable('outbox', (t) => {
    t.increments('id').primary();
    // One message per cause: a second insert with the same key is ignored.
    t.string('idempotency_key', 200).notNullable().unique();
    t.string('kind', 40).notNullable();
    t.integer('municipality_code').nullable();
    // JSON array of addresses.
    t.text('recipients').notNullable();
    t.string('subject', 300).notNullable();
    // Cleared after sending when the body holds a personal link (only the link's hash is kept elsewhere).
    t.text('html').nullable();
    t.text('text').nullable();
    t.boolean('contains_link').notNullable().defaultTo(false);
    t.string('message_id', 200).notNullable();
    // held (no SMTP configured) | pending | sending | sent | failed
    t.string('status', 10).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.timestamp('claimed_until', { useTz: true }).nullable();
    t.string('claimed_by', 64).nullable();
    t.text('last_error').nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('sent_at', { useTz: true }).nullable();
    t.index(['status', 'next_attempt_at']);
    t.index(['created_at']);
  });
  await knex.schema.createTable('outbox_attachments', (t) => {
    t.increments('id').primary();
    t.integer('outbox_id').notNullable().references('id').inTable('outbox').onDelete('CASCADE');
    t.string('filename', 200).notNullable();
    t.string('content_type', 200).notNullable();
    t.binary('content').notNullable();
    t.integer('size').notNullable();
    t.index(['outbox_id']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('outbox_attachments');
  await knex.schema.dropTableIfExists('outbox');
}
