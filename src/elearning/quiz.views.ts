import { Conflict, ValidationError } from '../shared/errors.js';
import type { ElearningContent } from './content.loader.js';
import type { Question } from './content.schemas.js';
import type { AttemptItemRow, AttemptRow } from './quiz.repository.js';
import { bestAttempt, percentOf } from './quiz.scoring.js';

// The final test's pure parts: pages of an attempt, posted answers, the result with its review, the history.

/** Answers as posted: position → the opaque option tokens chosen. */
export type PostedAnswers = Map<number, string[]>;

/** Questions on one page of an attempt. */
export const QUESTIONS_PER_PAGE = 5;

/** The page a question (by position) is on. */
export const pageOf = (position: number): number => Math.ceil(position / QUESTIONS_PER_PAGE);
/** How many pages an attempt has (at least one). */
export const pageCountOf = (items: readonly AttemptItemRow[]) =>
  Math.max(1, Math.ceil(items.length / QUESTIONS_PER_PAGE));

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

/** The question of an attempt's item; one removed from the bank since the attempt started is a conflict. */
export function questionOf(content: ElearningContent, item: AttemptItemRow): Question {
  const q = content.question(item.questionId);
  if (!q)
    throw new Conflict(
      'Spørgsmålene i testen er blevet opdateret, siden du startede dette forsøg. Gå til testens side, og start igen.',
    );
  return q;
}

const badAnswer = () =>
  new ValidationError('Svaret passer ikke til spørgsmålene i dit testforsøg. Genindlæs siden, og prøv igen.');

/** Resolves posted tokens to option ids; a token of another attempt or question, or a position off the page, is refused. */
export function resolveAnswers(
  content: ElearningContent,
  items: AttemptItemRow[],
  page: number,
  answers: PostedAnswers,
): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [position, tokens] of answers) {
    const item = items.find((i) => i.position === position);
    if (!item || pageOf(position) !== page) throw badAnswer();
    const ids = tokens.map((t) => item.optionOrder[item.optionTokens.indexOf(t)]);
    if (ids.some((id) => id === undefined)) throw badAnswer();
    if (questionOf(content, item).type === 'single' && ids.length > 1) {
      throw new ValidationError('Vælg kun ét svar på spørgsmål med ét rigtigt svar.', {
        [`q${position}`]: 'Vælg kun ét svar.',
      });
    }
    out.set(position, ids as string[]);
  }
  return out;
}

/** One page of an attempt with the saved answers ticked, and the whole attempt's state for the panel. */
export function attemptPageView(
  content: ElearningContent,
  attempt: AttemptRow,
  items: AttemptItemRow[],
  page: number,
): AttemptPageView {
  const questions = items
    .filter((item) => pageOf(item.position) === page)
    .map((item) => {
      const q = questionOf(content, item);
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
  const pageCount = pageCountOf(items);
  return {
    attempt,
    page,
    pageCount,
    questions,
    nav,
    answered: nav.filter((n) => n.answered).length,
    total: items.length,
  };
}

/** An objective's text and the module it belongs to, for the result page. */
function moduleOf(content: ElearningContent, objectiveId: string) {
  const o = content.objective(objectiveId);
  const m = o ? content.module(o.module) : undefined;
  return {
    objectiveText: o?.text ?? objectiveId,
    moduleSlug: o?.module ?? '',
    moduleTitle: m?.title ?? o?.module ?? '',
  };
}

/** Per question, what was chosen and (when `showsKey`) what was right. */
function reviewOf(content: ElearningContent, items: AttemptItemRow[], showsKey: boolean): ReviewItem[] {
  return items.flatMap((item): ReviewItem[] => {
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
        ...moduleOf(content, item.objectiveId),
      },
    ];
  });
}

const minutesBetween = (from: Date, to: Date) =>
  Math.max(1, Math.round((to.getTime() - from.getTime()) / 60_000));

/** Score, time taken, the objectives to revisit and the review of a submitted attempt. */
export function attemptResult(
  content: ElearningContent,
  attempt: AttemptRow & { submittedAt: Date },
  items: AttemptItemRow[],
  showsKey: boolean,
): AttemptResult {
  const wrongByObjective = new Map<string, number>();
  for (const i of items)
    if (!i.correct) wrongByObjective.set(i.objectiveId, (wrongByObjective.get(i.objectiveId) ?? 0) + 1);
  const missed = content.objectives
    .filter((o) => wrongByObjective.has(o.id))
    .map((o) => ({ objectiveId: o.id, wrong: wrongByObjective.get(o.id)!, ...moduleOf(content, o.id) }));
  const correct = attempt.correctCount ?? 0;
  return {
    attemptId: attempt.id,
    correct,
    total: attempt.questionCount,
    percent: percentOf(correct, attempt.questionCount),
    passed: Boolean(attempt.passed),
    passPercent: attempt.passPercent,
    missed,
    startedAt: attempt.startedAt,
    submittedAt: attempt.submittedAt,
    durationMinutes: minutesBetween(attempt.startedAt, attempt.submittedAt),
    showsKey,
    review: reviewOf(content, items, showsKey),
  };
}

/** Every submitted attempt and the one that counts. */
export function historyOf(submitted: readonly AttemptRow[]) {
  const attempts = submitted.map((a) => ({
    id: a.id,
    correct: a.correctCount ?? 0,
    total: a.questionCount,
    percent: percentOf(a.correctCount ?? 0, a.questionCount),
    passed: Boolean(a.passed),
    startedAt: a.startedAt,
    submittedAt: a.submittedAt!,
    durationMinutes: minutesBetween(a.startedAt, a.submittedAt!),
  }));
  return { attempts, best: bestAttempt(attempts), passed: attempts.some((a) => a.passed) };
}
