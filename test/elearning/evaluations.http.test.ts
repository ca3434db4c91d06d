import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { csrfFrom, loginThroughDevIdp } from '../support/saml.js';
import { addParticipant, agentWithLink, caseworkerAgent, content, uniqueEmail } from './support.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const fullAnswers = (kind: 'elearning' | 'classroom', value = '4') =>
  Object.fromEntries(content.evaluations[kind].items.map((i) => [i.id, value]));

async function projectLeader(municipality = 101) {
  const agent = request.agent(t.app);
  await loginThroughDevIdp(agent, {
    municipality,
    roles: ['projektleder'],
    firstName: 'Pia',
    lastName: 'Projektleder',
    email: uniqueEmail('pl'),
  });
  return agent;
}

async function createSession(
  agent: request.Agent,
  title = 'KSD-kursus hold 1',
): Promise<{ id: number; code: string }> {
  const page = await agent.get('/kommune/kurser').expect(200);
  await agent
    .post('/kommune/kurser')
    .type('form')
    .send({ _csrf: csrfFrom(page.text), title, place: 'Rådhuset, lokale 2', heldOn: '2026-12-01' })
    .expect(303);
  const row = await t.db('course_sessions').where({ title }).orderBy('id', 'desc').first();
  return { id: Number(row.id), code: String(row.code) };
}

async function evaluate(agent: request.Agent, url: string, body: Record<string, string>) {
  const page = await agent.get(url).expect(200);
  return agent
    .post(url)
    .type('form')
    .send({ _csrf: csrfFrom(page.text), ...body });
}

describe('course evaluations', () => {
  it('when the project leader creates a course session, then it gets a short code shown on the page', async () => {
    const pl = await projectLeader();
    const s = await createSession(pl, 'Hold A');
    expect(s.code).toMatch(/^[A-Z2-9]{6}$/);
    const html = (await pl.get('/kommune/kurser').expect(200)).text;
    expect(html).toContain(`Deltagerne evaluerer med koden ${s.code}`);
    expect(html).toContain(`<strong class="code">${s.code}</strong>`);
    expect(html).toContain('Hold A – Rådhuset, lokale 2, 1. december 2026');
  });

  it('when the course form is incomplete, then it re-renders with Danish field errors and 422, and nothing is saved', async () => {
    const pl = await projectLeader();
    const before = (await t.db('course_sessions')).length;
    const page = await pl.get('/kommune/kurser').expect(200);
    const res = await pl
      .post('/kommune/kurser')
      .type('form')
      .send({ _csrf: csrfFrom(page.text), title: '', place: 'X', heldOn: '2026-02-30' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Skriv kursets titel.');
    expect(res.text).toContain('Datoen findes ikke.');
    expect((await t.db('course_sessions')).length).toBe(before);
  });

  it('when someone other than a project leader opens the course admin, then access is refused', async () => {
    const { agent } = await caseworkerAgent(t);
    await agent.get('/kommune/kurser').expect(403);
  });

  it('when a participant evaluates through the code, then the response row holds municipality, session, kind and answers only', async () => {
    const pl = await projectLeader();
    const s = await createSession(pl, 'Hold B');
    const { agent } = await caseworkerAgent(t);
    const go = await agent.get(`/evaluering?kode=${s.code.toLowerCase()}`).expect(303);
    expect(go.headers.location).toBe(`/evaluering/kursus/${s.id}`);
    const res = await evaluate(agent, `/evaluering/kursus/${s.id}`, {
      ...fullAnswers('classroom', '5'),
      kommentar: 'Godt kursus',
    });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Dit svar er modtaget');
    const columns = Object.keys(await t.db('evaluation_responses').columnInfo()).sort();
    expect(columns).toEqual(['answers', 'comment', 'course_session_id', 'id', 'kind', 'municipality_code']);
    const rows = await t.db('evaluation_responses').where({ course_session_id: s.id });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ municipality_code: 101, kind: 'classroom', comment: 'Godt kursus' });
    expect(JSON.parse(rows[0].answers)).toEqual(
      Object.fromEntries(content.evaluations.classroom.items.map((i) => [i.id, 5])),
    );
    const participationColumns = Object.keys(await t.db('evaluation_participation').columnInfo()).sort();
    expect(participationColumns).toEqual(['person_key', 'scope']);
  });

  it('when the same person evaluates twice, by login or link, then the second is refused and only one response exists', async () => {
    const pl = await projectLeader();
    const s = await createSession(pl, 'Hold C');
    const email = uniqueEmail();
    const p = await addParticipant(t.db, { email });
    const { agent } = await caseworkerAgent(t, { email });
    const form = await agent.get(`/evaluering/kursus/${s.id}`).expect(200);
    const body = { _csrf: csrfFrom(form.text), ...fullAnswers('classroom') };
    expect((await agent.post(`/evaluering/kursus/${s.id}`).type('form').send(body)).status).toBe(200);
    const second = await agent.post(`/evaluering/kursus/${s.id}`).type('form').send(body);
    expect(second.status).toBe(409);
    expect(second.text).toContain('Du har allerede evalueret dette kursus');
    const link = await agentWithLink(t, p, 'evaluation', { courseSessionId: s.id });
    const viaLink = await link.get(`/evaluering/kursus/${s.id}`).expect(200);
    expect(viaLink.text).toContain('Du har allerede evalueret');
    expect(viaLink.text).not.toContain('<form method="post"');
    expect(await t.db('evaluation_responses').where({ course_session_id: s.id })).toHaveLength(1);
  });

  it('when an answer is missing, then the form re-renders with 422 and nothing is saved', async () => {
    const { agent } = await caseworkerAgent(t);
    const answers = fullAnswers('elearning');
    delete answers.sat2;
    const before = (await t.db('evaluation_responses').where({ kind: 'elearning' })).length;
    const res = await evaluate(agent, '/evaluering/e-laering', answers);
    expect(res.status).toBe(422);
    expect(res.text).toContain('Vælg et svar fra 1 til 5');
    expect((await t.db('evaluation_responses').where({ kind: 'elearning' })).length).toBe(before);
  });

  it('when a caseworker outside the benefits centre opens a classroom evaluation, then it is refused; the e-learning evaluation is open', async () => {
    const pl = await projectLeader();
    const s = await createSession(pl, 'Hold D');
    const { agent } = await caseworkerAgent(t, { roles: ['sagsbehandler-udenfor'] });
    const res = await agent.get(`/evaluering/kursus/${s.id}`);
    expect(res.status).toBe(403);
    expect(res.text).toContain(
      'Tilstedeværelseskurset er for sagsbehandlere i ydelsescentret og superbrugere',
    );
    expect((await evaluate(agent, '/evaluering/e-laering', fullAnswers('elearning'))).status).toBe(200);
  });

  it('when a course of another municipality is opened, then it is refused', async () => {
    const pl = await projectLeader(751);
    const s = await createSession(pl, 'Aarhus-hold');
    const { agent } = await caseworkerAgent(t);
    await agent.get(`/evaluering/kursus/${s.id}`).expect(403);
  });

  it('when a learner came by test link, then the e-learning evaluation opens for them once', async () => {
    const p = await addParticipant(t.db);
    const agent = await agentWithLink(t, p, 'test');
    expect((await evaluate(agent, '/evaluering/e-laering', fullAnswers('elearning'))).status).toBe(200);
    expect((await agent.get('/evaluering/e-laering').expect(200)).text).toContain(
      'Du har allerede evalueret e-læringen',
    );
  });

  it('when fewer than k have evaluated a course, then no means are shown; from k up, they are', async () => {
    const pl = await projectLeader(461);
    const s = await createSession(pl, 'Odense-hold');
    for (let i = 0; i < 4; i++) {
      const { agent } = await caseworkerAgent(t, { municipality: 461 });
      expect(
        (await evaluate(agent, `/evaluering/kursus/${s.id}`, fullAnswers('classroom', i % 2 ? '4' : '5')))
          .status,
      ).toBe(200);
    }
    const section = async () => {
      const html = (await pl.get('/kommune/kurser').expect(200)).text;
      return html.slice(
        html.indexOf(`id="kursus-${s.id}"`),
        html.indexOf('</section>', html.indexOf(`id="kursus-${s.id}"`)),
      );
    };
    const below = await section();
    expect(below).toContain('4 besvarelser');
    expect(below).toContain('Færre end 5 besvarelser');
    expect(below).not.toMatch(/>\d,\d</);
    const { agent } = await caseworkerAgent(t, { municipality: 461 });
    await evaluate(agent, `/evaluering/kursus/${s.id}`, fullAnswers('classroom', '4'));
    const at = await section();
    expect(at).toContain('5 besvarelser');
    expect(at).toContain('>4,4<');
  });
});
