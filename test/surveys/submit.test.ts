import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { csrfFrom } from '../support/saml.js';
import { addParticipant, loggedIn, openAarhusRoundToday } from './support.js';

let t: TestApp;
const clock = new FixedClock(new Date());
let round: number;
beforeAll(async () => {
  t = await createTestApp({ clock });
  round = await openAarhusRoundToday(t);
});
afterAll(async () => t.close());

const persona = (email: string) => ({ municipality: 751, roles: ['sagsbehandler-ydelsescenter'], email });
const responses = async () =>
  Number(
    (await t.db('survey_responses').where({ round_id: round }).count<{ n: number }[]>({ n: '*' }).first())?.n,
  );
const participation = (pid: number) =>
  t.db('survey_participation').where({ round_id: round, participant_id: pid }).first();

/** Answers the element pages [from, to] with 3 ("naeste"). */
async function answerPages(agent: Awaited<ReturnType<typeof loggedIn>>, from: number, to: number) {
  for (let page = from; page <= to; page++) {
    const form = await agent.get(`/undersoegelse/${round}/side/${page}`).expect(200);
    const ids = [...form.text.matchAll(/name="([a-z]{3}\d)" value="1"/g)].map((m) => m[1]!);
    await agent
      .post(`/undersoegelse/${round}/side/${page}`)
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        handling: 'naeste',
        ...Object.fromEntries(ids.map((i) => [i, '3'])),
      })
      .expect(303);
  }
}

describe('submitting a survey ("Indsend")', () => {
  it('when pages are still unanswered, then submitting is refused with 422, nothing is stored, and the comment is kept in the draft', async () => {
    const pid = await addParticipant(t, 751, { email: 'halfway@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('halfway@aarhus.example.dk'));
    await answerPages(agent, 1, 3);
    const before = await responses();
    const last = await agent.get(`/undersoegelse/${round}/side/6`).expect(200);
    const res = await agent
      .post(`/undersoegelse/${round}/side/6`)
      .type('form')
      .send({ _csrf: csrfFrom(last.text), handling: 'indsend', comment: 'Halvvejs' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Der mangler svar på nogle udsagn');
    expect(await responses()).toBe(before);
    const row = await participation(pid);
    expect(Boolean(row.submitted)).toBe(false);
    expect(JSON.parse(row.draft).comment).toBe('Halvvejs');
    expect(Object.keys(JSON.parse(row.draft).answers)).toHaveLength(12);
  });

  it('when the last page itself has an error, then the page is shown again with 422 and nothing is saved or stored', async () => {
    const pid = await addParticipant(t, 751, { email: 'toolong@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('toolong@aarhus.example.dk'));
    await answerPages(agent, 1, 5);
    const draftBefore = (await participation(pid)).draft;
    const before = await responses();
    const last = await agent.get(`/undersoegelse/${round}/side/6`).expect(200);
    const res = await agent
      .post(`/undersoegelse/${round}/side/6`)
      .type('form')
      .send({ _csrf: csrfFrom(last.text), handling: 'indsend', comment: 'x'.repeat(2001) });
    expect(res.status).toBe(422);
    expect(res.text).toContain('action="/undersoegelse/' + round + '/side/6"');
    expect(await responses()).toBe(before);
    const row = await participation(pid);
    expect(Boolean(row.submitted)).toBe(false);
    expect(row.draft).toBe(draftBefore);
  });

  it('when "Indsend" is pressed on an element page with every answer given, then that page is saved and the response stored once', async () => {
    const pid = await addParticipant(t, 751, {
      email: 'early@aarhus.example.dk',
      group: 'informationssoegende',
    });
    const agent = await loggedIn(t, persona('early@aarhus.example.dk'));
    await answerPages(agent, 1, 4);
    const before = await responses();
    const form = await agent.get(`/undersoegelse/${round}/side/5`).expect(200);
    const ids = [...form.text.matchAll(/name="([a-z]{3}\d)" value="1"/g)].map((m) => m[1]!);
    const res = await agent
      .post(`/undersoegelse/${round}/side/5`)
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        handling: 'indsend',
        ...Object.fromEntries(ids.map((i) => [i, '5'])),
      });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/undersoegelse/${round}/tak`);
    expect(await responses()).toBe(before + 1);
    const stored = await t
      .db('survey_responses')
      .where({ round_id: round, survey_group: 'informationssoegende' })
      .orderBy('id');
    const answers = stored
      .map((r) => JSON.parse(r.answers) as Record<string, number | null>)
      .find((a) => ids.every((i) => a[i] === 5));
    expect(answers).toBeDefined();
    expect(Object.keys(answers!)).toHaveLength(20);
    const row = await participation(pid);
    expect(Boolean(row.submitted)).toBe(true);
    expect(row.draft).toBeNull();
    const again = await agent
      .post(`/undersoegelse/${round}/side/5`)
      .type('form')
      .send({
        _csrf: csrfFrom(form.text),
        handling: 'indsend',
        ...Object.fromEntries(ids.map((i) => [i, '5'])),
      });
    expect(again.status).toBe(409);
    expect(await responses()).toBe(before + 1);
  });
});
