import { shuffle, type Rng } from '../shared/random.js';
import type { Objective, Question } from './content.schemas.js';

// The composition root still takes the real attempts' randomness from here.

export type DrawnQuestion = { questionId: string; objectiveId: string; optionOrder: string[] };

/** Default number of questions in one attempt. */
export const QUESTIONS_PER_ATTEMPT = 20;

/**
 * Draws an attempt: one random question for every objective in the test (superuser-only objectives
 * have none), the rest at random from the remaining bank, in random order with shuffled options.
 */
export function drawAttempt(
  bank: readonly Question[],
  objectives: readonly Objective[],
  rng: Rng,
  count = QUESTIONS_PER_ATTEMPT,
): DrawnQuestion[] {
  const tested = objectives.filter((o) => !o.superuserOnly);
  if (count < tested.length)
    throw new RangeError(`an attempt of ${count} questions cannot cover ${tested.length} objectives`);
  const chosen: Question[] = [];
  for (const o of tested) {
    const pool = bank.filter((q) => q.objective === o.id);
    if (!pool.length) throw new RangeError(`no question for objective ${o.id}`);
    chosen.push(pool[Math.floor(rng() * pool.length)]!);
  }
  const testedIds = new Set(tested.map((o) => o.id));
  const rest = shuffle(
    bank.filter((q) => testedIds.has(q.objective) && !chosen.includes(q)),
    rng,
  );
  chosen.push(...rest.slice(0, Math.max(0, count - chosen.length)));
  return shuffle(chosen, rng).map((q) => ({
    questionId: q.id,
    objectiveId: q.objective,
    optionOrder: shuffle(
      q.options.map((o) => o.id),
      rng,
    ),
  }));
}
