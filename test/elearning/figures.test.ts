import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Agent } from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { csrfFrom, loginThroughDevIdp } from '../support/saml.js';
import { addParticipant, caseworkerAgent, content, startAttempt, takeAttempt } from './support.js';
import { modulePages } from '../../src/elearning/elearning.service.js';
import { median } from '../../src/elearning/elearning.stats.js';

/**
 * A small world in Aarhus: six caseworkers registered on the participant list. Four start (A, B, C, D),
 * three take the test (A, B, C), two pass: A at the first attempt, B at the third. E only opens the
 * overview, F never comes. One caseworker outside the centre is registered and never comes; a leader on
 * the list is not a learner.
 */
let t: TestApp;
const AARHUS = 751;
let caseworkers: Array<{ id: number; email: string; municipalityCode: number }>;

async function learnerAgent(email: string): Promise<Agent> {
  return (await caseworkerAgent(t, { email, municipality: AARHUS })).agent;
}

async function attempt(agent: Agent, correct: number): Promise<void> {
  const id = await startAttempt(agent, csrfFrom((await agent.get('/e-laering/test').expect(200)).text));
  const res = await takeAttempt(agent, t.db, id, correct);
  expect(res.status).toBeLessThan(400);
}

/** Every page seen, every exercise solved, then marked: the module counts as completed. */
async function completeModule(agent: Agent, slug: string): Promise<void> {
  for (const page of modulePages(content, content.module(slug)!)) await agent.get(page.href).expect(200);
  for (const e of content.exercises.filter((x) => x.module === slug)) {
    for (const [i, step] of e.steps.entries()) {
      const page = await agent.get(`/e-laering/oevelser/${e.id}/trin/${i + 1}`).expect(200);
      await agent
        .post(`/e-laering/oevelser/${e.id}/trin/${i + 1}`)
        .type('form')
        .send({ _csrf: csrfFrom(page.text), valg: step.correct })
        .expect(200);
    }
  }
  const page = await agent.get(`/e-laering/moduler/${slug}`).expect(200);
  await agent
    .post(`/e-laering/moduler/${slug}/gennemfoert`)
    .type('form')
    .send({ _csrf: csrfFrom(page.text) })
    .expect(303);
}

beforeAll(async () => {
  t = await createTestApp();
  caseworkers = [];
  for (const name of ['A', 'B', 'C', 'D', 'E', 'F']) {
    caseworkers.push(
      await addParticipant(t.db, {
        municipalityCode: AARHUS,
        name: `Sagsbehandler ${name}`,
        email: `sb.${name.toLowerCase()}@aarhus.example.dk`,
      }),
    );
  }
  await addParticipant(t.db, {
    municipalityCode: AARHUS,
    name: 'Udenfor',
    email: 'udenfor@aarhus.example.dk',
    surveyGroup: 'sagsbehandler-udenfor',
  });
  await addParticipant(t.db, {
    municipalityCode: AARHUS,
    name: 'Leder',
    email: 'leder@aarhus.example.dk',
    surveyGroup: 'leder-ydelsescenter',
  });
  const [a, b, c, d, e] = caseworkers;

  const agentA = await learnerAgent(a!.email);
  for (const m of content.modules.filter((x) => x.audience === 'all')) await completeModule(agentA, m.slug);
  await attempt(agentA, 20);

  const agentB = await learnerAgent(b!.email);
  await attempt(agentB, 0);
  await attempt(agentB, 5);
  await attempt(agentB, 20);

  const agentC = await learnerAgent(c!.email);
  await agentC.get('/e-laering/moduler/introduktion').expect(200);
  await attempt(agentC, 3);

  // D presses the button on the hands-on module without solving its exercises: refused, not counted.
  const agentD = await learnerAgent(d!.email);
  const page = await agentD.get('/e-laering/moduler/hands-on').expect(200);
  await agentD
    .post('/e-laering/moduler/hands-on/gennemfoert')
    .type('form')
    .send({ _csrf: csrfFrom(page.text) })
    .expect(422);

  const agentE = await learnerAgent(e!.email);
  await agentE.get('/e-laering').expect(200);
});
afterAll(async () => t.close());

async function loggedIn(persona: Parameters<typeof loginThroughDevIdp>[1]): Promise<Agent> {
  const agent = request.agent(t.app);
  expect((await loginThroughDevIdp(agent, persona)).status).toBe(303);
  return agent;
}

/** The cells of one learner group's row in the learning table. */
function rowOf(html: string, group: string): string[] {
  const row = html.match(new RegExp(`<tr data-group="${group}">([\\s\\S]*?)</tr>`));
  expect(row, `row for ${group}`).not.toBeNull();
  return [...row![1]!.matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((m) => m[1]!);
}

const HEADERS = [
  'Tilmeldte',
  'Begyndt',
  'Alle moduler gennemført',
  'Tog testen',
  'Bestået',
  'Bestået af dem, der tog testen',
  'Bestået af alle tilmeldte',
  'Forsøg til bestået (median)',
];
const CASEWORKERS = ['Sagsbehandlere i ydelsescenter', '6', '4', '1', '3', '2', '67 %', '33 %', '2'];
const OUTSIDE = ['Øvrige brugere', '1', '0', '0', '0', '0', '–', '0 %', '–'];

function expectLearningTable(html: string): void {
  const start = html.indexOf('<h2>E-læring og afsluttende test</h2>');
  const section = html.slice(start, html.indexOf('</table>', start));
  const headers = [...section.matchAll(/<th scope="col" class="num">([^<]*)<\/th>/g)].map((m) => m[1]);
  expect(headers).toEqual(HEADERS);
  expect(rowOf(section, 'sagsbehandlere-ydelsescenter')).toEqual(CASEWORKERS);
  expect(rowOf(section, 'oevrige')).toEqual(OUTSIDE);
  expect(section).not.toContain('data-group="superbrugere"');
}

describe('final-test figures per learner group', () => {
  it('when the median of attempts is taken, then an even count lies halfway between the middle two', () => {
    expect(median([3, 1])).toBe(2);
    expect(median([1, 4, 2])).toBe(2);
    expect(median([])).toBeNull();
  });

  it('when the project leader opens the dashboard, then registered, started, took the test, passed, both pass rates and the median attempts are shown per group', async () => {
    const agent = await loggedIn({
      municipality: AARHUS,
      roles: ['projektleder'],
      email: 'pl@aarhus.example.dk',
    });
    const html = (await agent.get('/kommune/dashboard').expect(200)).text;
    expectLearningTable(html);
    expect(html).toContain('Bestået i forhold til alle tilmeldte, også dem, der ikke er begyndt.');
    // The training checkpoint measures passes against everyone registered (2 of 7), not against those who took the test.
    expect(html).toContain('29 % af alle tilmeldte brugere har bestået den afsluttende test');
  });

  it("when KOMBIT opens the national overview and the municipality's dashboard, then the same figures are shown", async () => {
    const agent = await loggedIn({ roles: ['kombit'], email: 'k@kombit.example.dk' });
    expectLearningTable((await agent.get('/national').expect(200)).text);
    expectLearningTable((await agent.get(`/national/kommuner/${AARHUS}/dashboard`).expect(200)).text);
  });

  it('when KOMBIT downloads the learning CSV, then the new columns hold the same figures and the score-like ones are hidden below k', async () => {
    const agent = await loggedIn({ roles: ['kombit'], email: 'k@kombit.example.dk' });
    const csv = (await agent.get('/national/download/laering.csv').expect(200)).text.replace(/^\uFEFF/, '');
    const [header, ...lines] = csv.trim().split('\r\n');
    expect(header).toBe(
      'kommunekode;kommune;region;bolge;laeringsgruppe;tilmeldte;moduler_gennemfoert;bestaaet;bestaaelsesprocent;gennemsnit_bedste_score;begyndt;alle_moduler_gennemfoert;tog_testen;bestaaet_pct_af_dem_der_tog_testen;bestaaet_pct_af_tilmeldte;median_forsoeg_til_bestaaet',
    );
    const modules = content.modules.filter((m) => m.audience === 'all').length;
    // A's modules plus C's and D's none; two passers and three who took it are fewer than k = 5.
    expect(lines).toEqual([
      `751;Aarhus;Midtjylland;;Sagsbehandlere i ydelsescenter;6;${modules};2;33,3;;4;1;3;66,7;33,3;`,
      '751;Aarhus;Midtjylland;;Øvrige brugere;1;0;0;0,0;;0;0;0;;0,0;',
    ]);
  });
});
