import { describe, expect, it } from 'vitest';
import { drawAttempt, QUESTIONS_PER_ATTEMPT } from '../../src/elearning/quiz.draw.js';
import { seededRng, shuffle } from '../../src/shared/random.js';
import { bestAttempt, hasPassed, isAnswerCorrect, percentOf } from '../../src/elearning/quiz.scoring.js';
import { pointBiserial } from '../../src/elearning/elearning.stats.js';
import { formatPath } from '../../src/elearning/content.loader.js';
import { learnerGroupOf } from '../../src/elearning/learners.js';
import { content } from './support.js';

const tested = content.objectives.filter((o) => !o.superuserOnly).map((o) => o.id);

describe('final test: pass mark', () => {
  it('when exactly 80 % is correct, then the attempt passes', () => {
    expect(hasPassed(16, 20, 80)).toBe(true);
    expect(hasPassed(4, 5, 80)).toBe(true);
    expect(hasPassed(800, 1000, 80)).toBe(true);
  });

  it('when anything below 80 % is correct, then the attempt fails', () => {
    expect(hasPassed(15, 20, 80)).toBe(false);
    expect(hasPassed(799, 1000, 80)).toBe(false);
    expect(hasPassed(7999, 10000, 80)).toBe(false);
    expect(hasPassed(0, 20, 80)).toBe(false);
    expect(hasPassed(0, 0, 80)).toBe(false);
  });

  it('when the pass mark is configured to 90 %, then 18 of 20 passes and 17 does not', () => {
    expect(hasPassed(18, 20, 90)).toBe(true);
    expect(hasPassed(17, 20, 90)).toBe(false);
  });

  it('when a percentage is shown, then it is rounded down so a fail never reads as the pass mark', () => {
    expect(percentOf(799, 1000)).toBe(79);
    expect(percentOf(16, 20)).toBe(80);
  });
});

describe('final test: answers', () => {
  const single = content.questions.find((q) => q.type === 'single')!;
  const multiple = content.questions.find(
    (q) => q.type === 'multiple' && q.options.filter((o) => o.correct).length >= 2,
  )!;
  const rightOf = (q: typeof single) => q.options.filter((o) => o.correct).map((o) => o.id);
  const wrongOf = (q: typeof single) => q.options.filter((o) => !o.correct).map((o) => o.id);

  it('when a single-choice question gets its correct option, then it is correct; any other, or none, is wrong', () => {
    expect(isAnswerCorrect(single, rightOf(single))).toBe(true);
    expect(isAnswerCorrect(single, [wrongOf(single)[0]!])).toBe(false);
    expect(isAnswerCorrect(single, [])).toBe(false);
  });

  it('when a multiple-choice question is answered, then it is all-or-nothing', () => {
    expect(isAnswerCorrect(multiple, rightOf(multiple))).toBe(true);
    expect(isAnswerCorrect(multiple, [...rightOf(multiple)].reverse())).toBe(true);
    expect(isAnswerCorrect(multiple, rightOf(multiple).slice(1))).toBe(false);
    expect(isAnswerCorrect(multiple, [...rightOf(multiple), ...wrongOf(multiple).slice(0, 1)])).toBe(false);
  });

  it('when several attempts are submitted, then the best share counts, ties going to the earliest', () => {
    const at = (d: number) => new Date(Date.UTC(2026, 0, d));
    const best = bestAttempt([
      { id: 1, correct: 12, total: 20, passed: false, submittedAt: at(1) },
      { id: 2, correct: 17, total: 20, passed: true, submittedAt: at(2) },
      { id: 3, correct: 14, total: 20, passed: false, submittedAt: at(3) },
      { id: 4, correct: 17, total: 20, passed: true, submittedAt: at(4) },
    ]);
    expect(best?.id).toBe(2);
    expect(bestAttempt([])).toBeNull();
  });
});

describe('final test: draw', () => {
  it('when 1000 attempts are drawn with different seeds, then every draw covers every tested objective with 20 distinct questions', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const draw = drawAttempt(content.questions, content.objectives, seededRng(seed));
      expect(draw).toHaveLength(QUESTIONS_PER_ATTEMPT);
      expect(new Set(draw.map((d) => d.questionId)).size).toBe(QUESTIONS_PER_ATTEMPT);
      const covered = new Set(draw.map((d) => d.objectiveId));
      for (const o of tested) expect(covered.has(o), `seed ${seed} misses ${o}`).toBe(true);
      expect(covered.has('LM12') || covered.has('LM13')).toBe(false);
      for (const d of draw) {
        const q = content.question(d.questionId)!;
        expect(d.objectiveId).toBe(q.objective);
        expect([...d.optionOrder].sort()).toEqual(q.options.map((o) => o.id).sort());
      }
    }
  });

  it('when many attempts are drawn, then option order and question choice vary', () => {
    const orders = new Set<string>();
    const sets = new Set<string>();
    for (let seed = 1; seed <= 50; seed++) {
      const draw = drawAttempt(content.questions, content.objectives, seededRng(seed));
      orders.add(draw.map((d) => d.optionOrder.join('')).join('|'));
      sets.add(
        draw
          .map((d) => d.questionId)
          .sort()
          .join(','),
      );
    }
    expect(orders.size).toBeGreaterThan(40);
    expect(sets.size).toBeGreaterThan(40);
  });

  it('when the same seed is used, then the draw is the same (the RNG is injectable)', () => {
    expect(drawAttempt(content.questions, content.objectives, seededRng(7))).toEqual(
      drawAttempt(content.questions, content.objectives, seededRng(7)),
    );
  });

  it('when fewer questions are asked for than there are objectives, then the draw refuses', () => {
    expect(() => drawAttempt(content.questions, content.objectives, seededRng(1), 5)).toThrow(RangeError);
  });

  it('when shuffling, then every element is kept', () => {
    expect(shuffle([1, 2, 3, 4, 5], seededRng(3)).sort()).toEqual([1, 2, 3, 4, 5]);
  });
});

describe('statistics and helpers', () => {
  it('when items separate high and low scorers, then the point-biserial is positive; undefined cases give null', () => {
    const pairs = [
      { correct: true, score: 0.9 },
      { correct: true, score: 0.8 },
      { correct: false, score: 0.4 },
      { correct: false, score: 0.3 },
    ];
    expect(pointBiserial(pairs)!).toBeGreaterThan(0.9);
    expect(pointBiserial(pairs.map((p) => ({ ...p, correct: !p.correct })))!).toBeLessThan(-0.9);
    expect(pointBiserial([{ correct: true, score: 1 }])).toBeNull();
    expect(pointBiserial(pairs.map((p) => ({ ...p, correct: true })))).toBeNull();
    expect(pointBiserial(pairs.map((p) => ({ ...p, score: 0.5 })))).toBeNull();
  });

  it('when a zod path is formatted, then it reads like [12].options', () => {
    expect(formatPath([12, 'options'])).toBe('[12].options');
    expect(formatPath(['steps', 1, 'feedback', 'a'])).toBe('steps[1].feedback.a');
  });

  it('when the learner group is derived, then superusers come first, then benefits-centre caseworkers, else others', () => {
    expect(learnerGroupOf({ superuser: true, surveyGroup: 'sagsbehandler-udenfor', roles: [] })).toBe(
      'superbrugere',
    );
    expect(
      learnerGroupOf({
        superuser: false,
        surveyGroup: null,
        roles: ['sagsbehandler-ydelsescenter', 'superbruger'],
      }),
    ).toBe('superbrugere');
    expect(learnerGroupOf({ superuser: false, surveyGroup: 'sagsbehandler-ydelsescenter', roles: [] })).toBe(
      'sagsbehandlere-ydelsescenter',
    );
    expect(learnerGroupOf({ superuser: false, surveyGroup: 'informationssoegende', roles: [] })).toBe(
      'oevrige',
    );
    expect(learnerGroupOf({ superuser: false, surveyGroup: null, roles: ['sagsbehandler-udenfor'] })).toBe(
      'oevrige',
    );
  });
});
