import request from 'supertest';
import type { Agent } from 'supertest';
import type { Db } from '../../src/db/knex.js';
import type { TestApp } from '../support/app.js';
import { loginThroughDevIdp } from '../support/saml.js';
import { createLinkService, type LinkPurpose } from '../../src/links/links.service.js';
import { systemClock } from '../../src/shared/clock.js';
import { loadElearningContent } from '../../src/elearning/content.loader.js';
import { ELEARNING_CONTENT_DIR } from '../../src/shared/paths.js';
import type { QuizService } from '../../src/elearning/quiz.service.js';
import type { Learner } from '../../src/elearning/learners.js';

export const content = loadElearningContent(ELEARNING_CONTENT_DIR);

let seq = 0;
/** A unique email per call, so tests in one file never share a learner. */
export const uniqueEmail = (prefix = 'laerer'): string =>
  `${prefix}.${process.pid}.${++seq}.${Date.now()}@kk.example.dk`;

export async function addParticipant(
  db: Db,
  p: {
    municipalityCode?: number;
    name?: string;
    email?: string;
    surveyGroup?: string;
    superuser?: boolean;
  } = {},
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
  opts: {
    email?: string;
    roles?: string[];
    municipality?: number;
    firstName?: string;
    lastName?: string;
  } = {},
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

/** Each item's option ids and the attempt's opaque tokens for them, as stored. */
async function itemsOf(db: Db, attemptId: number) {
  const items = await db('quiz_attempt_items').where({ attempt_id: attemptId }).orderBy('position');
  return items.map((item) => {
    const order = JSON.parse(item.option_order) as string[];
    const tokens = JSON.parse(item.option_tokens) as string[];
    return {
      position: Number(item.position),
      question: content.question(item.question_id)!,
      tokenOf: (id: string) => tokens[order.indexOf(id)]!,
    };
  });
}

/** Option tokens answering the attempt's questions: the first `correct` right, the rest wrong. */
export async function tokenAnswers(
  db: Db,
  attemptId: number,
  correct: number,
): Promise<Map<number, string[]>> {
  const answers = new Map<number, string[]>();
  (await itemsOf(db, attemptId)).forEach((item, i) => {
    const right = item.question.options.filter((o) => o.correct).map((o) => o.id);
    const wrong = item.question.options.filter((o) => !o.correct).map((o) => o.id);
    answers.set(item.position, (i < correct ? right : [wrong[0]!]).map(item.tokenOf));
  });
  return answers;
}

/** A form body (q<position> fields) answering the attempt's questions: the first `correct` right, the rest wrong. */
export async function answersFor(
  db: Db,
  attemptId: number,
  correct: number,
): Promise<Record<string, string | string[]>> {
  const body: Record<string, string | string[]> = {};
  const types = new Map((await itemsOf(db, attemptId)).map((i) => [i.position, i.question.type]));
  for (const [position, tokens] of await tokenAnswers(db, attemptId, correct)) {
    body[`q${position}`] = types.get(position) === 'multiple' ? tokens : tokens[0]!;
  }
  return body;
}

/** The page a question is on (five to a page). */
export const pageOfPosition = (position: number): number => Math.ceil(position / 5);

/** Answers page by page as the form does (the first `correct` right), then hands in from the summary; the hand-in response. */
export async function takeAttempt(
  agent: Agent,
  db: Db,
  attemptId: number,
  correct: number,
): Promise<request.Response> {
  const body = await answersFor(db, attemptId, correct);
  const page = await agent.get(`/e-laering/test/forsoeg/${attemptId}`);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
  const pages = new Set(Object.keys(body).map((k) => pageOfPosition(Number(k.slice(1)))));
  for (const p of [...pages].sort((a, b) => a - b)) {
    const fields = Object.fromEntries(
      Object.entries(body).filter(([k]) => pageOfPosition(Number(k.slice(1))) === p),
    );
    const saved = await agent
      .post(`/e-laering/test/forsoeg/${attemptId}`)
      .type('form')
      .send({ _csrf: csrf, side: String(p), handling: 'naeste', ...fields });
    if (saved.status !== 303) return saved;
  }
  return agent.post(`/e-laering/test/forsoeg/${attemptId}/aflever`).type('form').send({ _csrf: csrf });
}

/** Through the service: saves the answers page by page (the first `correct` right) and hands in. */
export async function handInWith(
  quiz: QuizService,
  db: Db,
  learner: Learner,
  attemptId: number,
  correct: number,
) {
  const answers = await tokenAnswers(db, attemptId, correct);
  for (const page of new Set([...answers.keys()].map(pageOfPosition))) {
    const onPage = new Map([...answers].filter(([position]) => pageOfPosition(position) === page));
    await quiz.savePage(learner, attemptId, page, onPage);
  }
  return quiz.handIn(learner, attemptId);
}
