import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { csrfFrom } from '../support/saml.js';
import { addParticipant, answerAll, loggedIn, openAarhusRoundToday, roundId, surveyLink } from './support.js';
import { hashToken } from '../../src/links/links.service.js';

let t: TestApp;
const clock = new FixedClock(new Date());
let round: number;
beforeAll(async () => {
  t = await createTestApp({ clock });
  round = await openAarhusRoundToday(t);
});
afterAll(async () => t.close());

const persona = (email: string) => ({ municipality: 751, roles: ['sagsbehandler-ydelsescenter'], email });

describe('answering a survey', () => {
  it('when a SAML user matches a participant by email, then the open survey is under Mine opgaver', async () => {
    await addParticipant(t, 751, { email: 'mine@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('MINE@aarhus.example.dk'));
    const page = await agent.get('/mine-opgaver').expect(200);
    expect(page.text).toContain(`/undersoegelse/${round}`);
    expect(page.text).toContain('1/3 – indledende parathedsundersøgelse');
  });

  it('when a user is not a participant, then Mine opgaver says so and the survey refuses them', async () => {
    const agent = await loggedIn(t, persona('stranger@aarhus.example.dk'));
    expect((await agent.get('/mine-opgaver').expect(200)).text).toContain('Du står ikke på deltagerlisten');
    const res = await agent.get(`/undersoegelse/${round}/side/1`);
    expect(res.status).toBe(403);
  });

  it('when the form is shown, then each element is a fieldset with legend and every radio has a label', async () => {
    await addParticipant(t, 751, { email: 'form@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('form@aarhus.example.dk'));
    const page = await agent.get(`/undersoegelse/${round}/side/2`).expect(200);
    expect(page.text).toMatch(
      /<fieldset class="element">\s*<legend><h2 class="legend-heading">Motivation<\/h2><\/legend>/,
    );
    const radios = [...page.text.matchAll(/<input type="radio" id="([^"]+)"/g)].map((m) => m[1]);
    expect(radios.length).toBe(24);
    for (const id of radios) expect(page.text).toContain(`<label for="${id}">`);
    expect(page.text).toContain('Side 2 af 6');
    expect(page.text).toContain('Ved ikke');
  });

  it('when an item is left out, then the page is refused with a Danish 422 and the others are kept', async () => {
    await addParticipant(t, 751, { email: 'partial@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('partial@aarhus.example.dk'));
    const form = await agent.get(`/undersoegelse/${round}/side/1`).expect(200);
    const res = await agent
      .post(`/undersoegelse/${round}/side/1`)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), handling: 'naeste', opm1: '4', opm2: '5', opm3: '9' });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Svar på alle udsagn');
    expect(res.text).toMatch(/id="opm1-4" name="opm1" value="4" checked/);
  });

  it('when a page posts an unknown item or an item of another page, then it is refused with 422 and nothing is saved', async () => {
    const pid = await addParticipant(t, 751, { email: 'unknown@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('unknown@aarhus.example.dk'));
    const form = await agent.get(`/undersoegelse/${round}/side/1`).expect(200);
    const base = {
      _csrf: csrfFrom(form.text),
      handling: 'naeste',
      opm1: '4',
      opm2: '4',
      opm3: '4',
      opm4: '4',
    };
    const unknown = await agent
      .post(`/undersoegelse/${round}/side/1`)
      .type('form')
      .send({ ...base, xyz9: '3' });
    expect(unknown.status).toBe(422);
    expect(unknown.text).toContain('Ukendt udsagn');
    const otherPage = await agent
      .post(`/undersoegelse/${round}/side/1`)
      .type('form')
      .send({ ...base, mot1: '3' });
    expect(otherPage.status).toBe(422);
    const row = await t.db('survey_participation').where({ round_id: round, participant_id: pid }).first();
    expect(row.draft).toBeNull();
  });

  it('when the body is oversized, then it is refused with 413 and a Danish message', async () => {
    await addParticipant(t, 751, { email: 'big@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('big@aarhus.example.dk'));
    const form = await agent.get(`/undersoegelse/${round}/side/6`).expect(200);
    const res = await agent
      .post(`/undersoegelse/${round}/side/6`)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), handling: 'gem', comment: 'x'.repeat(1_200_000) });
    expect(res.status).toBe(413);
    expect(res.text).toContain('Det indsendte er for stort');
  });

  it("when another municipality's personal link is used for this round, then it is refused", async () => {
    const [row] = await t
      .db('participants')
      .insert({
        municipality_code: 101,
        name: 'K',
        email: 'k-link@kk.example.dk',
        survey_group: 'leder-jobcenter',
        superuser: false,
        created_at: new Date(),
      })
      .returning('id');
    const pid = Number(typeof row === 'object' ? row.id : row);
    const link = await surveyLink(t, 101, pid, round);
    const agent = request.agent(t.app);
    await agent.get(`/l/${link.token}`).expect(303);
    const res = await agent.get(`/undersoegelse/${round}/side/1`);
    expect(res.status).toBe(403);
    expect(res.text).toContain('hører til en anden kommune');
  });

  it('when the participant saves and comes back in a new session, then the answers are still there', async () => {
    await addParticipant(t, 751, { email: 'resume@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('resume@aarhus.example.dk'));
    const form = await agent.get(`/undersoegelse/${round}/side/1`).expect(200);
    await agent
      .post(`/undersoegelse/${round}/side/1`)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), handling: 'gem', opm1: '2', opm2: 'vedikke', opm3: '3', opm4: '4' })
      .expect(303);
    const again = await loggedIn(t, persona('resume@aarhus.example.dk'));
    const next = await again.get(`/undersoegelse/${round}`).expect(303);
    expect(next.headers.location).toBe(`/undersoegelse/${round}/side/2`);
    const page1 = await again.get(`/undersoegelse/${round}/side/1`).expect(200);
    expect(page1.text).toMatch(/id="opm1-2" name="opm1" value="2" checked/);
    expect(page1.text).toMatch(/id="opm2-vedikke" name="opm2" value="vedikke" checked/);
  });

  it('when a participant submits, then one anonymous response is stored, with nothing that points back to them', async () => {
    const pid = await addParticipant(t, 751, {
      email: 'anon@aarhus.example.dk',
      group: 'sagsbehandler-udenfor',
    });
    const agent = await loggedIn(t, persona('anon@aarhus.example.dk'));
    const before = await t
      .db('survey_responses')
      .where({ round_id: round })
      .count<{ n: number }[]>({ n: '*' })
      .first();
    await answerAll(agent, round, (id) => (id === 'mot2' ? 'vedikke' : '4'), 'Godt initiativ');
    const rows = await t.db('survey_responses').where({ round_id: round });
    expect(rows.length).toBe(Number(before?.n) + 1);
    const row = rows.find((r) => r.comment === 'Godt initiativ')!;
    expect(Object.keys(row).sort()).toEqual([
      'answers',
      'comment',
      'id',
      'instrument_version',
      'municipality_code',
      'round_id',
      'round_no',
      'survey_group',
    ]);
    expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(row.survey_group).toBe('sagsbehandler-udenfor');
    expect(JSON.parse(row.answers).mot2).toBeNull();
    expect(JSON.parse(row.answers).opm1).toBe(4);
    const participation = await t
      .db('survey_participation')
      .where({ round_id: round, participant_id: pid })
      .first();
    expect(participation).toMatchObject({ draft: null });
    expect(Boolean(participation.submitted)).toBe(true);
    expect(Object.keys(participation).sort()).toEqual(['draft', 'participant_id', 'round_id', 'submitted']);
    const thanks = await agent.get(`/undersoegelse/${round}`).expect(303);
    expect(thanks.headers.location).toBe(`/undersoegelse/${round}/tak`);
  });

  it('when the same participant submits twice at once (two tabs, double click), then only one response is stored', async () => {
    await addParticipant(t, 751, { email: 'double@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('double@aarhus.example.dk'));
    for (let page = 1; page <= 5; page++) {
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
    const last = await agent.get(`/undersoegelse/${round}/side/6`).expect(200);
    const before = Number(
      (await t.db('survey_responses').where({ round_id: round }).count<{ n: number }[]>({ n: '*' }).first())
        ?.n,
    );
    const send = () =>
      agent
        .post(`/undersoegelse/${round}/side/6`)
        .type('form')
        .send({ _csrf: csrfFrom(last.text), handling: 'indsend', comment: 'dobbelt' });
    const results = await Promise.all([send(), send(), send()]);
    expect(results.filter((r) => r.status === 303).length).toBe(1);
    expect(results.filter((r) => r.status === 409).length).toBe(2);
    expect(results.find((r) => r.status === 409)!.text).toContain('Du har allerede besvaret');
    const after = Number(
      (await t.db('survey_responses').where({ round_id: round }).count<{ n: number }[]>({ n: '*' }).first())
        ?.n,
    );
    expect(after).toBe(before + 1);
  });

  it('when a participant answered by SAML and then follows their personal link, then they cannot answer again', async () => {
    const pid = await addParticipant(t, 751, { email: 'both@aarhus.example.dk' });
    const link = await surveyLink(t, 751, pid, round);
    const viaLink = request.agent(t.app);
    const opened = await viaLink.get(new URL(link.url).pathname).expect(303);
    expect(opened.headers.location).toBe(`/undersoegelse/${round}`);
    const linkForm = await viaLink.get(`/undersoegelse/${round}/side/6`).expect(200);
    const agent = await loggedIn(t, persona('both@aarhus.example.dk'));
    await answerAll(agent, round, () => '5');
    expect((await viaLink.get(`/undersoegelse/${round}`)).headers.location).toBe(
      `/undersoegelse/${round}/tak`,
    );
    const res = await viaLink
      .post(`/undersoegelse/${round}/side/6`)
      .type('form')
      .send({ _csrf: csrfFrom(linkForm.text), handling: 'indsend' });
    expect(res.status).toBe(409);
    expect(
      await t
        .db('survey_participation')
        .where({ round_id: round, participant_id: pid })
        .count<{ n: number }[]>({ n: '*' })
        .first()
        .then((r) => Number(r?.n)),
    ).toBe(1);
  });

  it('when a personal link is used, then it opens its own round without login; expired, revoked or guessed links do not', async () => {
    const pid = await addParticipant(t, 751, { email: 'link@aarhus.example.dk' });
    const link = await surveyLink(t, 751, pid, round);
    expect(link.token.length).toBeGreaterThanOrEqual(43); // 32 random bytes in base64url
    expect(
      await t
        .db('personal_links')
        .where({ token_hash: hashToken(link.token) })
        .first(),
    ).toBeTruthy();
    expect(JSON.stringify(await t.db('personal_links'))).not.toContain(link.token);
    const agent = request.agent(t.app);
    await agent.get(`/l/${link.token}`).expect(303);
    await answerAll(agent, round, () => '2');
    expect((await request(t.app).get(`/l/${link.token}x`)).status).toBe(404);
    const expired = await surveyLink(t, 751, pid, round, new Date(clock.now().getTime() - 1000));
    const res = await request(t.app).get(`/l/${expired.token}`);
    expect(res.status).toBe(404);
    expect(res.text).toContain('Linket er ugyldigt, udløbet eller tilbagekaldt');
    const revoked = await surveyLink(t, 751, pid, round);
    await t
      .db('personal_links')
      .where({ token_hash: hashToken(revoked.token) })
      .update({ revoked_at: new Date() });
    expect((await request(t.app).get(`/l/${revoked.token}`)).status).toBe(404);
  });

  it('when a survey link is used for another round, then it is refused', async () => {
    const pid = await addParticipant(t, 751, { email: 'other-round@aarhus.example.dk' });
    const link = await surveyLink(t, 751, pid, round);
    const agent = request.agent(t.app);
    await agent.get(`/l/${link.token}`).expect(303);
    const round2 = await roundId(t, 751, 2);
    const res = await agent.get(`/undersoegelse/${round2}/side/1`);
    expect(res.status).toBe(403);
    expect(res.text).toContain('gælder en anden undersøgelse');
  });

  it('when links are guessed many times, then the link route is rate-limited', async () => {
    const agent = request.agent(t.app);
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await agent.get(`/l/${'a'.repeat(43)}${i}`)).status);
    expect(statuses).toContain(429);
  });

  it('when the round is not open yet or already closed, then answering is refused with a clear message', async () => {
    await addParticipant(t, 751, { email: 'late@aarhus.example.dk' });
    const agent = await loggedIn(t, persona('late@aarhus.example.dk'));
    const round2 = await roundId(t, 751, 2);
    const early = await agent.get(`/undersoegelse/${round2}/side/1`);
    expect(early.status).toBe(409);
    expect(early.text).toContain('Undersøgelsen er ikke åbnet endnu');
    await t.db('survey_rounds').where({ id: round }).update({ state: 'closed' });
    try {
      const late = await agent.get(`/undersoegelse/${round}/side/1`);
      expect(late.status).toBe(409);
      expect(late.text).toContain('Undersøgelsen er lukket');
    } finally {
      await t.db('survey_rounds').where({ id: round }).update({ state: 'open' });
    }
  });
});
