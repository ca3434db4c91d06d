import request from 'supertest';
import type { Agent } from 'supertest';
import type { Db } from '../../src/db/knex.js';
import type { TestApp } from '../support/app.js';
import { loginThroughDevIdp } from '../support/saml.js';
import { createLinkService, type LinkPurpose } from '../../src/links/links.service.js';
import { systemClock } from '../../src/shared/clock.js';
import { loadElearningContent } from '../../src/elearning/content.loader.js';
import { ELEARNING_CONTENT_DIR } from '../../src/elearning/elearning.routes.js';

export const content = loadElearningContent(ELEARNING_CONTENT_DIR);

let seq = 0;
/** A unique email per call, so tests in one file never share a learner. */
export const uniqueEmail = (prefix = 'laerer'): string => `${prefix}.${process.pid}.${++seq}.${Date.now()}@kk.example.dk`;

export async function addParticipant(
  db: Db,
  p: { municipalityCode?: number; name?: string; email?: string; surveyGroup?: string; superuser?: boolean } = {},
): Promise<{ id: number; email: string; municipalityCode: number }> {
  const email = p.email ?? uniqueEmail('deltager');
  const municipalityCode = p.municipalityCode ?? 101;
  const [row] = await db('participants')
    .insert({
      municipality_code: municipalityCode,
      name: p.name ?? 'Bodil Deltager',
      email,
      survey_group: p.surveyGroup ?? 'sagsbehandler-ydelsescenter',
      superuser: p.superuser ?? false,
    })
    .returning('id');
  return { id: Number(typeof row === 'object' ? row.id : row), email, municipalityCode };
}

/** An agent whose session came in through a personal link of the given purpose. */
export async function agentWithLink(
  t: TestApp,
  participant: { id: number; municipalityCode: number },
  purpose: LinkPurpose,
  extra: { courseSessionId?: number; roundId?: number } = {},
): Promise<Agent> {
  const links = createLinkService({ db: t.db, clock: systemClock, publicUrl: 'http://localhost:3000' });
  const { token } = await links.issue(t.db, {
    purpose,
    municipalityCode: participant.municipalityCode,
    participantId: participant.id,
    courseSessionId: extra.courseSessionId ?? null,
    roundId: extra.roundId ?? null,
    expiresAt: new Date(Date.now() + 7 * 86_400_000),
  });
  const agent = request.agent(t.app);
  await agent.get(`/l/${token}`).expect(303);
  return agent;
}

/** Logs a caseworker in through the development IdP. */
export async function caseworkerAgent(
  t: TestApp,
  opts: { email?: string; roles?: string[]; municipality?: number; firstName?: string; lastName?: string } = {},
): Promise<{ agent: Agent; email: string }> {
  const agent = request.agent(t.app);
  const email = opts.email ?? uniqueEmail();
  await loginThroughDevIdp(agent, {
    municipality: opts.municipality ?? 101,
    roles: opts.roles ?? ['sagsbehandler-ydelsescenter'],
    firstName: opts.firstName ?? 'Anette',
    lastName: opts.lastName ?? 'Sagsbehandler',
    email,
  });
  return { agent, email };
}

/** Starts (or resumes) the final test and returns the attempt id. */
export async function startAttempt(agent: Agent, csrf: string): Promise<number> {
  const res = await agent.post('/e-laering/test/start').type('form').send({ _csrf: csrf }).expect(303);
  return Number(String(res.headers.location).match(/forsoeg\/(\d+)/)![1]);
}

/** A form body answering the attempt's questions: the first `correct` right, the rest wrong. */
export async function answersFor(db: Db, attemptId: number, correct: number): Promise<Record<string, string | string[]>> {
  const items = await db('quiz_attempt_items').where({ attempt_id: attemptId }).orderBy('position');
  const body: Record<string, string | string[]> = {};
  items.forEach((item, i) => {
    const q = content.question(item.question_id)!;
    const right = q.options.filter((o) => o.correct).map((o) => o.id);
    const wrong = q.options.filter((o) => !o.correct).map((o) => o.id);
    const ids = i < correct ? right : [wrong[0]!];
    body[`q${item.position}`] = q.type === 'multiple' ? ids : ids[0]!;
  });
  return body;
}
