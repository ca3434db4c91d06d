import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Response } from 'supertest';
import {
  buildWorld,
  changedTables,
  PERSONAS,
  routeTable,
  sessionOf,
  snapshot,
  tableNames,
  type RoleName,
  type Session,
  type World,
} from './world.js';
import { answersFor, content } from '../elearning/support.js';

/**
 * Every POST of the app, fed hostile bodies with a valid session and CSRF token. A form body is a
 * valid one with at least one field broken (missing, repeated into an array, nested into an object,
 * or a value the field refuses), plus hostile noise (prototype-pollution keys, unicode, formula
 * characters, long strings). The answer must be the form's 4xx, as a Danish page, and the database
 * must be exactly as before: no table's rows change (sessions are counted only).
 */

type Pair = [string, string];
type Field = {
  /** The value of a valid body. */
  valid: string | string[];
  /** Leaving the field out is itself invalid. */
  required: boolean;
  /** Sending the field twice (an array) is invalid. */
  scalar: boolean;
  /** Values the field must refuse (none: only its shape can be broken). */
  bad?: fc.Arbitrary<string>;
};
type Form = {
  who: RoleName;
  path: (w: World) => string;
  fields: (w: World) => Promise<Record<string, Field>> | Record<string, Field>;
  /** Fields that are sent as they are (not broken), e.g. the button pressed. */
  fixed?: Record<string, string>;
  /** Sent as multipart/form-data with the CSV in the file field `fil` (the CSRF token in the query). */
  file?: boolean;
  status: number[];
  /** Sent without a CSRF token (the SAML ACS, which the IdP posts cross-site). */
  noCsrf?: boolean;
  runs?: number;
  /** Each refusal writes one audit line with this action (and nothing else is stored). */
  auditedAs?: string;
};

const FORMULA = ['=1+1', "=cmd|' /C calc'!A0", '+1', '-1', '@SUM(A1)', '=HYPERLINK("http://x")'];
const huge = (min: number) =>
  fc.string({ minLength: min, maxLength: min + 200 }).map((s) => s.padEnd(min + 1, 'æ'));
const notIn = (allowed: readonly string[]) =>
  fc
    .oneof(
      fc.string({ unit: 'grapheme', maxLength: 30 }),
      fc.constantFrom(...FORMULA, '', ' ', '\u0000', '\uFEFF', 'null', 'undefined', '[object Object]'),
    )
    .filter((s) => !allowed.includes(s));
const badDate = fc.oneof(
  fc.constantFrom(
    '2026-13-01',
    '2026-02-30',
    '31-12-2026',
    '2026/01/01',
    '20260101',
    '',
    'i morgen',
    '2026-1-1',
    ...FORMULA,
  ),
  fc.string({ maxLength: 12 }).filter((s) => !/^\d{4}-\d{2}-\d{2}$/.test(s)),
);
const badEmail = fc.oneof(
  fc.constantFrom('ikke-en-mail', 'a@', '@b.dk', 'a b@c.dk', '=1+1@x.dk'.replace('@', ''), '', ...FORMULA),
  fc.string({ maxLength: 30 }).filter((s) => !s.includes('@')),
);
const text = (max: number, opts: { formula?: boolean; empty?: boolean } = {}) =>
  fc.oneof(
    huge(max),
    ...(opts.empty === false ? [] : [fc.constantFrom('', '   ', '\t')]),
    ...(opts.formula ? [fc.constantFrom(...FORMULA, ' =1+1', 'linje\nskift', 'tab\there')] : []),
  );
const str = (valid: string, bad: fc.Arbitrary<string>, required = true): Field => ({
  valid,
  required,
  scalar: true,
  bad,
});

const hostileKey = fc.constantFrom(
  '__proto__[admin]',
  '__proto__',
  'constructor[prototype][admin]',
  'a[__proto__][b]',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'ø💥',
  'x'.repeat(300),
);
const hostileValue = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    ...FORMULA,
    '\u0000',
    '\uFEFF\u202E',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    '../../etc/passwd',
    '%00',
  ),
  huge(3000),
);

/** One invalid body: a non-empty set of fields broken, plus noise. */
function invalidBody(fields: Record<string, Field>): fc.Arbitrary<Pair[]> {
  const names = Object.keys(fields);
  const breakerOf = (name: string): fc.Arbitrary<Pair[]> => {
    const f = fields[name]!;
    const options: Array<fc.Arbitrary<Pair[]>> = f.bad ? [f.bad.map((v) => [[name, v]] as Pair[])] : [];
    if (f.required) options.push(fc.constant([]));
    if (f.scalar)
      options.push(
        fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 })).map(
          ([a, b]) =>
            [
              [name, a],
              [name, b],
            ] as Pair[],
        ),
      );
    options.push(fc.string({ maxLength: 10 }).map((v) => [[`${name}[x]`, v]] as Pair[]));
    options.push(fc.constant([[`${name}[a][b][c][d][e][f][g]`, '1']] as Pair[]));
    return fc.oneof(...options);
  };
  return fc.subarray(names, { minLength: 1 }).chain((broken) =>
    fc
      .tuple(
        fc.tuple(...broken.map((n) => breakerOf(n))),
        fc.array(fc.tuple(hostileKey, hostileValue), { maxLength: 3 }),
      )
      .map(([brokenPairs, noise]) => {
        const pairs: Pair[] = [];
        for (const n of names) {
          if (broken.includes(n)) continue;
          const v = fields[n]!.valid;
          for (const x of Array.isArray(v) ? v : [v]) pairs.push([n, x]);
        }
        return [...pairs, ...brokenPairs.flat(), ...(noise as Pair[])];
      }),
  );
}

const encode = (pairs: Pair[]) =>
  pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

let w: World;
const sessions = new Map<RoleName, Session>();
let quizBody: Record<string, string | string[]> = {};
let tables: string[] = [];

const choice = (ids: string[]) => ({ valid: ids[0]!, required: true, scalar: true, bad: notIn(ids) });

const FORMS: Record<string, Form> = {
  'POST /dev-idp/sso': {
    who: 'anonymous',
    path: () => '/dev-idp/sso',
    status: [422],
    fields: () => ({
      requestId: str('_req1', fc.oneof(fc.constant(''), huge(200))),
      relayState: str('', huge(500), false),
      municipality: str(
        '751',
        fc.constantFrom('abc', '1.5', '99999', 'NaN', '7 51', '0x2EF'.slice(0, 2) + 'zz'),
      ),
      roles: {
        valid: ['projektleder'],
        required: true,
        scalar: false,
        bad: notIn([
          'projektleder',
          'superbruger',
          'kombit',
          'administrator',
          'informationssoegende',
          'leder-jobcenter',
          'leder-ydelsescenter',
          'sagsbehandler-udenfor',
          'sagsbehandler-ydelsescenter',
        ]),
      },
      firstName: str('Fie', text(100)),
      lastName: str('Fuzz', text(100)),
      email: str('fie.fuzz@aarhus.example.dk', badEmail),
    }),
  },
  'POST /undersoegelse/:roundId/side/:page': {
    who: 'caseworker',
    path: (w) => `/undersoegelse/${w.aarhusRound}/side/1`,
    status: [422],
    fixed: { handling: 'naeste' },
    fields: async (w) => {
      const page = await sessions
        .get('caseworker')!
        .agent.get(`/undersoegelse/${w.aarhusRound}/side/1`)
        .expect(200);
      const ids = [...new Set([...page.text.matchAll(/name="([a-z]{3}\d)" value="1"/g)].map((m) => m[1]!))];
      expect(ids.length).toBeGreaterThan(2);
      const bad = fc.oneof(
        fc.constantFrom(
          '0',
          '6',
          '-1',
          '1.5',
          ' 3',
          '3 ',
          '+4',
          '03',
          '0x3',
          '1e0',
          '3.0',
          'VEDIKKE',
          'ved ikke',
          '',
        ),
        notIn(['1', '2', '3', '4', '5', 'vedikke']),
      );
      return Object.fromEntries(ids.map((id) => [id, str('3', bad)]));
    },
  },
  'POST /kommune/deltagere': {
    who: 'projectLeader',
    path: () => '/kommune/deltagere',
    status: [422],
    fields: () => ({
      name: str('Fie Fuzz', text(200, { formula: true })),
      email: str('fie.ny@aarhus.example.dk', fc.oneof(badEmail, fc.constant(PERSONAS.caseworker.email))),
      surveyGroup: str(
        'sagsbehandler-ydelsescenter',
        notIn([
          'sagsbehandler-ydelsescenter',
          'sagsbehandler-udenfor',
          'informationssoegende',
          'leder-ydelsescenter',
          'leder-jobcenter',
        ]),
      ),
      superuser: { valid: 'ja', required: false, scalar: true },
    }),
  },
  'POST /kommune/deltagere/:id': {
    who: 'projectLeader',
    path: (w) => `/kommune/deltagere/${w.participant}`,
    status: [422],
    fields: () => ({
      name: str('Sara Omdøbt', text(200, { formula: true })),
      email: str('sara.ny@aarhus.example.dk', fc.oneof(badEmail, fc.constant(PERSONAS.superuser.email))),
      surveyGroup: str(
        'leder-jobcenter',
        notIn([
          'sagsbehandler-ydelsescenter',
          'sagsbehandler-udenfor',
          'informationssoegende',
          'leder-ydelsescenter',
          'leder-jobcenter',
        ]),
      ),
    }),
  },
  'POST /kommune/deltagere/import': {
    who: 'projectLeader',
    path: () => '/kommune/deltagere/import',
    status: [422],
    fields: () => ({
      csv: str(
        'navn;email;gruppe;superbruger\r\nFie Fuzz;fie.import@aarhus.example.dk;sagsbehandler-ydelsescenter;nej\r\n',
        fc
          .tuple(
            fc.array(
              fc.tuple(fc.constantFrom('Ny Person', 'Anden Person'), fc.integer({ min: 1, max: 999 })),
              { maxLength: 3 },
            ),
            fc.oneof(
              fc.tuple(
                fc.constantFrom(...FORMULA),
                fc.constant('x@aarhus.example.dk'),
                fc.constant('sagsbehandler-ydelsescenter'),
              ),
              fc.tuple(
                fc.constant('God Navn'),
                badEmail.filter((e) => !e.includes(';') && !/[\r\n"]/.test(e)),
                fc.constant('sagsbehandler-ydelsescenter'),
              ),
              fc.tuple(
                fc.constant('God Navn'),
                fc.constant('god@aarhus.example.dk'),
                fc.constantFrom('chef', 'kombit', ''),
              ),
            ),
            fc.constantFrom('navn;email;gruppe;superbruger', 'NAVN;E-MAIL;GRUPPE', 'navn;email;gruppe'),
          )
          .map(([good, badRow, header]) =>
            [
              header,
              ...good.map(([n, i]) => `${n};ny${i}@aarhus.example.dk;sagsbehandler-ydelsescenter`),
              badRow.join(';'),
            ].join('\r\n'),
          )
          .chain((csv) =>
            fc.oneof(
              fc.constant(csv),
              fc.constant('navn;email\r\nA;a@b.dk'),
              fc.constant('\uFEFF'),
              fc.constant('"uafsluttet;citat\r\n'),
            ),
          ),
      ),
    }),
  },
  'POST /kommune/kurser': {
    who: 'projectLeader',
    path: () => '/kommune/kurser',
    status: [422],
    fields: () => ({
      title: str('Fuzz-kursus', text(200)),
      place: str('Rådhuset', text(200)),
      heldOn: str('2026-05-04', badDate),
    }),
  },
  'POST /national/plan': {
    who: 'kombit',
    path: () => '/national/plan',
    // Two files in the one file field is refused by the upload itself (400), everything else by the import (422).
    status: [400, 422],
    file: true,
    fields: () => ({
      fil: str(
        'kommunekode;bolge;golive\r\n751;2;2027-01-01\r\n',
        fc
          .tuple(
            fc.constantFrom(
              'kommunekode;bolge;golive',
              'kommunekode;bølge;idriftsaettelse',
              'kode;bolge;golive',
              '',
            ),
            fc.oneof(
              fc.tuple(
                fc.constantFrom('999', '0', 'abc', '=1+1', ''),
                fc.constant('2'),
                fc.constant('2027-01-01'),
              ),
              // An empty wave or date clears it, and DD-MM-ÅÅÅÅ is read too: neither is broken here.
              fc.tuple(
                fc.constant('751'),
                fc.constantFrom('0', '9', 'x', '1.5', '=1'),
                fc.constant('2027-01-01'),
              ),
              fc.tuple(
                fc.constant('751'),
                fc.constant('2'),
                badDate.filter(
                  (d) => d.trim() !== '' && !/[;\r\n"]/.test(d) && !/^\d{1,2}-\d{1,2}-\d{4}$/.test(d),
                ),
              ),
            ),
          )
          .map(([header, row]) => `${header}\r\n101;3;2027-02-01\r\n${row.join(';')}\r\n`),
      ),
    }),
  },
  'POST /national/kommuner/:code/plan': {
    who: 'kombit',
    path: () => '/national/kommuner/751/plan',
    status: [422],
    fields: () => ({
      wave: str('2', fc.constantFrom('0', '9', '-1', '1.5', 'x', 'to', '1e9', 'Infinity', 'NaN', ...FORMULA)),
      goLive: str(
        '2027-01-01',
        badDate.filter((d) => d !== ''),
      ),
    }),
  },
  'POST /national/runder/:roundId/forlaeng': {
    who: 'kombit',
    path: (w) => `/national/runder/${w.odenseOpenRound}/forlaeng`,
    status: [422],
    fields: () => ({
      closesOn: str('2099-01-01', fc.oneof(badDate, fc.constantFrom('2000-01-01', '1970-01-01'))),
    }),
  },
  'POST /admin/kommuner/:code/cvr': {
    who: 'administrator',
    path: () => '/admin/kommuner/751/cvr',
    status: [422],
    fields: (w) => ({
      cvr: str(
        '12345678',
        fc.oneof(
          fc.constantFrom(
            '1234567',
            '123456789',
            '1234 5678',
            'abcdefgh',
            '',
            w.t.deps.config.kombitCvr,
            '١٢٣٤٥٦٧٨',
            ...FORMULA,
          ),
          fc.string({ maxLength: 12 }).filter((s) => !/^\s*\d{8}\s*$/.test(s)),
        ),
      ),
    }),
  },
  'POST /e-laering/oevelser/:id/trin/:n': {
    who: 'caseworker',
    path: (w) => `/e-laering/oevelser/${w.exercise}/trin/1`,
    status: [422],
    fields: (w) => ({
      valg: choice(content.exercises.find((e) => e.id === w.exercise)!.steps[0]!.options.map((o) => o.id)),
    }),
  },
  'POST /e-laering/test/forsoeg/:id': {
    who: 'caseworker',
    path: (w) => `/e-laering/test/forsoeg/${w.openAttempt}`,
    status: [422],
    fixed: { handling: 'gem', side: '1' },
    fields: async (w) => {
      quizBody = await answersFor(w.t.db, w.openAttempt, 20);
      const items = await w.t
        .db('quiz_attempt_items')
        .where({ attempt_id: w.openAttempt })
        .orderBy('position');
      const optionsOf = (position: number): string[] => {
        const raw = items.find((i) => Number(i.position) === position)!.option_tokens;
        return typeof raw === 'string' ? JSON.parse(raw) : raw;
      };
      const out: Record<string, Field> = {};
      for (const [key, v] of Object.entries(quizBody).slice(0, 4)) {
        const options = optionsOf(Number(key.slice(1)));
        out[key] = {
          valid: v,
          required: false,
          scalar: !Array.isArray(v),
          bad: fc
            .oneof(
              fc.constantFrom('ZZZ', 'q1', '<b>', 'æøå', '', ' ', '💥', 'a'.repeat(21)),
              fc.string({ maxLength: 25 }),
            )
            .filter((s) => !options.includes(s)),
        };
      }
      out.q999 = { valid: [], required: false, scalar: false, bad: fc.constant(optionsOf(1)[0]!) };
      return out;
    },
  },
  'POST /evaluering/e-laering': {
    who: 'caseworker',
    path: () => '/evaluering/e-laering',
    status: [422],
    fields: () => evaluationFields('elearning'),
  },
  'POST /evaluering/kursus/:id': {
    who: 'caseworker',
    path: (w) => `/evaluering/kursus/${w.courseSession}`,
    status: [422],
    fields: () => evaluationFields('classroom'),
  },
  'POST /saml/acs': {
    who: 'anonymous',
    path: () => '/saml/acs',
    status: [403],
    noCsrf: true,
    auditedAs: 'login-refused',
    // Refused responses count towards the ACS rate limit (30 per address and window).
    runs: 20,
    fields: () => ({
      SAMLResponse: str(
        'PHNhbWxwOlJlc3BvbnNlLz4=',
        fc.oneof(
          fc.string({ maxLength: 200 }).map((s) => Buffer.from(s).toString('base64')),
          fc
            .constantFrom(
              '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&e;</samlp:Response>',
              '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" InResponseTo="_x"><EncryptedAssertion/></samlp:Response>',
              '<?xml version="1.0"?><a><b><c><d>',
              '<samlp:Response ID="1" InResponseTo="\'; drop table users; --"/>',
            )
            .map((s) => Buffer.from(s).toString('base64')),
          fc.string({ maxLength: 50 }),
        ),
      ),
      RelayState: str(
        '/kommune',
        fc.constantFrom('//evil.example', 'https://evil.example', '/\\evil', 'javascript:alert(1)'),
        false,
      ),
    }),
  },
};

function evaluationFields(kind: 'elearning' | 'classroom'): Record<string, Field> {
  const form = content.evaluations[kind];
  const scale = ['1', '2', '3', '4', '5'];
  const out: Record<string, Field> = {};
  for (const item of form.items)
    out[item.id] = str('4', fc.oneof(fc.constantFrom('0', '6', '4.0', ' 4', '+4', ''), notIn(scale)));
  out[form.freeText.id] = { valid: 'God dag', required: false, scalar: true, bad: huge(2000) };
  return out;
}

/** Posts without form fields: hostile fields are ignored, and the answer is the one the row's state gives. */
const ACTIONS: Record<string, { who: RoleName; path: (w: World) => string; status: number }> = {
  'POST /e-laering/test/start': { who: 'caseworker', path: () => '/e-laering/test/start', status: 303 },
  'POST /e-laering/test/forsoeg/:id/aflever': {
    who: 'caseworker',
    path: (w) => `/e-laering/test/forsoeg/${w.submittedAttempt}/aflever`,
    status: 409,
  },
  'POST /saml/logout': { who: 'anonymous', path: () => '/saml/logout', status: 303 },
  'POST /e-laering/moduler/:slug/gennemfoert': {
    who: 'caseworker',
    path: () => '/e-laering/moduler/findes-ikke/gennemfoert',
    status: 404,
  },
  'POST /kommune/deltagere/:id/slet': {
    who: 'projectLeader',
    path: (w) => `/kommune/deltagere/${w.otherMunicipalityParticipant}/slet`,
    status: 404,
  },
  'POST /kommune/runder/:roundId/links': {
    who: 'projectLeader',
    path: (w) => `/kommune/runder/${w.closedRound}/links`,
    status: 404,
  },
  'POST /kommune/runder/:roundId/invitationer': {
    who: 'projectLeader',
    path: (w) => `/kommune/runder/${w.closedRound}/invitationer`,
    status: 404,
  },
  'POST /national/runder/:roundId/aabn': {
    who: 'kombit',
    path: (w) => `/national/runder/${w.aarhusRound}/aabn`,
    status: 409,
  },
  'POST /national/runder/:roundId/luk': {
    who: 'kombit',
    path: (w) => `/national/runder/${w.closedRound}/luk`,
    status: 409,
  },
  'POST /admin/mail/:id/send-igen': {
    who: 'administrator',
    path: (w) => `/admin/mail/${w.mail}/send-igen`,
    status: 409,
  },
};

beforeAll(async () => {
  w = await buildWorld();
  tables = await tableNames(w.t.db);
  const needed = new Set<RoleName>([...Object.values(FORMS), ...Object.values(ACTIONS)].map((f) => f.who));
  for (const role of needed)
    sessions.set(
      role,
      await sessionOf(w.t.app, role === 'anonymous' ? null : PERSONAS[role as keyof typeof PERSONAS]),
    );
});
afterAll(async () => w.t.close());

async function send(
  form: { who: RoleName; path: (w: World) => string; file?: boolean; noCsrf?: boolean },
  pairs: Pair[],
): Promise<Response> {
  const s = sessions.get(form.who)!;
  const path = form.path(w);
  if (form.file) {
    // As the page's form: the token in the query (checked before the upload is read) and as a field.
    const req = s.agent.post(`${path}?_csrf=${encodeURIComponent(s.csrf)}`).field('_csrf', s.csrf);
    for (const [k, v] of pairs) {
      if (k === 'fil') req.attach('fil', Buffer.from(v, 'utf8'), 'plan.csv');
      else req.field(k, v);
    }
    return req;
  }
  const body = form.noCsrf ? encode(pairs) : encode([['_csrf', s.csrf], ...pairs]);
  return s.agent.post(path).type('form').send(body);
}

const danishRefusal = (res: Response) =>
  String(res.headers['content-type']).startsWith('text/html') &&
  res.text.includes('<html lang="da">') &&
  !res.text.includes('uventet fejl');

describe('fuzzing every POST of the app', () => {
  it('when the POST routes of the real app are listed, then each is fuzzed here as a form or as an action', () => {
    const posts = routeTable(w.t.app).filter((r) => r.startsWith('POST '));
    expect(
      posts.filter((r) => !(r in FORMS) && !(r in ACTIONS)),
      'POST routes not fuzzed',
    ).toEqual([]);
    expect(
      [...Object.keys(FORMS), ...Object.keys(ACTIONS)].filter((r) => !posts.includes(r)),
      'entries that name no route',
    ).toEqual([]);
  });

  for (const [key, form] of Object.entries(FORMS)) {
    it(`when ${key} gets hostile bodies, then it answers ${form.status.join(' or ')} with a Danish page and stores nothing`, async () => {
      const fields = await form.fields(w);
      // The valid body is accepted as valid: shown by the fuzzer's own baseline, never sent (it would store).
      const watched = form.auditedAs ? tables.filter((table) => table !== 'audit_log') : tables;
      const before = await snapshot(w.t.db, watched);
      await fc.assert(
        fc.asyncProperty(invalidBody(fields), async (pairs) => {
          const all: Pair[] = [...pairs, ...Object.entries(form.fixed ?? {})];
          const lastAudit = Number(
            (await w.t.db('audit_log').max<{ m: number }[]>({ m: 'id' }).first())?.m ?? 0,
          );
          const res = await send(form, all);
          expect(form.status, `${key} answered ${res.status}: ${res.text.slice(0, 200)}`).toContain(
            res.status,
          );
          expect(danishRefusal(res), `${key}: not a Danish refusal page`).toBe(true);
          expect(changedTables(before, await snapshot(w.t.db, watched)), `${key}: tables changed`).toEqual(
            [],
          );
          if (form.auditedAs) {
            const added = await w.t.db('audit_log').where('id', '>', lastAudit).pluck('action');
            expect(added, `${key}: one audit line per refusal`).toEqual([form.auditedAs]);
          }
        }),
        { numRuns: form.runs ?? Number(process.env.FUZZ_RUNS ?? 30), endOnFailure: true },
      );
    });
  }

  for (const [key, action] of Object.entries(ACTIONS)) {
    it(`when ${key} gets hostile fields, then they are ignored: ${action.status}, nothing stored`, async () => {
      const before = await snapshot(w.t.db, tables);
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.oneof(hostileKey, fc.string({ maxLength: 10 })), hostileValue), {
            maxLength: 4,
          }),
          async (noise) => {
            const res = await send(action, noise.filter(([k]) => k !== '_csrf') as Pair[]);
            expect(res.status, `${key}: ${res.text.slice(0, 200)}`).toBe(action.status);
            expect(changedTables(before, await snapshot(w.t.db, tables))).toEqual([]);
          },
        ),
        { numRuns: 15, endOnFailure: true },
      );
    });
  }

  it('when a survey page with a bad answer is left with "forrige", then the answers are dropped: back to the page before, nothing stored', async () => {
    const s = sessions.get('caseworker')!;
    const before = await snapshot(w.t.db, tables);
    const res = await s.agent
      .post(`/undersoegelse/${w.aarhusRound}/side/2`)
      .type('form')
      .send({ _csrf: s.csrf, handling: 'forrige', mot1: '9' });
    expect([res.status, res.headers.location]).toEqual([303, `/undersoegelse/${w.aarhusRound}/side/1`]);
    expect(changedTables(before, await snapshot(w.t.db, tables))).toEqual([]);
  });

  it('when a body breaks the transport (too many fields, a cut-off or oversized upload), then it is a Danish 400 or 413 and nothing is stored', async () => {
    const before = await snapshot(w.t.db, tables);
    const pl = sessions.get('projectLeader')!;
    const many = encode([
      ['_csrf', pl.csrf],
      ...Array.from({ length: 1001 }, (_, i) => [`f${i}`, 'x'] as Pair),
    ]);
    const tooMany = await pl.agent.post('/kommune/deltagere').type('form').send(many);
    expect([tooMany.status, danishRefusal(tooMany)]).toEqual([413, true]);
    const cut = await pl.agent
      .post(`/kommune/deltagere/import?_csrf=${encodeURIComponent(pl.csrf)}`)
      .set('Content-Type', 'multipart/form-data; boundary=XYZ')
      .send('--XYZ\r\nContent-Disposition: form-data; name="fil"; filename="a.csv"\r\n\r\nnavn;email');
    expect([cut.status, danishRefusal(cut)]).toEqual([400, true]);
    const big = await pl.agent
      .post(`/kommune/deltagere/import?_csrf=${encodeURIComponent(pl.csrf)}`)
      .attach('fil', Buffer.alloc(2 * 1024 * 1024 + 10, 'a'), 'stor.csv');
    expect([big.status, danishRefusal(big), big.text.includes('Filen er for stor')]).toEqual([
      413,
      true,
      true,
    ]);
    const otherField = await pl.agent
      .post(`/kommune/deltagere/import?_csrf=${encodeURIComponent(pl.csrf)}`)
      .attach('andet', Buffer.from('navn;email;gruppe\r\n'), 'a.csv');
    expect([otherField.status, danishRefusal(otherField)]).toEqual([400, true]);
    expect(changedTables(before, await snapshot(w.t.db, tables))).toEqual([]);
  });

  it('when the valid bodies the fuzzer starts from are sent, then they are accepted (so the refusals above are about the broken fields)', async () => {
    for (const key of [
      'POST /kommune/kurser',
      'POST /national/kommuner/:code/plan',
      'POST /admin/kommuner/:code/cvr',
      'POST /e-laering/oevelser/:id/trin/:n',
      'POST /kommune/deltagere/:id',
    ] as const) {
      const form = FORMS[key]!;
      const fields = await form.fields(w);
      const pairs: Pair[] = Object.entries(fields).flatMap(([n, f]) =>
        Array.isArray(f.valid) ? f.valid.map((v) => [n, v] as Pair) : [[n, f.valid] as Pair],
      );
      const res = await send(form, pairs);
      expect([key, res.status < 400]).toEqual([key, true]);
    }
  });
});
