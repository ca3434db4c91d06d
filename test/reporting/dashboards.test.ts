import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { addParticipant, loggedIn, planAndTick, roundId } from '../surveys/support.js';

let t: TestApp;
let aarhusRound: number;
const ITEMS = [
  ['opm1', 'opm2', 'opm3', 'opm4'],
  ['mot1', 'mot2', 'mot3', 'mot4'],
  ['vid1', 'vid2', 'vid3', 'vid4'],
  ['sto1', 'sto2', 'sto3', 'sto4'],
  ['ane1', 'ane2', 'ane3', 'ane4'],
];
async function respond(code: number, round: number, group: string, scores: number[]) {
  const answers = Object.fromEntries(ITEMS.flatMap((ids, e) => ids.map((id) => [id, scores[e]!])));
  await t.db('survey_responses').insert({
    id: crypto.randomUUID(),
    round_id: round,
    municipality_code: code,
    round_no: 1,
    survey_group: group,
    instrument_version: 1,
    answers: JSON.stringify(answers),
    comment: null,
  });
  const pid = await addParticipant(t, code, { email: `${crypto.randomUUID()}@x.dk`, group });
  await t.db('survey_participation').insert({ round_id: round, participant_id: pid, submitted: true });
}

beforeAll(async () => {
  t = await createTestApp();
  await planAndTick(t, 751, '2026-01-15', 3);
  await planAndTick(t, 101, '2026-01-15', 3);
  aarhusRound = await roundId(t, 751, 1);
  for (let i = 0; i < 6; i++) await respond(751, aarhusRound, 'sagsbehandler-ydelsescenter', [4, 2, 3, 4, 5]);
  // Two job-centre leaders in Copenhagen (below k) scoring 1: their numbers must not move the national group figure.
  const kk = await roundId(t, 101, 1);
  for (let i = 0; i < 2; i++) await respond(101, kk, 'leder-jobcenter', [1, 1, 1, 1, 1]);
  for (let i = 0; i < 5; i++) await respond(101, kk, 'sagsbehandler-ydelsescenter', [5, 4, 4, 4, 4]);
});
afterAll(async () => t.close());

describe('municipality dashboard', () => {
  it('when the project leader opens it, then Figur 8 is a table with status words and the barrier, with a chart drawn from it by a script file', async () => {
    const agent = await loggedIn(t, {
      municipality: 751,
      roles: ['projektleder'],
      email: 'pl@aarhus.example.dk',
    });
    const res = await agent.get('/kommune/dashboard').expect(200);
    expect(res.text).toContain('data-chart="figur8"');
    expect(res.text).toContain('<script src="/public/vendor/chart.umd.min.js"></script>');
    expect(res.text).toContain('<script src="/public/js/charts.js"></script>');
    expect(res.text).not.toMatch(/<script>[^<]/);
    expect(res.text).toContain('2,0 (indsatsområde) <strong>– barriere</strong>');
    expect(res.text).toContain('Spørgeskema 1/3 vedr. parathed er besvaret');
    expect(res.text).toMatch(/kigo-green">Grøn/);
    expect(res.text).toContain('Første indsatsområde for kommunen: Motivation.');
  });
});

describe('KOMBIT dashboard', () => {
  it('when KOMBIT opens the national overview, then the matrix and national scores use published cells only', async () => {
    const agent = await loggedIn(t, { roles: ['kombit'], email: 'k@kombit.example.dk' });
    const res = await agent.get('/national?bolge=3').expect(200);
    expect(res.text).toContain('Bølge 3');
    expect(res.text).toMatch(
      /Aarhus<\/a><\/th>\s*<td>2026-01-15<\/td>\s*<td>Lukket, 100 %, barriere: Motivation<\/td>/,
    );
    // Copenhagen's 2 leaders are below k, so its 5 caseworkers join them in "Øvrige grupper": the national
    // caseworker figure is Aarhus' 6 alone (4.0), while "Alle grupper" counts all 13 published respondents.
    expect(res.text).toMatch(
      /data-series="Sagsbehandler i Ydelsescentret"[\s\S]*?<td class="num">6<\/td>\s*<td data-value="4.00"/,
    );
    expect(res.text).toMatch(/data-series="Alle grupper"[\s\S]*?<td class="num">13<\/td>/);
    // The Copenhagen leaders (below k) are pooled there; the national leader group has no published cell.
    expect(res.text).not.toMatch(/data-series="Leder af Jobcenteret"/);
  });

  it('when KOMBIT filters by a wave with no municipalities, then the page still renders', async () => {
    const agent = await loggedIn(t, { roles: ['kombit'], email: 'k@kombit.example.dk' });
    const res = await agent
      .get('/national?bolge=8&region=Nordjylland&runde=2&gruppe=leder-jobcenter')
      .expect(200);
    expect(res.text).toContain('National oversigt');
  });

  it('when KOMBIT downloads the readiness CSV, then it streams in the Danish Excel dialect and the audit log records it', async () => {
    const agent = await loggedIn(t, { roles: ['kombit'], email: 'k@kombit.example.dk' });
    const res = await agent
      .get('/national/download/parathed.csv')
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    const body = res.body as Buffer;
    expect(body.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(body.toString('utf8')).toContain(
      '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler i Ydelsescentret;Motivation;6;2,0;indsatsområde\r\n',
    );
    const audit = await t.db('audit_log').where({ action: 'download.readiness.csv' });
    expect(audit.length).toBeGreaterThan(0);
    const xlsx = await agent.get('/national/download/parathed.xlsx');
    expect(xlsx.status).toBe(200);
    expect(await t.db('audit_log').where({ action: 'download.readiness.xlsx' })).toHaveLength(1);
    const learning = await agent.get('/national/download/laering.csv');
    expect(learning.status).toBe(200);
    expect(learning.text).toContain(
      'kommunekode;kommune;region;bolge;laeringsgruppe;tilmeldte;moduler_gennemfoert;bestaaet;bestaaelsesprocent;gennemsnit_bedste_score',
    );
  });
});

describe('authorisation matrix', () => {
  const routes = (round: number) => ({
    municipal: ['/kommune', '/kommune/dashboard', `/kommune/resultater/${round}`],
    manager: ['/kommune/deltagere'],
    national: [
      '/national',
      '/national/kommuner/751',
      '/national/kommuner/751/dashboard',
      '/national/download/parathed.csv',
      '/national/download/parathed.xlsx',
      '/national/download/laering.csv',
    ],
    admin: ['/admin'],
  });
  const personas = {
    sagsbehandler: {
      municipality: 751,
      roles: ['sagsbehandler-ydelsescenter'],
      email: 'cw@aarhus.example.dk',
    },
    projektleder: { municipality: 751, roles: ['projektleder'], email: 'pl@aarhus.example.dk' },
    leder: { municipality: 751, roles: ['leder-ydelsescenter'], email: 'head@aarhus.example.dk' },
    kombit: { roles: ['kombit'], email: 'k@kombit.example.dk' },
    administrator: { roles: ['administrator'], email: 'a@kombit.example.dk' },
  } as const;
  const expected: Record<
    keyof typeof personas,
    Record<'municipal' | 'manager' | 'national' | 'admin', number>
  > = {
    sagsbehandler: { municipal: 403, manager: 403, national: 403, admin: 403 },
    projektleder: { municipal: 200, manager: 200, national: 403, admin: 403 },
    leder: { municipal: 200, manager: 403, national: 403, admin: 403 },
    kombit: { municipal: 403, manager: 403, national: 200, admin: 403 },
    administrator: { municipal: 403, manager: 403, national: 403, admin: 200 },
  };

  it('when no one is logged in, then every dashboard and download route sends the browser to login', async () => {
    const r = routes(aarhusRound);
    for (const path of [...r.municipal, ...r.manager, ...r.national, ...r.admin]) {
      const res = await request(t.app).get(path);
      expect([path, res.status]).toEqual([path, 303]);
      expect(res.headers.location).toMatch(/^\/\?naeste=/);
    }
  });

  for (const role of Object.keys(personas) as Array<keyof typeof personas>) {
    it(`when a ${role} opens every dashboard and download route, then each answers as the policy says`, async () => {
      const agent = await loggedIn(t, personas[role]);
      const r = routes(aarhusRound);
      for (const kind of ['municipal', 'manager', 'national', 'admin'] as const) {
        for (const path of r[kind]) {
          const res = await agent.get(path);
          expect([role, path, res.status]).toEqual([role, path, expected[role][kind]]);
        }
      }
    });
  }

  it('when a project leader asks for another municipality by id or URL, then the answer is 404 or 403 and never its data', async () => {
    const agent = await loggedIn(t, personas.projektleder);
    const other = await roundId(t, 101, 1);
    expect((await agent.get(`/kommune/resultater/${other}`)).status).toBe(404);
    expect((await agent.get('/national/kommuner/101/dashboard')).status).toBe(403);
    expect((await agent.get('/kommune/dashboard?kommune=101')).text).not.toContain('København');
  });
});
