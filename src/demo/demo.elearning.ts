import type { Db, DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay, addDays } from '../shared/clock.js';
import type { Rng } from '../shared/random.js';
import {
  LEARNER_SURVEY_GROUPS,
  MODULE_PAGE,
  drawAttempt,
  hasPassed,
  isAnswerCorrect,
  learnerGroupOf,
  modulePages,
  scopeOf,
  type DrawnQuestion,
  type ElearningContent,
  type Module,
} from '../elearning/index.js';
// Repositories are reached directly: demo/ may use them (docs/architecture.md), other features may not.
import { certificatesRepository } from '../elearning/certificates.repository.js';
import { evaluationsRepository } from '../elearning/evaluations.repository.js';

type Trail = {
  pages: Array<Record<string, unknown>>;
  steps: Array<Record<string, unknown>>;
  exercises: Array<Record<string, unknown>>;
};

/** What every step of one municipality's seeding shares: its transaction, the content, the seeded draws. */
type Seeding = {
  trx: DbOrTrx;
  content: ElearningContent;
  rnd: Rng;
  now: Date;
  today: string;
  passPercent: number;
  municipalityCode: number;
  trail: Trail;
};

type Person = { id: number; name: string; survey_group: string; superuser: unknown };

/** What a learner who completed a module has behind it, as the app records it: every page seen, every exercise step solved. */
function goThrough(
  trail: Trail,
  content: ElearningContent,
  learnerId: number,
  module: Module,
  at: Date,
): void {
  for (const page of modulePages(content, module))
    trail.pages.push({
      learner_id: learnerId,
      module_slug: module.slug,
      page: page.key,
      first_seen_at: at,
      last_seen_at: at,
    });
  for (const e of content.exercises.filter((x) => x.module === module.slug)) {
    for (const step of e.steps)
      trail.steps.push({ learner_id: learnerId, exercise_id: e.id, step_id: step.id, solved_at: at });
    trail.exercises.push({ learner_id: learnerId, exercise_id: e.id, completed_at: at, times_completed: 1 });
  }
}

/** The participant as a learner, keyed by participant as the app keys them; returns the learner's id. */
async function addLearner(s: Seeding, p: Person, superuser: boolean): Promise<number> {
  const group = learnerGroupOf({ superuser, surveyGroup: p.survey_group, roles: [] });
  const [row] = await s
    .trx('learners')
    .insert({
      learner_key: `p:${p.id}`,
      participant_id: p.id,
      user_id: null,
      municipality_code: s.municipalityCode,
      name: p.name,
      learner_group: group,
      superuser,
      created_at: s.now,
      updated_at: s.now,
    })
    .returning('id');
  return Number(typeof row === 'object' ? row.id : row);
}

/** Module progress: completed modules rest on their whole trail, modules merely started on their first page. */
async function recordProgress(
  s: Seeding,
  learnerId: number,
  progress: Module[],
  done: Module[],
): Promise<void> {
  const { now } = s;
  await s.trx('elearning_progress').insert(
    progress.map((mod) => ({
      learner_id: learnerId,
      module_slug: mod.slug,
      started_at: now,
      completed_at: done.includes(mod) ? now : null,
      times_completed: done.includes(mod) ? 1 : 0,
      last_visited_at: now,
    })),
  );
  for (const mod of progress) {
    if (done.includes(mod)) goThrough(s.trail, s.content, learnerId, mod, now);
    else
      s.trail.pages.push({
        learner_id: learnerId,
        module_slug: mod.slug,
        page: MODULE_PAGE,
        first_seen_at: now,
        last_seen_at: now,
      });
  }
}

/** Answers a drawn attempt: right with probability `skill`, otherwise one wrong option. */
function answerAttempt(s: Seeding, items: DrawnQuestion[], skill: number) {
  let correct = 0;
  const rows = items.map((item, position) => {
    const q = s.content.question(item.questionId)!;
    const right = q.options.filter((o) => o.correct).map((o) => o.id);
    const wrong = q.options.filter((o) => !o.correct).map((o) => o.id);
    const selected = s.rnd() < skill ? right : [wrong[Math.floor(s.rnd() * wrong.length)]!];
    const ok = isAnswerCorrect(q, selected);
    if (ok) correct++;
    return {
      position: position + 1,
      question_id: item.questionId,
      objective_id: item.objectiveId,
      option_order: JSON.stringify(item.optionOrder),
      selected: JSON.stringify(selected),
      correct: ok,
    };
  });
  return { rows, correct };
}

/** One submitted attempt with its items; returns whether it passed and its id. */
async function submitAttempt(s: Seeding, learnerId: number, skill: number) {
  const items = drawAttempt(s.content.questions, s.content.objectives, s.rnd, 20);
  const { rows, correct } = answerAttempt(s, items, skill);
  const passed = hasPassed(correct, items.length, s.passPercent);
  const [a] = await s
    .trx('quiz_attempts')
    .insert({
      learner_id: learnerId,
      started_at: s.now,
      submitted_at: s.now,
      question_count: items.length,
      correct_count: correct,
      pass_percent: s.passPercent,
      passed,
    })
    .returning('id');
  const attemptId = Number(typeof a === 'object' ? a.id : a);
  await s.trx.batchInsert(
    'quiz_attempt_items',
    rows.map((r) => ({ attempt_id: attemptId, ...r })),
    100,
  );
  return { passed, attemptId };
}

/** One or two attempts at the final test; the first passed one ends it with a certificate under the app's codes. */
async function takeTest(s: Seeding, learnerId: number, p: Person): Promise<void> {
  const skill = 0.6 + s.rnd() * 0.38;
  // The bound is drawn again before every attempt, as the seeded demo always has.
  for (let attempt = 0; attempt < 1 + Math.floor(s.rnd() * 2); attempt++) {
    const { passed, attemptId } = await submitAttempt(s, learnerId, skill);
    if (passed) {
      await certificatesRepository.issueOnce(s.trx, {
        learnerId,
        attemptId,
        name: p.name,
        municipalityCode: s.municipalityCode,
        passedOn: s.today,
      });
      break;
    }
  }
}

/** Most who took the test evaluate the e-learning, marked under the scope the app reads so they are not asked again. */
async function evaluate(s: Seeding, p: Person): Promise<void> {
  if (s.rnd() >= 0.6) return;
  const answers = Object.fromEntries(
    s.content.evaluations.elearning.items.map((i) => [
      i.id,
      Math.max(1, Math.min(5, Math.round(3.6 + (s.rnd() - 0.4) * 2.5))),
    ]),
  );
  await evaluationsRepository.addParticipation(s.trx, scopeOf('elearning', null), `p:${p.id}`);
  await evaluationsRepository.addResponse(s.trx, {
    municipalityCode: s.municipalityCode,
    kind: 'elearning',
    courseSessionId: null,
    answers,
    comment: null,
  });
}

/** One participant's e-learning: most complete their modules; those with at most one module left take the test. */
async function learn(s: Seeding, p: Person): Promise<void> {
  const superuser = Boolean(p.superuser);
  const learnerId = await addLearner(s, p, superuser);
  const modules = s.content.modules.filter((mod) => mod.audience === 'all' || superuser);
  const done = modules.filter(() => s.rnd() < 0.8);
  const progress = modules.filter((mod) => done.includes(mod) || s.rnd() < 0.3);
  if (!progress.length) return;
  await recordProgress(s, learnerId, progress, done);
  if (done.length < modules.length - 1) return;
  await takeTest(s, learnerId, p);
  await evaluate(s, p);
}

/**
 * Demo e-learning: learners from the participant lists of municipalities whose go-live is near or past,
 * with module progress, test attempts (some passed) and course evaluations, so dashboards have figures.
 * Everything is written as the app itself writes it: completions rest on seen pages and solved exercises,
 * certificates get the app's codes, and evaluations are marked under the scope the app reads.
 */
export async function seedDemoElearning(
  db: Db,
  clock: Clock,
  content: ElearningContent,
  rnd: Rng,
  passPercent = 80,
): Promise<void> {
  // PostgreSQL returns counts as strings, so '0' must not read as true.
  if (Number((await db('learners').count<{ n: number | string }[]>({ n: '*' }).first())?.n ?? 0) > 0) return;
  const today = isoDay(clock.now());
  const municipalities = await db('municipalities')
    .whereNotNull('go_live')
    .andWhere('go_live', '<=', addDays(today, 70))
    .select('code', 'go_live');
  const now = clock.now();
  for (const m of municipalities) {
    // Where go-live is past, most have started; where it is near, fewer.
    const progressShare = m.go_live <= today ? 0.85 : 0.45;
    const people = await db('participants')
      .where({ municipality_code: m.code })
      .whereIn('survey_group', LEARNER_SURVEY_GROUPS)
      .select('id', 'name', 'survey_group', 'superuser');
    await db.transaction(async (trx) => {
      const trail: Trail = { pages: [], steps: [], exercises: [] };
      const s: Seeding = { trx, content, rnd, now, today, passPercent, municipalityCode: m.code, trail };
      for (const p of people) {
        if (rnd() > progressShare || p.name === 'Anette Sagsbehandler') continue;
        await learn(s, p);
      }
      await trx.batchInsert('elearning_page_visits', trail.pages, 200);
      await trx.batchInsert('elearning_exercise_steps', trail.steps, 200);
      await trx.batchInsert('elearning_exercise_results', trail.exercises, 200);
    });
  }
}
