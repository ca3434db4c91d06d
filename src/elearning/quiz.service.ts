import crypto from 'node:crypto';
import type { Db, DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay } from '../shared/clock.js';
import { Conflict, NotFound } from '../shared/errors.js';
import type { Rng } from '../shared/random.js';
import type { ElearningContent } from './content.loader.js';
import type { Learner } from './learners.js';
import { drawAttempt, QUESTIONS_PER_ATTEMPT } from './quiz.draw.js';
import { quizRepository, type AttemptItemRow, type AttemptRow } from './quiz.repository.js';
import { hasPassed, isAnswerCorrect } from './quiz.scoring.js';
import { certificatesRepository } from './certificates.repository.js';
import {
  attemptPageView,
  attemptResult,
  historyOf,
  pageCountOf,
  pageOf,
  questionOf,
  QUESTIONS_PER_PAGE,
  resolveAnswers,
  type AttemptPageView,
  type AttemptResult,
  type PostedAnswers,
} from './quiz.views.js';

/** When the review of a submitted attempt shows the correct options (TEST_REVIEW_SHOWS_KEY). */
export const REVIEW_SHOWS_KEY = ['never', 'after-pass', 'always'] as const;
/** One of the settings of TEST_REVIEW_SHOWS_KEY. */
export type ReviewShowsKey = (typeof REVIEW_SHOWS_KEY)[number];

export type QuizDeps = {
  db: Db;
  clock: Clock;
  content: ElearningContent;
  passPercent: number;
  rng: Rng;
  questionsPerAttempt?: number;
  reviewShowsKey?: ReviewShowsKey;
  /** Called in the submitting transaction when a learner's certificate is first issued (the "test passed" mail). */
  onFirstPass?: (trx: DbOrTrx, learner: Learner, certificateCode: string) => Promise<void>;
};

/** A random token for one option of one question of one attempt (72 bits, URL-safe). */
const newToken = (): string => crypto.randomBytes(9).toString('base64url');
const tokensFor = (n: number): string[] => Array.from({ length: n }, newToken);

function alreadySubmitted(): Conflict {
  return new Conflict(
    'Testforsøget er allerede afleveret og kan ikke ændres. Du kan se dit resultat eller starte et nyt forsøg.',
  );
}

async function ownAttempt(trx: DbOrTrx, learner: Learner, attemptId: number): Promise<AttemptRow> {
  const a = await quizRepository.byId(trx, attemptId);
  if (!a || a.learnerId !== learner.id) throw new NotFound('Testforsøget findes ikke.');
  return a;
}

/** The attempt's items, with tokens made now for an attempt started before tokens existed. */
async function itemsWithTokens(trx: DbOrTrx, attemptId: number): Promise<AttemptItemRow[]> {
  const items = await quizRepository.items(trx, attemptId);
  for (const item of items) {
    if (item.optionTokens.length === item.optionOrder.length) continue;
    item.optionTokens = tokensFor(item.optionOrder.length);
    await quizRepository.saveTokens(trx, attemptId, item.position, item.optionTokens);
  }
  return items;
}

function checkPage(items: AttemptItemRow[], page: number): number {
  const pageCount = pageCountOf(items);
  if (!Number.isInteger(page) || page < 1 || page > pageCount)
    throw new NotFound('Siden findes ikke i testforsøget.');
  return pageCount;
}

/** The learner's unfinished attempt; one drawn from an older question bank cannot be finished, so it is dropped. */
async function currentUnfinished(
  { content }: QuizDeps,
  trx: DbOrTrx,
  learner: Learner,
): Promise<AttemptRow | null> {
  const open = await quizRepository.unfinished(trx, learner.id);
  if (!open) return null;
  const stale = (await quizRepository.items(trx, open.id)).some((i) => !content.question(i.questionId));
  if (!stale) return open;
  await quizRepository.dropUnfinished(trx, open.id);
  return null;
}

/** The open attempt, or a freshly drawn one with new option tokens. */
async function startOrResume(deps: QuizDeps, learner: Learner): Promise<number> {
  return deps.db.transaction(async (trx) => {
    const open = await currentUnfinished(deps, trx, learner);
    if (open) return open.id;
    const count = deps.questionsPerAttempt ?? QUESTIONS_PER_ATTEMPT;
    const drawn = drawAttempt(deps.content.questions, deps.content.objectives, deps.rng, count);
    return quizRepository.create(trx, {
      learnerId: learner.id,
      startedAt: deps.clock.now(),
      passPercent: deps.passPercent,
      items: drawn.map((d) => ({ ...d, optionTokens: tokensFor(d.optionOrder.length) })),
    });
  });
}

/** One page of an open attempt, with the learner's saved answers ticked and the whole attempt's state for the panel. */
async function attemptPage(
  deps: QuizDeps,
  learner: Learner,
  attemptId: number,
  page: number,
): Promise<AttemptPageView> {
  return deps.db.transaction(async (trx) => {
    const attempt = await ownAttempt(trx, learner, attemptId);
    const items = await itemsWithTokens(trx, attemptId);
    checkPage(items, page);
    return attemptPageView(deps.content, attempt, items, page);
  });
}

/** Saves one page's answers (an unanswered question on it is cleared); the attempt resumes from the server's record. */
async function savePage(
  deps: QuizDeps,
  learner: Learner,
  attemptId: number,
  page: number,
  answers: PostedAnswers,
): Promise<{ pageCount: number }> {
  return deps.db.transaction(async (trx) => {
    await ownAttempt(trx, learner, attemptId);
    if (!(await quizRepository.touchOpen(trx, attemptId, learner.id))) throw alreadySubmitted();
    const items = await itemsWithTokens(trx, attemptId);
    const pageCount = checkPage(items, page);
    const chosen = resolveAnswers(deps.content, items, page, answers);
    for (const item of items.filter((i) => pageOf(i.position) === page)) {
      const ids = chosen.get(item.position) ?? [];
      await quizRepository.saveItem(trx, attemptId, item.position, ids.length ? ids : null, null);
    }
    return { pageCount };
  });
}

/** What is answered before handing in, and which questions are not (with their pages). */
async function summary({ db }: QuizDeps, learner: Learner, attemptId: number) {
  const attempt = await ownAttempt(db, learner, attemptId);
  const items = await quizRepository.items(db, attemptId);
  const unanswered = items
    .filter((i) => !i.selected?.length)
    .map((i) => ({ position: i.position, page: pageOf(i.position) }));
  return {
    attempt,
    total: items.length,
    answered: items.length - unanswered.length,
    unanswered,
    pageCount: pageCountOf(items),
  };
}

/** Hands in the saved answers once: the conditional UPDATE refuses a second (or parallel) hand-in. */
async function handIn(deps: QuizDeps, learner: Learner, attemptId: number): Promise<void> {
  await deps.db.transaction(async (trx) => {
    await ownAttempt(trx, learner, attemptId);
    const items = await quizRepository.items(trx, attemptId);
    items.forEach((item) => questionOf(deps.content, item));
    const now = deps.clock.now();
    if (!(await quizRepository.claimSubmission(trx, attemptId, learner.id, now))) throw alreadySubmitted();
    let correct = 0;
    for (const item of items) {
      const ok = isAnswerCorrect(questionOf(deps.content, item), item.selected ?? []);
      if (ok) correct++;
      await quizRepository.saveItem(trx, attemptId, item.position, item.selected, ok);
    }
    const passed = hasPassed(correct, items.length, deps.passPercent);
    await quizRepository.saveScore(trx, attemptId, correct, passed);
    if (!passed) return;
    const code = await certificatesRepository.issueOnce(trx, {
      learnerId: learner.id,
      attemptId,
      name: learner.name,
      municipalityCode: learner.municipalityCode,
      passedOn: isoDay(now),
    });
    if (code && deps.onFirstPass) await deps.onFirstPass(trx, learner, code);
  });
}

/** Score, time taken, the objectives to revisit and, per question, the review (the key only as the setting allows). */
async function result(deps: QuizDeps, learner: Learner, attemptId: number): Promise<AttemptResult> {
  const { db } = deps;
  const attempt = await ownAttempt(db, learner, attemptId);
  const submittedAt = attempt.submittedAt;
  if (!submittedAt) throw new NotFound('Testforsøget er ikke afleveret endnu.');
  const items = await quizRepository.items(db, attemptId);
  const setting = deps.reviewShowsKey ?? 'after-pass';
  const showsKey =
    setting === 'always' ||
    (setting === 'after-pass' && (await quizRepository.submittedFor(db, learner.id)).some((a) => a.passed));
  return attemptResult(deps.content, { ...attempt, submittedAt }, items, showsKey);
}

/** Final test use cases: start or resume, answer page by page, hand in once, review. */
export function createQuizService(deps: QuizDeps) {
  return {
    passPercent: deps.passPercent,
    questionsPerAttempt: deps.questionsPerAttempt ?? QUESTIONS_PER_ATTEMPT,
    questionsPerPage: QUESTIONS_PER_PAGE,
    reviewShowsKey: deps.reviewShowsKey ?? 'after-pass',
    unfinished: (learner: Learner): Promise<AttemptRow | null> =>
      deps.db.transaction((trx) => currentUnfinished(deps, trx, learner)),
    startOrResume: (learner: Learner) => startOrResume(deps, learner),
    attemptPage: (learner: Learner, attemptId: number, page: number) =>
      attemptPage(deps, learner, attemptId, page),
    savePage: (learner: Learner, attemptId: number, page: number, answers: PostedAnswers) =>
      savePage(deps, learner, attemptId, page, answers),
    summary: (learner: Learner, attemptId: number) => summary(deps, learner, attemptId),
    async handIn(learner: Learner, attemptId: number): Promise<AttemptResult> {
      await handIn(deps, learner, attemptId);
      return result(deps, learner, attemptId);
    },
    result: (learner: Learner, attemptId: number) => result(deps, learner, attemptId),
    /** Every submitted attempt and the one that counts. */
    history: async (learner: Learner) => historyOf(await quizRepository.submittedFor(deps.db, learner.id)),
  };
}

/** The final test as routes and tests use it. */
export type QuizService = ReturnType<typeof createQuizService>;
