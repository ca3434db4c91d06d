import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { addParticipant, loggedIn, roundId, tokenOf } from './support.js';

const clock = new FixedClock(new Date('2026-01-05T08:00:00Z'));
let t: TestApp;
let round: number;
const leader = { municipality: 751, roles: ['projektleder'], email: 'pl@aarhus.example.dk' };
const invitations = () =>
  t
    .db('outbox')
    .where({ kind: 'invitation', municipality_code: 751 })
    .orderBy('id')
    .select('recipients', 'idempotency_key');

beforeAll(async () => {
  t = await createTestApp({ clock });
  const s = t.deps.surveys;
  await s.rounds.setPlan(751, { wave: 4, goLive: '2026-05-01' }, null);
  await s.rounds.setPlan(101, { wave: 4, goLive: '2026-05-01' }, null);
  round = await roundId(t, 751, 1);
  await addParticipant(t, 751, { email: 'foer1@aarhus.example.dk' });
  await addParticipant(t, 751, { email: 'foer2@aarhus.example.dk' });
  const r1 = await t.db('survey_rounds').where({ id: round }).first('opens_on');
  clock.set(new Date(`${r1.opens_on}T08:00:00Z`));
  await s.rounds.tick();
});
afterAll(async () => t.close());

describe('invitations to people added while a round is open', () => {
  it('when the project leader adds people to an open round and sends invitations, then only the new ones get one, once', async () => {
    expect((await invitations()).map((m) => JSON.parse(m.recipients))).toEqual([
      ['foer1@aarhus.example.dk'],
      ['foer2@aarhus.example.dk'],
    ]);
    const agent = await loggedIn(t, leader);
    // Nobody is waiting: no button.
    expect((await agent.get('/kommune').expect(200)).text).not.toContain('/invitationer"');

    await addParticipant(t, 751, { email: 'ny1@aarhus.example.dk' });
    await addParticipant(t, 751, { email: 'ny2@aarhus.example.dk' });
    const page = (await agent.get('/kommune').expect(200)).text;
    expect(page).toContain(`action="/kommune/runder/${round}/invitationer"`);
    expect(page).toContain('Send invitation til 2 nye deltagere');
    const csrf = await tokenOf(agent, '/kommune');

    await agent
      .post(`/kommune/runder/${round}/invitationer`)
      .type('form')
      .send({ _csrf: csrf })
      .expect(303)
      .expect('Location', '/kommune');
    expect((await agent.get('/kommune').expect(200)).text).toContain(
      '2 invitationer er lagt i kø til afsendelse.',
    );
    const after = await invitations();
    expect(after.map((m) => JSON.parse(m.recipients))).toEqual([
      ['foer1@aarhus.example.dk'],
      ['foer2@aarhus.example.dk'],
      ['ny1@aarhus.example.dk'],
      ['ny2@aarhus.example.dk'],
    ]);
    // Each new invitation carries a working personal link for this round.
    expect(
      await t.db('personal_links').where({ round_id: round, purpose: 'survey' }).pluck('id'),
    ).toHaveLength(4);

    // A second press (or a second tab) sends nothing more.
    await agent.post(`/kommune/runder/${round}/invitationer`).type('form').send({ _csrf: csrf }).expect(303);
    expect((await agent.get('/kommune').expect(200)).text).toContain(
      'Alle deltagere har allerede fået en invitation til runden.',
    );
    expect(await invitations()).toHaveLength(4);
    expect(await t.db('audit_log').where({ action: 'round.invite' }).select('details')).toHaveLength(1);
  });

  it('when the round is not open or not the municipality’s own, then the request is refused and nothing is queued', async () => {
    const agent = await loggedIn(t, leader);
    const csrf = await tokenOf(agent, '/kommune');
    const before = (await invitations()).length;
    const planned = await roundId(t, 751, 2);
    expect(
      (
        await agent
          .post(`/kommune/runder/${planned}/invitationer`)
          .type('form')
          .send({ _csrf: csrf })
          .expect(409)
      ).text,
    ).toContain('Der kan kun sendes invitationer, mens runden er åben.');
    await agent
      .post(`/kommune/runder/${await roundId(t, 101, 1)}/invitationer`)
      .type('form')
      .send({ _csrf: csrf })
      .expect(404);
    await agent.post('/kommune/runder/999999/invitationer').type('form').send({ _csrf: csrf }).expect(404);
    const caseworker = await loggedIn(t, {
      municipality: 751,
      roles: ['sagsbehandler-ydelsescenter'],
      email: 'sb@aarhus.example.dk',
    });
    await caseworker
      .post(`/kommune/runder/${round}/invitationer`)
      .type('form')
      .send({ _csrf: await tokenOf(caseworker, '/e-laering/test') })
      .expect(403);
    expect(await invitations()).toHaveLength(before);
  });
});
