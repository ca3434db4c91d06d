import request from 'supertest';
import type { TestApp } from '../support/app.js';
import { csrfFrom, loginThroughDevIdp } from '../support/saml.js';
import { createLinkService } from '../../src/links/links.service.js';

/** Sets a municipality's go-live and runs the scheduler tick. */
export async function planAndTick(t: TestApp, code: number, goLive: string, wave = 4) {
  const s = t.deps.surveys;
  await s.rounds.setPlan(code, { wave, goLive }, null);
  return s.rounds.tick();
}

/** Aarhus' round 1/3 open today (go-live in six months); returns its id. */
export async function openAarhusRoundToday(t: TestApp): Promise<number> {
  const goLive = new Date(Date.now() + 183 * 86_400_000).toISOString().slice(0, 10);
  await planAndTick(t, 751, goLive);
  const round = await roundId(t, 751, 1);
  const r = await t.db('survey_rounds').where({ id: round }).first();
  if (r.state !== 'open')
    await t.db('survey_rounds').where({ id: round }).update({ state: 'open', instrument_version: 1 });
  return round;
}

export async function addParticipant(
  t: TestApp,
  code: number,
  p: { name?: string; email: string; group?: string; superuser?: boolean },
): Promise<number> {
  const [row] = await t
    .db('participants')
    .insert({
      municipality_code: code,
      name: p.name ?? 'Test Deltager',
      email: p.email,
      survey_group: p.group ?? 'sagsbehandler-ydelsescenter',
      superuser: p.superuser ?? false,
      created_at: new Date(),
    })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

export async function roundId(t: TestApp, code: number, roundNo: number): Promise<number> {
  const r = await t.db('survey_rounds').where({ municipality_code: code, round_no: roundNo }).first('id');
  return Number(r.id);
}

export async function surveyLink(
  t: TestApp,
  code: number,
  participantId: number,
  round: number,
  expiresAt = new Date(Date.now() + 86_400_000),
) {
  const links = createLinkService({ db: t.db, clock: t.deps.clock, publicUrl: t.deps.config.publicUrl });
  return links.issue(t.db, {
    purpose: 'survey',
    municipalityCode: code,
    participantId,
    roundId: round,
    expiresAt,
  });
}

/** An agent logged in through the development IdP. */
export async function loggedIn(t: TestApp, persona: Parameters<typeof loginThroughDevIdp>[1]) {
  const agent = request.agent(t.app);
  const res = await loginThroughDevIdp(agent, persona);
  if (res.status !== 303) throw new Error(`login failed: ${res.status}`);
  return agent;
}

/** The CSRF token of a page the agent can open. */
export async function tokenOf(agent: ReturnType<typeof request.agent>, path: string): Promise<string> {
  const page = await agent.get(path);
  if (page.status !== 200 && page.status !== 422) throw new Error(`${path}: ${page.status}`);
  return csrfFrom(page.text);
}

/** Answers every page with the given value (1–5 or 'vedikke') and submits. */
export async function answerAll(
  agent: ReturnType<typeof request.agent>,
  round: number,
  value: (itemId: string) => string,
  comment = '',
) {
  for (let page = 1; page <= 6; page++) {
    const form = await agent.get(`/undersoegelse/${round}/side/${page}`).expect(200);
    const ids = [...form.text.matchAll(/name="([a-z]{3}\d)" value="1"/g)].map((m) => m[1]!);
    const body: Record<string, string> = {
      _csrf: csrfFrom(form.text),
      handling: page === 6 ? 'indsend' : 'naeste',
    };
    for (const id of ids) body[id] = value(id);
    if (page === 6) body.comment = comment;
    const res = await agent.post(`/undersoegelse/${round}/side/${page}`).type('form').send(body);
    if (res.status !== 303) throw new Error(`page ${page}: ${res.status} ${res.text.slice(0, 300)}`);
  }
}
