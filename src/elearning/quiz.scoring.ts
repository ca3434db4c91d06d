import type { Question } from './content.schemas.js';

/** All-or-nothing: the selected set must equal the set of correct options (single and multiple choice alike). */
export function isAnswerCorrect(question: Question, selected: readonly string[]): boolean {
  const correct = question.options.filter((o) => o.correct).map((o) => o.id);
  const chosen = new Set(selected);
  return chosen.size === correct.length && correct.every((id) => chosen.has(id));
}

/** Pass at ≥ passPercent correct; integer arithmetic so exactly 80 % of 20 (16) passes and 15 does not. */
export function hasPassed(correct: number, total: number, passPercent: number): boolean {
  if (total <= 0) return false;
  return correct * 100 >= passPercent * total;
}

/** Whole-number percentage for display, rounded down so a fail never shows as the pass mark. */
export function percentOf(correct: number, total: number): number {
  return total > 0 ? Math.floor((correct * 100) / total) : 0;
}

export type AttemptSummary = {
  id: number;
  correct: number;
  total: number;
  passed: boolean;
  submittedAt: Date;
};

/** The attempt that counts: the highest share correct; a tie goes to the earliest. */
export function bestAttempt<T extends AttemptSummary>(attempts: readonly T[]): T | null {
  let best: T | null = null;
  for (const a of attempts) {
    if (!best) best = a;
    else {
      const diff = a.correct * best.total - best.correct * a.total;
      if (diff > 0 || (diff === 0 && a.submittedAt < best.submittedAt)) best = a;
    }
  }
  return best;
}
