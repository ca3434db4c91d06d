import crypto from 'node:crypto';
import type { Db, DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay } from '../shared/clock.js';
import { Conflict, NotFound, ValidationError } from '../shared/errors.js';
import type { ElearningContent } from './content.loader.js';
import type { Question } from './content.schemas.js';
import type { Learner } from './learners.js';
import type { Rng } from '../shared/random.js';
import { drawAttempt, QUESTIONS_PER_ATTEMPT } from './quiz.draw.js';
import { quizRepository, type AttemptItemRow, type AttemptRow } from './quiz.repository.js';
import { bestAttempt, hasPassed, isAnswerCorrect, percentOf } from './quiz.scoring.js';
import { certificatesRepository } from './certificates.js';

/** Answers as posted: position → the opaque option tokens chosen. */
export type PostedAnswers = Map<number, string[]>;

/** Questions on one page of an attempt. */
export const QUESTIONS_PER_PAGE = 5;

/** When the review of a submitted attempt shows the correct options (TEST_REVIEW_SHOWS_KEY). */
export const REVIEW_SHOWS_KEY = ['never', 'after-pass', 'always'] as const;
export type ReviewShowsKey = (typeof REVIEW_SHOWS_KEY)[number];

export type AttemptQuestionView = {
  position: number;
  type: 'single' | 'multiple';
  text: string;
  /** Opaque per-attempt tokens and texts only: neither the content's option ids nor the key reach the page. */
  options: Array<{ token: string; text: string; checked: boolean }>;
};

export type AttemptPageView = {
  attempt: AttemptRow;
  page: number;
  pageCount: number;
  questions: AttemptQuestionView[];
  /** Every question of the attempt, for the navigation panel. */
  nav: Array<{ position: number; page: number; answered: boolean }>;
  answered: number;
  total: number;
};

export type ReviewItem = {
  position: number;
  text: string;
  type: 'single' | 'multiple';
  correct: boolean;
  /** Each option, whether the learner chose it, and whether it is right (null when the key is not shown). */
  options: Array<{ text: string; chosen: boolean; right: boolean | null }>;
  explanation: string;
  objectiveId: string;
  objectiveText: string;
  moduleSlug: string;
  moduleTitle: string;
};

export type AttemptResult = {
  attemptId: number;
  correct: number;
  total: number;
  percent: number;
  passed: boolean;
  passPercent: number;
  missed: Array<{
    objectiveId: string;
    objectiveText: string;
    wrong: number;
    moduleSlug: string;
    moduleTitle: string;
  }>;
  startedAt: Date;
  submittedAt: Date;
  durationMinutes: number;
  showsKey: boolean;
  review: ReviewItem[];
};

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

const pageOf = (position: number): number => Math.ceil(position / QUESTIONS_PER_PAGE);

const badAnswer = () =>
  new ValidationError('Svaret passer ikke til spørgsmålene i dit testforsøg. Genindlæs siden, og prøv igen.');

/** Final test use cases: start or resume, answer page by page, hand in once, review. */
export function createQuizService(deps: QuizDeps) {
  const { db, clock, content } = deps;
  const reviewShowsKey = deps.reviewShowsKey ?? 'after-pass';

  const ownAttempt = async (trx: DbOrTrx, learner: Learner, attemptId: number): Promise<AttemptRow> => {
    const a = await quizRepository.byId(trx, attemptId);
    if (!a || a.learnerId !== learner.id) throw new NotFound('Testforsøget findes ikke.');
    return a;
  };

  const questionOf = (item: AttemptItemRow): Question => {
    const q = content.question(item.questionId);
    if (!q)
      throw new Conflict(
        'Spørgsmålene i testen er blevet opdateret, siden du startede dette forsøg. Gå til testens side, og start igen.',
      );
    return q;
  };

  /** The attempt's items, with tokens made now for an attempt started before tokens existed. */
  const itemsWithTokens = async (trx: DbOrTrx, attemptId: number): Promise<AttemptItemRow[]> => {
    const items = await quizRepository.items(trx, attemptId);
    for (const item of items) {
      if (item.optionTokens.length === item.optionOrder.length) continue;
      item.optionTokens = tokensFor(item.optionOrder.length);
      await quizRepository.saveTokens(trx, attemptId, item.position, item.optionTokens);
    }
    return items;
  };

  const pageCountOf = (items: AttemptItemRow[]) => Math.max(1, Math.ceil(items.length / QUESTIONS_PER_PAGE));

  /** Resolves posted tokens to option ids; a token of another attempt or question, or a position off the page, is refused. */
  const resolve = (items: AttemptItemRow[], page: number, answers: PostedAnswers): Map<number, string[]> => {
    const out = new Map<number, string[]>();
    for (const [position, tokens] of answers) {
      const item = items.find((i) => i.position === position);
      if (!item || pageOf(position) !== page) throw badAnswer();
      const ids = tokens.map((t) => item.optionOrder[item.optionTokens.indexOf(t)]);
      if (ids.some((id) => id === undefined)) throw badAnswer();
      if (questionOf(item).type === 'single' && ids.length > 1) {
        throw new ValidationError('Vælg kun ét svar på spørgsmål med ét rigtigt svar.', {
          [`q${position}`]: 'Vælg kun ét svar.',
        });
      }
      out.set(position, ids as string[]);
    }
    return out;
  };

  /** The learner's unfinished attempt; one drawn from an older question bank cannot be finished, so it is dropped. */
  const currentUnfinished = async (trx: DbOrTrx, learner: Learner): Promise<AttemptRow | null> => {
    const open = await quizRepository.unfinished(trx, learner.id);
    if (!open) return null;
    const stale = (await quizRepository.items(trx, open.id)).some((i) => !content.question(i.questionId));
    if (!stale) return open;
    await quizRepository.dropUnfinished(trx, open.id);
    return null;
  };

  const hasPassedAny = async (learner: Learner) =>
    (await quizRepository.submittedFor(db, learner.id)).some((a) => a.passed);

  return {
    passPercent: deps.passPercent,
    questionsPerAttempt: deps.questionsPerAttempt ?? QUESTIONS_PER_ATTEMPT,
    questionsPerPage: QUESTIONS_PER_PAGE,
    reviewShowsKey,

    async unfinished(learner: Learner): Promise<AttemptRow | null> {
      return db.transaction((trx) => currentUnfinished(trx, learner));
    },

    /** The open attempt, or a freshly drawn one with new option tokens. */
    async startOrResume(learner: Learner): Promise<number> {
      return db.transaction(async (trx) => {
        const open = await currentUnfinished(trx, learner);
        if (open) return open.id;
        const drawn = drawAttempt(
          content.questions,
          content.objectives,
          deps.rng,
          deps.questionsPerAttempt ?? QUESTIONS_PER_ATTEMPT,
        );
        const items = drawn.map((d) => ({ ...d, optionTokens: tokensFor(d.optionOrder.length) }));
        return quizRepository.create(trx, {
          learnerId: learner.id,
          startedAt: clock.now(),
          passPercent: deps.passPercent,
          items,
        });
      });
    },

    /** One page of an open attempt, with the learner's saved answers ticked and the whole attempt's state for the panel. */
    async attemptPage(learner: Learner, attemptId: number, page: number): Promise<AttemptPageView> {
      return db.transaction(async (trx) => {
        const attempt = await ownAttempt(trx, learner, attemptId);
        const items = await itemsWithTokens(trx, attemptId);
        const pageCount = pageCountOf(items);
        if (!Number.isInteger(page) || page < 1 || page > pageCount)
          throw new NotFound('Siden findes ikke i testforsøget.');
        const questions = items
          .filter((item) => pageOf(item.position) === page)
          .map((item) => {
            const q = questionOf(item);
            const selected = new Set(item.selected ?? []);
            return {
              position: item.position,
              type: q.type,
              text: q.text,
              options: item.optionOrder.map((id, i) => ({
                token: item.optionTokens[i]!,
                text: q.options.find((o) => o.id === id)?.text ?? '',
                checked: selected.has(id),
              })),
            };
          });
        const nav = items.map((i) => ({
          position: i.position,
          page: pageOf(i.position),
          answered: Boolean(i.selected?.length),
        }));
        return {
          attempt,
          page,
          pageCount,
          questions,
          nav,
          answered: nav.filter((n) => n.answered).length,
          total: items.length,
        };
      });
    },

    /** Saves one page's answers (an unanswered question on it is cleared); the attempt resumes from the server's record. */
    async savePage(
      learner: Learner,
      attemptId: number,
      page: number,
      answers: PostedAnswers,
    ): Promise<{ pageCount: number }> {
      return db.transaction(async (trx) => {
        await ownAttempt(trx, learner, attemptId);
        if (!(await quizRepository.touchOpen(trx, attemptId, learner.id))) throw alreadySubmitted();
        const items = await itemsWithTokens(trx, attemptId);
        const pageCount = pageCountOf(items);
        if (!Number.isInteger(page) || page < 1 || page > pageCount)
          throw new NotFound('Siden findes ikke i testforsøget.');
        const chosen = resolve(items, page, answers);
        for (const item of items.filter((i) => pageOf(i.position) === page)) {
          const ids = chosen.get(item.position) ?? [];
          await quizRepository.saveItem(trx, attemptId, item.position, ids.length ? ids : null, null);
        }
        return { pageCount };
      });
    },

    /** What is answered before handing in, and which questions are not (with their pages). */
    async summary(learner: Learner, attemptId: number) {
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
    },

    /** Hands in the saved answers once: the conditional UPDATE refuses a second (or parallel) hand-in. */
    async handIn(learner: Learner, attemptId: number): Promise<AttemptResult> {
      await db.transaction(async (trx) => {
        await ownAttempt(trx, learner, attemptId);
        const items = await quizRepository.items(trx, attemptId);
        items.forEach(questionOf);
        const now = clock.now();
        if (!(await quizRepository.claimSubmission(trx, attemptId, learner.id, now)))
          throw alreadySubmitted();
        let correct = 0;
        for (const item of items) {
          const ok = isAnswerCorrect(questionOf(item), item.selected ?? []);
          if (ok) correct++;
          await quizRepository.saveItem(trx, attemptId, item.position, item.selected, ok);
        }
        const passed = hasPassed(correct, items.length, deps.passPercent);
        await quizRepository.saveScore(trx, attemptId, correct, passed);
        if (passed) {
          const code = await certificatesRepository.issueOnce(trx, {
            learnerId: learner.id,
            attemptId,
            name: learner.name,
            municipalityCode: learner.municipalityCode,
            passedOn: isoDay(now),
          });
          if (code && deps.onFirstPass) await deps.onFirstPass(trx, learner, code);
        }
      });
      return this.result(learner, attemptId);
    },

    /** Score, time taken, the objectives to revisit and, per question, the review (the key only as the setting allows). */
    async result(learner: Learner, attemptId: number): Promise<AttemptResult> {
      const attempt = await ownAttempt(db, learner, attemptId);
      if (!attempt.submittedAt) throw new NotFound('Testforsøget er ikke afleveret endnu.');
      const items = await quizRepository.items(db, attemptId);
      const showsKey =
        reviewShowsKey === 'always' || (reviewShowsKey === 'after-pass' && (await hasPassedAny(learner)));
      const wrongByObjective = new Map<string, number>();
      for (const i of items)
        if (!i.correct) wrongByObjective.set(i.objectiveId, (wrongByObjective.get(i.objectiveId) ?? 0) + 1);
      const moduleOf = (objectiveId: string) => {
        const o = content.objective(objectiveId);
        const m = o ? content.module(o.module) : undefined;
        return {
          objectiveText: o?.text ?? objectiveId,
          moduleSlug: o?.module ?? '',
          moduleTitle: m?.title ?? o?.module ?? '',
        };
      };
      const missed = content.objectives
        .filter((o) => wrongByObjective.has(o.id))
        .map((o) => ({ objectiveId: o.id, wrong: wrongByObjective.get(o.id)!, ...moduleOf(o.id) }));
      const review = items.flatMap((item): ReviewItem[] => {
        const q = content.question(item.questionId);
        if (!q) return [];
        const chosen = new Set(item.selected ?? []);
        return [
          {
            position: item.position,
            text: q.text,
            type: q.type,
            correct: Boolean(item.correct),
            options: item.optionOrder.map((id) => {
              const o = q.options.find((x) => x.id === id);
              return {
                text: o?.text ?? '',
                chosen: chosen.has(id),
                right: showsKey ? Boolean(o?.correct) : null,
              };
            }),
            explanation: q.explanation ?? '',
            objectiveId: item.objectiveId,
            ...moduleOf(item.objectiveId),
          },
        ];
      });
      const correct = attempt.correctCount ?? 0;
      return {
        attemptId,
        correct,
        total: attempt.questionCount,
        percent: percentOf(correct, attempt.questionCount),
        passed: Boolean(attempt.passed),
        passPercent: attempt.passPercent,
        missed,
        startedAt: attempt.startedAt,
        submittedAt: attempt.submittedAt,
        durationMinutes: Math.max(
          1,
          Math.round((attempt.submittedAt.getTime() - attempt.startedAt.getTime()) / 60_000),
        ),
        showsKey,
        review,
      };
    },

    /** Every submitted attempt and the one that counts. */
    async history(learner: Learner) {
      const attempts = (await quizRepository.submittedFor(db, learner.id)).map((a) => ({
        id: a.id,
        correct: a.correctCount ?? 0,
        total: a.questionCount,
        percent: percentOf(a.correctCount ?? 0, a.questionCount),
        passed: Boolean(a.passed),
        startedAt: a.startedAt,
        submittedAt: a.submittedAt!,
        durationMinutes: Math.max(1, Math.round((a.submittedAt!.getTime() - a.startedAt.getTime()) / 60_000)),
      }));
      return { attempts, best: bestAttempt(attempts), passed: attempts.some((a) => a.passed) };
    },
  };
}

export type QuizService = ReturnType<typeof createQuizService>;

function alreadySubmitted(): Conflict {
  return new Conflict(
    'Testforsøget er allerede afleveret og kan ikke ændres. Du kan se dit resultat eller starte et nyt forsøg.',
  );
}
