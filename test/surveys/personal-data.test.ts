import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { addParticipant, loggedIn, planAndTick, roundId, surveyLink, tokenOf } from './support.js';

let t: TestApp;
const clock = new FixedClock(new Date());
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => t.close());

const leader = { municipality: 751, roles: ['projektleder'], email: 'pl@aarhus.example.dk' };

describe('personal data (GDPR art. 15 and 17)', () => {
  it('when the project leader exports a person, then participation, links and learning are there but no answers', async () => {
    await planAndTick(t, 751, '2026-01-15');
    const round = await roundId(t, 751, 1);
    const pid = await addParticipant(t, 751, { name: 'Inge Indsigt', email: 'inge@aarhus.example.dk' });
    await t.db('survey_participation').insert({ round_id: round, participant_id: pid, submitted: true });
    await t.db('survey_responses').insert({
      id: crypto.randomUUID(),
      round_id: round,
      municipality_code: 751,
      round_no: 1,
      survey_group: 'sagsbehandler-ydelsescenter',
      instrument_version: 1,
      answers: '{"opm1":5}',
      comment: 'hemmelig kommentar',
    });
    await surveyLink(t, 751, pid, round);
    const agent = await loggedIn(t, leader);
    const res = await agent.get(`/kommune/deltagere/${pid}/data`).expect(200);
    expect(res.headers['content-disposition']).toContain('persondata.json');
    const data = JSON.parse(res.text);
    expect(data.deltager).toMatchObject({ navn: 'Inge Indsigt', email: 'inge@aarhus.example.dk' });
    expect(data.parathedsundersoegelser).toEqual([
      { runde: '1/3', periode: expect.any(String), besvaret: true },
    ]);
    expect(data.personlige_links).toHaveLength(1);
    expect(res.text).not.toContain('hemmelig kommentar');
    expect(await t.db('audit_log').where({ action: 'participants.export' })).toHaveLength(1);
  });

  it('when the project leader erases a person, then links, participation and mail to them go, and the anonymous answers stay', async () => {
    const round = await roundId(t, 751, 1);
    const pid = await addParticipant(t, 751, { name: 'Erik Slet', email: 'erik@aarhus.example.dk' });
    await t.db('survey_participation').insert({ round_id: round, participant_id: pid, submitted: true });
    await surveyLink(t, 751, pid, round);
    await t.db('outbox').insert({
      idempotency_key: 'erase-test',
      kind: 'invitation',
      municipality_code: 751,
      recipients: JSON.stringify(['erik@aarhus.example.dk']),
      subject: 'Invitation',
      html: '<p>Kære Erik</p>',
      text: 'Kære Erik',
      contains_link: true,
      message_id: '<x@y>',
      status: 'held',
      attempts: 0,
      next_attempt_at: new Date(),
      created_at: new Date(),
    });
    const responsesBefore = await t.db('survey_responses').count<{ n: number }[]>({ n: '*' }).first();
    const agent = await loggedIn(t, leader);
    const csrf = await tokenOf(agent, `/kommune/deltagere/${pid}`);
    await agent.post(`/kommune/deltagere/${pid}/slet`).type('form').send({ _csrf: csrf }).expect(303);
    expect(await t.db('participants').where({ id: pid }).first()).toBeUndefined();
    expect(await t.db('personal_links').where({ participant_id: pid })).toEqual([]);
    expect(await t.db('survey_participation').where({ participant_id: pid })).toEqual([]);
    expect(await t.db('outbox').where({ idempotency_key: 'erase-test' }).first()).toBeUndefined();
    expect(await t.db('survey_responses').count<{ n: number }[]>({ n: '*' }).first()).toEqual(
      responsesBefore,
    );
  });

  it('when round 3/3 closed longer ago than PURGE_AFTER_DAYS, then the scheduler purges the participant list and links; otherwise not', async () => {
    await planAndTick(t, 101, '2026-01-15');
    await addParticipant(t, 101, { email: 'keep@kk.example.dk' });
    const s = t.deps.surveys;
    const r3 = await roundId(t, 101, 3);
    await t
      .db('survey_rounds')
      .where({ id: r3 })
      .update({ state: 'closed', closed_at: new Date(clock.now().getTime() - 10 * 86_400_000) });
    expect(await s.participants.purgeDue()).toEqual([]);
    await t
      .db('survey_rounds')
      .where({ id: r3 })
      .update({ closed_at: new Date(clock.now().getTime() - 181 * 86_400_000) });
    expect(await s.participants.purgeDue()).toEqual([101]);
    expect(await t.db('participants').where({ municipality_code: 101 })).toEqual([]);
    expect(await t.db('participants').where({ municipality_code: 751 }).first()).toBeTruthy();
    expect(await s.participants.purgeDue()).toEqual([]);
  });
});
