import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDb } from '../support/db.js';
import { migrateLatest, type Db } from '../../src/db/knex.js';
import { FixedClock } from '../../src/shared/clock.js';
import { ensureLearner, type LearnerIdentity } from '../../src/elearning/learners.js';
import { createQuizService } from '../../src/elearning/quiz.service.js';
import { createElearningService, modulePages } from '../../src/elearning/elearning.service.js';
import { seededRng } from '../../src/shared/random.js';
import { progressByMunicipalityAndGroup, questionStats } from '../../src/elearning/elearning.stats.js';
import { content, handInWith } from './support.js';

let db: Db;
let cleanup: () => Promise<void>;
const clock = new FixedClock(new Date('2026-12-01T09:00:00Z'));

beforeAll(async () => {
  ({ db, cleanup } = await createTestDb());
  await migrateLatest(db);
});
afterAll(async () => cleanup());

const identity = (n: number, municipalityCode: number, group: LearnerIdentity['group']): LearnerIdentity => ({
  key: `u:${1000 + n}`,
  participantId: null,
  userId: null,
  municipalityCode,
  name: `Lærende ${n}`,
  superuser: group === 'superbrugere',
  group,
  classroom: group !== 'oevrige',
  via: 'saml',
});

/** Answers the first `correct` questions right, the rest wrong. */
async function takeTest(
  quiz: ReturnType<typeof createQuizService>,
  learner: Awaited<ReturnType<typeof ensureLearner>>,
  correct: number,
) {
  return handInWith(quiz, db, learner, await quiz.startOrResume(learner), correct);
}

describe('e-learning statistics', () => {
  it('when learners progress and test, then progress and pass rate are reported per municipality and learner group', async () => {
    const quiz = createQuizService({ db, clock, content, passPercent: 80, rng: seededRng(42) });
    const elearning = createElearningService({ db, clock, content });
    const a = await ensureLearner(db, clock, identity(1, 101, 'sagsbehandlere-ydelsescenter'));
    const b = await ensureLearner(db, clock, identity(2, 101, 'sagsbehandlere-ydelsescenter'));
    const c = await ensureLearner(db, clock, identity(3, 101, 'superbrugere'));
    const d = await ensureLearner(db, clock, identity(4, 751, 'oevrige'));
    // A module is completed only once its pages are seen and its exercises solved.
    const complete = async (learner: typeof a, slug: string) => {
      for (const page of modulePages(content, content.module(slug)!))
        await elearning.seePage(learner, slug, page.key);
      for (const e of content.exercises.filter((x) => x.module === slug)) {
        for (const [i, step] of e.steps.entries())
          await elearning.answerExerciseStep(learner, e.id, i, step.correct);
      }
      await elearning.markCompleted(learner, slug);
    };
    for (const slug of ['introduktion', 'hands-on', 'vaerktoejskasse', 'afslutning']) {
      await complete(a, slug);
      await complete(c, slug);
    }
    await elearning.markStarted(b, 'introduktion');
    await takeTest(quiz, a, 18);
    await takeTest(quiz, b, 10);
    await takeTest(quiz, b, 16);
    await takeTest(quiz, d, 4);

    const rows = await progressByMunicipalityAndGroup(db, content);
    const cell = (m: number, g: string) => rows.find((r) => r.municipalityCode === m && r.group === g)!;
    expect(cell(101, 'sagsbehandlere-ydelsescenter')).toMatchObject({
      learners: 2,
      completedAll: 1,
      tested: 2,
      passed: 2,
      passRate: 1,
      groupLabel: 'Sagsbehandlere i ydelsescenter',
    });
    expect(cell(101, 'sagsbehandlere-ydelsescenter').completedByModule).toMatchObject({
      introduktion: 1,
      afslutning: 1,
    });
    // The superuser has not done the superuser module, so has not completed everything meant for the group.
    expect(cell(101, 'superbrugere')).toMatchObject({
      learners: 1,
      completedAll: 0,
      tested: 0,
      passed: 0,
      passRate: 0,
    });
    expect(cell(751, 'oevrige')).toMatchObject({ learners: 1, tested: 1, passed: 0, passRate: 0 });
    expect(
      (await progressByMunicipalityAndGroup(db, content, { municipalityCode: 751 })).map(
        (r) => r.municipalityCode,
      ),
    ).toEqual([751]);

    const stats = await questionStats(db, content);
    expect(stats).toHaveLength(content.questions.length);
    const asked = stats.filter((s) => s.n > 0);
    expect(asked.reduce((sum, s) => sum + s.n, 0)).toBe(4 * 20);
    for (const s of asked) {
      expect(s.shareCorrect).toBeGreaterThanOrEqual(0);
      expect(s.shareCorrect).toBeLessThanOrEqual(1);
      if (s.discrimination !== null) expect(Math.abs(s.discrimination)).toBeLessThanOrEqual(1);
    }
    expect(
      stats.filter((s) => s.n === 0).every((s) => s.shareCorrect === null && s.discrimination === null),
    ).toBe(true);
  });
});
