import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Knex } from 'knex';

const here = path.dirname(fileURLToPath(import.meta.url));

function readMunicipalities(): Array<{ kommunekode: string; navn: string; region: string; pilot: string }> {
  // Compiled migrations live under dist/, the CSV stays beside the sources.
  const candidates = [
    path.join(here, 'data/kommuner.csv'),
    path.join(here, '../../migrations/data/kommuner.csv'),
  ];
  const file = candidates.find((p) => fs.existsSync(p));
  if (!file) throw new Error('migrations/data/kommuner.csv not found');
  return parse(fs.readFileSync(file, 'utf8'), { delimiter: ';', columns: true, bom: true, trim: true });
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('waves', (t) => {
    t.integer('number').primary();
    t.string('label', 100).notNullable();
    t.string('planned_go_live', 10).nullable();
  });
  await knex.schema.createTable('municipalities', (t) => {
    t.integer('code').primary();
    t.string('name', 100).notNullable();
    t.string('region', 50).notNullable();
    t.boolean('pilot').notNullable().defaultTo(false);
    t.integer('wave').nullable().references('number').inTable('waves');
    t.string('go_live', 10).nullable();
    t.string('cvr', 8).notNullable().unique();
    t.string('results_email', 320).nullable();
  });
  await knex.schema.createTable('users', (t) => {
    t.increments('id').primary();
    t.string('persistent_uuid', 200).notNullable().unique();
    t.string('name', 200).notNullable();
    t.string('email', 320).nullable();
    t.integer('municipality_code').nullable().references('code').inTable('municipalities');
    t.string('loa', 20).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_login_at', { useTz: true }).nullable();
    t.index(['municipality_code']);
  });
  await knex.schema.createTable('user_roles', (t) => {
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('role', 50).notNullable();
    t.primary(['user_id', 'role']);
  });
  await knex.schema.createTable('sessions', (t) => {
    t.string('sid', 255).primary();
    t.json('sess').notNullable();
    t.timestamp('expired', { useTz: true }).notNullable().index();
  });
  await knex.schema.createTable('saml_requests', (t) => {
    t.string('id', 200).primary();
    t.bigInteger('created_at').notNullable().index();
  });
  await knex.schema.createTable('saml_used_responses', (t) => {
    t.string('in_response_to', 200).primary();
    t.bigInteger('used_at').notNullable().index();
  });
  await knex.schema.createTable('audit_log', (t) => {
    t.increments('id').primary();
    t.timestamp('at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.integer('actor_user_id').nullable();
    t.string('action', 100).notNullable();
    t.string('subject', 200).nullable();
    t.text('details').nullable();
    t.index(['action']);
  });

  const waves = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({
    number: n,
    label: n <= 2 ? `Bølge ${n} (pilot)` : n === 8 ? `Bølge ${n} (reserve)` : `Bølge ${n}`,
    planned_go_live: null,
  }));
  await knex('waves').insert(waves);
  const rows = readMunicipalities().map((r) => ({
    code: Number(r.kommunekode),
    name: r.navn,
    region: r.region,
    pilot: r.pilot === 'ja',
    wave: null,
    go_live: null,
    cvr: `19${r.kommunekode.padStart(3, '0')}000`,
  }));
  await knex.batchInsert('municipalities', rows, 50);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'audit_log',
    'saml_used_responses',
    'saml_requests',
    'sessions',
    'user_roles',
    'users',
    'municipalities',
    'waves',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
