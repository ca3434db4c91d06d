import request from 'supertest';
import type { Agent } from 'supertest';
import type { Express } from 'express';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { csrfFrom, loginThroughDevIdp, startLogin, type Persona } from '../support/saml.js';
import { addParticipant, planAndTick, roundId } from '../surveys/support.js';
import { content, takeAttempt } from '../elearning/support.js';
import { createLinkService } from '../../src/links/links.service.js';
import { outboxRepository } from '../../src/mail/outbox.repository.js';
import type { Db } from '../../src/db/knex.js';

/** Every route of the real app as `METHOD path`, found by walking Express 5's router stack (nested routers included). */
export function routeTable(app: Express): string[] {
  type Layer = {
    route?: { path: string | string[]; methods: Record<string, boolean> };
    handle?: { stack?: Layer[] };
    rawPath?: unknown;
  };
  const out = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const p of paths) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') out.add(`${method.toUpperCase()} ${prefix}${p}`);
          }
        }
      } else if (layer.handle?.stack) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(layer.handle.stack, prefix + mount);
      }
    }
  };
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  walk(router.stack, '');
  return [...out].sort();
}

/** The people of the matrix. Every municipal one is in Aarhus (751) except the "other" ones in København (101). */
export const PERSONAS = {
  caseworker: {
    municipality: 751,
    roles: ['sagsbehandler-ydelsescenter'],
    firstName: 'Sara',
    lastName: 'Sagsbehandler',
    email: 'sara.sag@aarhus.example.dk',
  },
  superuser: {
    municipality: 751,
    roles: ['superbruger'],
    firstName: 'Sune',
    lastName: 'Superbruger',
    email: 'sune.super@aarhus.example.dk',
  },
  otherCaseworker: {
    municipality: 101,
    roles: ['sagsbehandler-ydelsescenter'],
    firstName: 'Karl',
    lastName: 'København',
    email: 'karl.kbh@kk.example.dk',
  },
  leader: {
    municipality: 751,
    roles: ['leder-ydelsescenter'],
    firstName: 'Lene',
    lastName: 'Leder',
    email: 'lene.leder@aarhus.example.dk',
  },
  otherProjectLeader: {
    municipality: 101,
    roles: ['projektleder'],
    firstName: 'Kim',
    lastName: 'Projektleder',
    email: 'kim.pl@kk.example.dk',
  },
  kombit: {
    roles: ['kombit'],
    firstName: 'Karen',
    lastName: 'Konsulent',
    email: 'karen.k@kombit.example.dk',
  },
  administrator: {
    roles: ['administrator'],
    firstName: 'Adam',
    lastName: 'Administrator',
    email: 'adam.a@kombit.example.dk',
  },
  projectLeader: {
    municipality: 751,
    roles: ['projektleder'],
    firstName: 'Mette',
    lastName: 'Projektleder',
    email: 'mette.pl@aarhus.example.dk',
  },
} as const satisfies Record<string, Persona>;
export type PersonaName = keyof typeof PERSONAS;
/** Anonymous first, the Aarhus project leader last (her actions delete and re-issue). */
export const ROLES = ['anonymous', ...(Object.keys(PERSONAS) as PersonaName[])] as const;
export type RoleName = (typeof ROLES)[number];

/** Real rows the matrix and the fuzzer point at, all made through the app's own services and routes. */
export type World = {
  t: TestApp;
  aarhusRound: number;
  odenseOpenRound: number;
  odensePlannedRound: number;
  closedRound: number;
  participant: number;
  deletableParticipant: number;
  otherMunicipalityParticipant: number;
  courseSession: number;
  openAttempt: number;
  submittedAttempt: number;
  certificateCode: string;
  testLinkToken: string;
  mail: number;
  failedMail: number;
  attachment: number;
  module: string;
  huskeseddel: string;
  exercise: string;
};

export type Session = { agent: Agent; csrf: string };

/** Logs a persona in through the development IdP and reads the session's CSRF token off a form page. */
export async function sessionOf(app: Express, persona: Persona | null): Promise<Session> {
  const agent = request.agent(app);
  if (persona) {
    const res = await loginThroughDevIdp(agent, persona);
    if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
  }
  // The development IdP's persona form carries the session's CSRF token for anyone, logged in or not.
  const { location } = await startLogin(agent);
  const url = new URL(location);
  const page = await agent.get(url.pathname + url.search).expect(200);
  return { agent, csrf: csrfFrom(page.text) };
}

const postForm = async (s: Session, path: string, body: Record<string, unknown>) => {
  const res = await s.agent
    .post(path)
    .type('form')
    .send({ _csrf: s.csrf, ...body });
  if (res.status >= 400) throw new Error(`${path}: ${res.status} ${res.text.slice(0, 300)}`);
  return res;
};

export async function buildWorld(opts: { env?: Record<string, string> } = {}): Promise<World> {
  const clock = new FixedClock(new Date());
  const t = await createTestApp({ clock, env: opts.env });
  const goLive = new Date(Date.now() + 183 * 86_400_000).toISOString().slice(0, 10);
  await planAndTick(t, 751, goLive);
  await planAndTick(t, 461, goLive);
  await planAndTick(t, 101, goLive);
  const open = async (code: number, no: number) => {
    const id = await roundId(t, code, no);
    await t
      .db('survey_rounds')
      .where({ id })
      .whereNot({ state: 'open' })
      .update({ state: 'open', instrument_version: 1 });
    return id;
  };
  const aarhusRound = await open(751, 1);
  const odenseOpenRound = await open(461, 1);
  await open(101, 1);
  const odensePlannedRound = await roundId(t, 461, 2);
  const closedRound = await roundId(t, 101, 3);
  await t.db('survey_rounds').where({ id: closedRound }).update({ state: 'closed' });

  const participant = await addParticipant(t, 751, {
    name: 'Sara Sagsbehandler',
    email: PERSONAS.caseworker.email,
  });
  await addParticipant(t, 751, {
    name: 'Sune Superbruger',
    email: PERSONAS.superuser.email,
    superuser: true,
  });
  const otherMunicipalityParticipant = await addParticipant(t, 101, {
    name: 'Karl København',
    email: PERSONAS.otherCaseworker.email,
  });
  const deletableParticipant = await addParticipant(t, 751, {
    name: 'Dorte Deltager',
    email: 'dorte.slet@aarhus.example.dk',
  });

  const pl = await sessionOf(t.app, PERSONAS.projectLeader);
  await postForm(pl, '/kommune/kurser', { title: 'KSD i praksis', place: 'Rådhuset', heldOn: '2026-03-02' });
  const courseSession = Number(
    (await t.db('course_sessions').where({ municipality_code: 751 }).first('id')).id,
  );

  // The caseworker passes one attempt (certificate) and leaves a second one open.
  const cw = await sessionOf(t.app, PERSONAS.caseworker);
  const startAttempt = async () =>
    Number(
      String((await postForm(cw, '/e-laering/test/start', {})).headers.location).match(/forsoeg\/(\d+)/)![1],
    );
  const submittedAttempt = await startAttempt();
  if ((await takeAttempt(cw.agent, t.db, submittedAttempt, 20)).status !== 303)
    throw new Error('the first attempt was not handed in');
  const openAttempt = await startAttempt();
  const certificateCode = String((await t.db('certificates').first('code')).code);

  const links = createLinkService({ db: t.db, clock: t.deps.clock, publicUrl: t.deps.config.publicUrl });
  const { token: testLinkToken } = await links.issue(t.db, {
    purpose: 'test',
    municipalityCode: 751,
    participantId: participant,
    roundId: null,
    expiresAt: new Date(Date.now() + 7 * 86_400_000),
  });

  const mail = (await outboxRepository.insert(
    t.db,
    {
      idempotencyKey: 'matrix-1',
      kind: 'results',
      municipalityCode: 751,
      to: ['pl@aarhus.example.dk'],
      subject: 'Resultater',
      html: '<p>Resultater</p>',
      text: 'Resultater',
      containsLink: false,
      messageId: '<matrix-1@parat>',
      attachments: [
        { filename: 'resultater.csv', contentType: 'text/csv', content: Buffer.from('a;b\r\n1;2\r\n') },
      ],
    },
    'held',
    clock.now(),
  ))!;
  const failedMail = (await outboxRepository.insert(
    t.db,
    {
      idempotencyKey: 'matrix-2',
      kind: 'reminder',
      municipalityCode: 751,
      to: ['x@aarhus.example.dk'],
      subject: 'Påmindelse',
      html: '<p>Husk</p>',
      text: 'Husk',
      containsLink: false,
      messageId: '<matrix-2@parat>',
    },
    'pending',
    clock.now(),
  ))!;
  await t
    .db('outbox')
    .where({ id: failedMail })
    .update({ status: 'failed', last_error: '550 ukendt modtager' });
  const attachment = Number((await t.db('outbox_attachments').where({ outbox_id: mail }).first('id')).id);

  const exercise = content.exercises[0]!;
  return {
    t,
    aarhusRound,
    odenseOpenRound,
    odensePlannedRound,
    closedRound,
    participant,
    deletableParticipant,
    otherMunicipalityParticipant,
    courseSession,
    openAttempt,
    submittedAttempt,
    certificateCode,
    testLinkToken,
    mail,
    failedMail,
    attachment,
    module: exercise.module,
    huskeseddel: content.huskesedler[0]!.slug,
    exercise: exercise.id,
  };
}

/** Names of the tables of the schema (migration bookkeeping left out). */
export async function tableNames(db: Db): Promise<string[]> {
  if (db.client.config.client === 'pg') {
    const r = await db.raw(
      "select table_name as name from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE'",
    );
    return (r.rows as Array<{ name: string }>)
      .map((x) => x.name)
      .filter((n) => !n.startsWith('knex_'))
      .sort();
  }
  const rows = await db('sqlite_master').where({ type: 'table' }).select('name');
  return rows
    .map((x: { name: string }) => x.name)
    .filter((n: string) => !n.startsWith('knex_') && !n.startsWith('sqlite_'))
    .sort();
}

/**
 * The whole database as text: every row of every table, ordered by its columns. Sessions are counted
 * only (a rolling session rewrites its own expiry on every request).
 */
export async function snapshot(db: Db, tables: string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const table of tables) {
    if (table === 'sessions') {
      const r = await db(table).count<{ n: number }[]>({ n: '*' }).first();
      out[table] = `count=${Number(r?.n ?? 0)}`;
      continue;
    }
    const rows = await db(table).select('*');
    const lines = rows.map((r: Record<string, unknown>) =>
      JSON.stringify(r, (_k, v) =>
        v instanceof Date
          ? v.toISOString()
          : Buffer.isBuffer(v)
            ? v.toString('base64')
            : typeof v === 'bigint'
              ? String(v)
              : v,
      ),
    );
    out[table] = lines.sort().join('\n');
  }
  return out;
}

/** Table names whose contents differ between two snapshots. */
export const changedTables = (a: Record<string, string>, b: Record<string, string>): string[] =>
  Object.keys({ ...a, ...b }).filter((k) => a[k] !== b[k]);
