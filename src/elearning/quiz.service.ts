import type { Db, DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay } from '../shared/clock.js';
import { Conflict, NotFound, ValidationError } from '../shared/errors.js';
import type { ElearningContent } from './content.loader.js';
import type { Learner } from './learners.js';
import { drawAttempt, QUESTIONS_PER_ATTEMPT, type Rng } from './quiz.draw.js';
import { quizRepository, type AttemptItemRow, type AttemptRow } from './quiz.repository.js';
import { bestAttempt, hasPassed, isAnswerCorrect, percentOf } from './quiz.scoring.js';
import { certificatesRepository } from './certificates.js';

/** Answers as posted: position → selected option ids. */
export type PostedAnswers = Map<number, string[]>;

export type AttemptQuestionView = {
  position: number;
  type: 'single' | 'multiple';
  text: string;
  /** Option ids and texts only: the answer key stays on the server. */
  options: Array<{ id: string; text: string; checked: boolean }>;
};

export type AttemptResult = {
  attemptId: number;
  correct: number;
  total: number;
  percent: number;
  passed: boolean;
  passPercent: number;
  missed: Array<{ objectiveId: string; objectiveText: string; wrong: number; moduleSlug: string; moduleTitle: string }>;
};

export type QuizDeps = {
  db: Db;
  clock: Clock;
  content: ElearningContent;
  passPercent: number;
  rng: Rng;
  questionsPerAttempt?: number;
  /** Called in the submitting transaction when a learner's certificate is first issued (the "test passed" mail). */
  onFirstPass?: (trx: DbOrTrx, learner: Learner, certificateCode: string) => Promise<void>;
};

/** Final test use cases: start or resume, save a draft, submit once, results. */
export function createQuizService(deps: QuizDeps) {
  const { db, clock, content } = deps;

  const openAttemptOf = async (learner: Learner, attemptId: number): Promise<AttemptRow> => {
    const a = await quizRepository.byId(db, attemptId);
    if (!a || a.learnerId !== learner.id) throw new NotFound('Testforsøget findes ikke.');
    return a;
  };

  /** Validates posted option ids against the attempt's own options. */
  const checkAnswers = (items: AttemptItemRow[], answers: PostedAnswers): void => {
    for (const [position, ids] of answers) {
      const item = items.find((i) => i.position === position);
      if (!item || ids.some((id) => !item.optionOrder.includes(id))) {
        throw new ValidationError('Svaret passer ikke til spørgsmålene i dit testforsøg. Genindlæs siden, og prøv igen.');
      }
      const q = content.question(item.questionId);
      if (q?.type === 'single' && ids.length > 1) throw new ValidationError('Vælg kun ét svar på spørgsmål med ét rigtigt svar.', { [`q${position}`]: 'Vælg kun ét svar.' });
    }
  };

  /** The learner's unfinished attempt; one drawn from an older question bank cannot be finished, so it is dropped. */
  const currentUnfinished = async (trx: DbOrTrx, learner: Learner): Promise<AttemptRow | null> => {
    const open = await quizRepository.unfinished(trx, learner.id);
    if (!open) return null;
    const stale = (await quizRepository.items(trx, open.id)).some((i) => !content.question(i.questionId));
    if (!stale) return open;
    await trx('quiz_attempts').where({ id: open.id }).whereNull('submitted_at').delete();
    return null;
  };

  return {
    passPercent: deps.passPercent,
    questionsPerAttempt: deps.questionsPerAttempt ?? QUESTIONS_PER_ATTEMPT,

    async unfinished(learner: Learner): Promise<AttemptRow | null> {
      return db.transaction((trx) => currentUnfinished(trx, learner));
    },

    /** The open attempt, or a freshly drawn one. */
    async startOrResume(learner: Learner): Promise<number> {
      return db.transaction(async (trx) => {
        const open = await currentUnfinished(trx, learner);
        if (open) return open.id;
        const items = drawAttempt(content.questions, content.objectives, deps.rng, deps.questionsPerAttempt ?? QUESTIONS_PER_ATTEMPT);
        return quizRepository.create(trx, { learnerId: learner.id, startedAt: clock.now(), passPercent: deps.passPercent, items });
      });
    },

    /** The attempt page's questions, with the learner's saved answers ticked. */
    async attemptView(learner: Learner, attemptId: number): Promise<{ attempt: AttemptRow; questions: AttemptQuestionView[]; answered: number }> {
      const attempt = await openAttemptOf(learner, attemptId);
      const items = await quizRepository.items(db, attemptId);
      const questions = items.map((item) => {
        const q = content.question(item.questionId);
        if (!q) throw new Conflict('Spørgsmålene i testen er blevet opdateret, siden du startede dette forsøg. Gå til testens side, og start igen.');
        const selected = new Set(item.selected ?? []);
        return {
          position: item.position,
          type: q.type,
          text: q.text,
          options: item.optionOrder.map((id) => ({ id, text: q.options.find((o) => o.id === id)?.text ?? '', checked: selected.has(id) })),
        };
      });
      return { attempt, questions, answered: items.filter((i) => i.selected && i.selected.length).length };
    },

    /** Saves answers without submitting, so the attempt resumes from the server's record. */
    async saveDraft(learner: Learner, attemptId: number, answers: PostedAnswers): Promise<void> {
      await openAttemptOf(learner, attemptId);
      await db.transaction(async (trx) => {
        if (!(await quizRepository.touchOpen(trx, attemptId, learner.id))) throw alreadySubmitted();
        const items = await quizRepository.items(trx, attemptId);
        checkAnswers(items, answers);
        for (const item of items) {
          const ids = answers.get(item.position) ?? [];
          await quizRepository.saveItem(trx, attemptId, item.position, ids.length ? ids : null, null);
        }
      });
    },

    /** Submits once: the conditional UPDATE refuses a second (or parallel) submission. */
    async submit(learner: Learner, attemptId: number, answers: PostedAnswers): Promise<AttemptResult> {
      await openAttemptOf(learner, attemptId);
      await db.transaction(async (trx) => {
        const items = await quizRepository.items(trx, attemptId);
        checkAnswers(items, answers);
        const now = clock.now();
        if (!(await quizRepository.claimSubmission(trx, attemptId, learner.id, now))) throw alreadySubmitted();
        let correct = 0;
        for (const item of items) {
          const q = content.question(item.questionId);
          const ids = answers.get(item.position) ?? [];
          const ok = Boolean(q && isAnswerCorrect(q, ids));
          if (ok) correct++;
          await quizRepository.saveItem(trx, attemptId, item.position, ids.length ? ids : null, ok);
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

    /** Score, pass/fail and, per objective missed, the module to revisit. */
    async result(learner: Learner, attemptId: number): Promise<AttemptResult> {
      const attempt = await openAttemptOf(learner, attemptId);
      if (!attempt.submittedAt) throw new NotFound('Testforsøget er ikke afleveret endnu.');
      const items = await quizRepository.items(db, attemptId);
      const wrongByObjective = new Map<string, number>();
      for (const i of items) if (!i.correct) wrongByObjective.set(i.objectiveId, (wrongByObjective.get(i.objectiveId) ?? 0) + 1);
      const missed = content.objectives
        .filter((o) => wrongByObjective.has(o.id))
        .map((o) => {
          const m = content.module(o.module);
          return { objectiveId: o.id, objectiveText: o.text, wrong: wrongByObjective.get(o.id)!, moduleSlug: o.module, moduleTitle: m?.title ?? o.module };
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
        submittedAt: a.submittedAt!,
      }));
      return { attempts, best: bestAttempt(attempts), passed: attempts.some((a) => a.passed) };
    },
  };
}

export type QuizService = ReturnType<typeof createQuizService>;

function alreadySubmitted(): Conflict {
  return new Conflict('Testforsøget er allerede afleveret og kan ikke ændres. Du kan se dit resultat eller starte et nyt forsøg.');
}
