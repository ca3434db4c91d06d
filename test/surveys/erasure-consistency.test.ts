import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { csrfFrom } from '../support/saml.js';
import { agentWithLink, startAttempt, takeAttempt } from '../elearning/support.js';
import { addParticipant, answerAll, loggedIn, roundId, surveyLink, tokenOf } from './support.js';

// Aarhus answers round 1/3 through personal links; one of the respondents is also a learner with a certificate.
// Erasing that person, and later purging the whole list, must leave every published figure as it was.
const clock = new FixedClock(new Date('2026-01-05T08:00:00Z'));
let t: TestApp;
let round: number;
let erik: number;
let certificateCode: string;
const leader = { municipality: 751, roles: ['projektleder'], email: 'pl@aarhus.example.dk' };
const kombit = { roles: ['kombit'], email: 'analyse@kombit.example.dk' };
const GROUPS = [
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'leder-ydelsescenter',
];

/** Everything a reader of the published results sees, with the parts that legitimately move (dates, tokens) removed. */
async function published(agent: request.Agent, kombitAgent: request.Agent) {
  const strip = (html: string) =>
    html.replace(/name="_csrf" value="[^"]*"/g, '').replace(/<meta name="csrf-token"[^>]*>/g, '');
  const results = (await agent.get(`/kommune/resultater/${round}`).expect(200)).text;
  const ratesTable = results.slice(results.indexOf('<h2>Svarprocent'), results.indexOf('<h2>Kommentarer'));
  return {
    ratesTable: strip(ratesTable),
    readinessCsv: (await kombitAgent.get('/national/download/parathed.csv').expect(200)).text,
    readinessCsvRfc: (await kombitAgent.get('/national/download/parathed.csv?dialect=rfc4180').expect(200))
      .text,
    // The national scores and the status matrix (the e-learning part below them counts learners, who may be erased).
    national: (await kombitAgent.get('/national').expect(200)).text
      .split('<h2>Nationale scorer pr. gruppe</h2>')[1]!
      .split('<h2>E-læring og afsluttende test</h2>')[0],
  };
}

beforeAll(async () => {
  t = await createTestApp({ clock });
  const s = t.deps.surveys;
  await s.rounds.setPlan(751, { wave: 4, goLive: '2026-05-01' }, null);
  round = await roundId(t, 751, 1);
  const r1 = await t.db('survey_rounds').where({ id: round }).first('opens_on', 'closes_on');
  clock.set(new Date(`${r1.opens_on}T08:00:00Z`));
  await s.rounds.tick();
  expect((await t.db('survey_rounds').where({ id: round }).first()).state).toBe('open');

  // Twenty people, four groups; sixteen answer through their personal link, four do not.
  for (let i = 0; i < 20; i++) {
    const group = GROUPS[i % GROUPS.length]!;
    const pid = await addParticipant(t, 751, {
      name: i === 0 ? 'Erik Sletmig' : `Deltager ${i}`,
      email: `p${i}@aarhus.example.dk`,
      group,
    });
    if (i === 0) erik = pid;
    if (i >= 16) continue;
    const { token } = await surveyLink(t, 751, pid, round);
    const agent = request.agent(t.app);
    await agent.get(`/l/${token}`).expect(303);
    await answerAll(
      agent,
      round,
      (id) => String(1 + ((id.charCodeAt(2) + i) % 5)),
      i % 3 === 0 ? `kommentar ${i}` : '',
    );
  }

  // Erik also does a module and passes the final test, so he has progress, attempts and a certificate.
  const learner = await agentWithLink(t, { id: erik, municipalityCode: 751 }, 'test');
  const module = await learner.get('/e-laering/moduler/introduktion').expect(200);
  await learner
    .post('/e-laering/moduler/introduktion/gennemfoert')
    .type('form')
    .send({ _csrf: csrfFrom(module.text) })
    .expect(303);
  const attempt = await startAttempt(
    learner,
    csrfFrom((await learner.get('/e-laering/test').expect(200)).text),
  );
  expect((await takeAttempt(learner, t.db, attempt, 20)).status).toBe(303);
  certificateCode = String((await t.db('certificates').first('code')).code);

  clock.set(new Date(`${r1.closes_on}T08:00:00Z`));
  await s.rounds.tick();
  expect((await t.db('survey_rounds').where({ id: round }).first()).state).toBe('closed');
});
afterAll(async () => t.close());

describe('erasure and purge keep the published results as they were', () => {
  it('when the project leader erases a respondent with a certificate, then their learning data goes and every readiness figure and export stays byte for byte', async () => {
    const agent = await loggedIn(t, leader);
    const kombitAgent = await loggedIn(t, kombit);
    const before = await published(agent, kombitAgent);
    expect(before.ratesTable).toMatch(
      /<th scope="row">I alt<\/th>\s*<td class="num">20<\/td>\s*<td class="num">16<\/td>\s*<td class="num">80 %<\/td>/,
    );
    const dashboardBefore = (await agent.get('/kommune/dashboard').expect(200)).text;
    expect(dashboardBefore).toContain('80 %');

    // The export is what the person gets on request: their learning data is in it.
    const exported = JSON.parse((await agent.get(`/kommune/deltagere/${erik}/data`).expect(200)).text);
    expect(exported.deltager.navn).toBe('Erik Sletmig');
    expect(exported.parathedsundersoegelser).toEqual([
      { runde: '1/3', periode: expect.any(String), besvaret: true },
    ]);
    expect(exported.e_laering.testforsoeg).toHaveLength(1);
    expect(exported.e_laering.fremdrift).toEqual([expect.objectContaining({ module_slug: 'introduktion' })]);
    expect(exported.e_laering.kursusbeviser).toEqual([
      expect.objectContaining({ code: certificateCode, name: 'Erik Sletmig' }),
    ]);
    const learnerIds = (await t.db('learners').where({ participant_id: erik }).pluck('id')).map(Number);
    expect(learnerIds).toHaveLength(1);
    await request(t.app).get(`/certifikat/verificer/${certificateCode}`).expect(200);
    const learningBefore = (await kombitAgent.get('/national/download/laering.csv').expect(200)).text;

    const csrf = await tokenOf(agent, `/kommune/deltagere/${erik}`);
    await agent.post(`/kommune/deltagere/${erik}/slet`).type('form').send({ _csrf: csrf }).expect(303);

    // Every trace of the person is gone …
    expect(await t.db('participants').where({ id: erik })).toEqual([]);
    expect(await t.db('learners').whereIn('id', learnerIds)).toEqual([]);
    expect(await t.db('quiz_attempts').whereIn('learner_id', learnerIds)).toEqual([]);
    expect(await t.db('elearning_progress').whereIn('learner_id', learnerIds)).toEqual([]);
    expect(await t.db('certificates').where({ code: certificateCode })).toEqual([]);
    await request(t.app).get(`/certifikat/verificer/${certificateCode}`).expect(404);
    await agent.get(`/kommune/deltagere/${erik}/data`).expect(404);

    // … and the closed round's published figures, response rates included, are exactly as before.
    expect(await published(agent, kombitAgent)).toEqual(before);
    expect(await t.db('survey_responses').where({ round_id: round }).pluck('id')).toHaveLength(16);
    const dashboardAfter = (await agent.get('/kommune/dashboard').expect(200)).text;
    expect(dashboardAfter).toContain('80 %');
    // The learning export counts one learner and one pass fewer, and still renders.
    const learningAfter = (await kombitAgent.get('/national/download/laering.csv').expect(200)).text;
    expect(learningAfter).not.toEqual(learningBefore);
  });

  it('when the participant list is purged after round 3/3, then links and people go and the published results and rates stay', async () => {
    const s = t.deps.surveys;
    // Rounds 2/3 and 3/3 open and close on their dates, unanswered.
    for (const no of [2, 3]) {
      const r = await t
        .db('survey_rounds')
        .where({ municipality_code: 751, round_no: no })
        .first('opens_on', 'closes_on');
      clock.set(new Date(`${r.opens_on}T08:00:00Z`));
      await s.rounds.tick();
      clock.set(new Date(`${r.closes_on}T08:00:00Z`));
      await s.rounds.tick();
    }
    expect(await t.db('survey_rounds').where({ municipality_code: 751 }).pluck('state')).toEqual([
      'closed',
      'closed',
      'closed',
    ]);
    const agent = await loggedIn(t, leader);
    const kombitAgent = await loggedIn(t, kombit);
    const before = await published(agent, kombitAgent);
    expect(await s.participants.purgeDue()).toEqual([]);
    clock.advance((t.deps.config.purgeAfterDays + 1) * 86_400_000);
    expect(await s.participants.purgeDue()).toEqual([751]);
    expect(await t.db('participants').where({ municipality_code: 751 })).toEqual([]);
    expect(await t.db('personal_links').where({ municipality_code: 751 })).toEqual([]);
    expect(await published(agent, kombitAgent)).toEqual(before);
    await agent.get('/kommune/dashboard').expect(200);
  });
});
