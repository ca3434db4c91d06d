import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay, addDays } from '../shared/clock.js';
import type { ElearningContent, Module } from '../elearning/content.loader.js';
import { drawAttempt } from '../elearning/quiz.draw.js';
import { isAnswerCorrect, hasPassed } from '../elearning/quiz.scoring.js';
import { certificatesRepository } from '../elearning/certificates.repository.js';
import { evaluationsRepository } from '../elearning/evaluations.repository.js';
import { scopeOf } from '../elearning/evaluations.service.js';
import { MODULE_PAGE, modulePages } from '../elearning/elearning.service.js';
import { LEARNER_SURVEY_GROUPS, learnerGroupOf } from '../elearning/learners.js';

type Trail = {
  pages: Array<Record<string, unknown>>;
  steps: Array<Record<string, unknown>>;
  exercises: Array<Record<string, unknown>>;
};

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
  rnd: () => number,
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
    const progressShare = m.go_live <= today ? 0.85 : 0.45;
    const people = await db('participants')
      .where({ municipality_code: m.code })
      .whereIn('survey_group', LEARNER_SURVEY_GROUPS)
      .select('id', 'name', 'survey_group', 'superuser');
    await db.transaction(async (trx) => {
      const trail: Trail = { pages: [], steps: [], exercises: [] };
      for (const p of people) {
        if (rnd() > progressShare || p.name === 'Anette Sagsbehandler') continue;
        const superuser = Boolean(p.superuser);
        const group = learnerGroupOf({ superuser, surveyGroup: p.survey_group, roles: [] });
        const [row] = await trx('learners')
          .insert({
            learner_key: `p:${p.id}`,
            participant_id: p.id,
            user_id: null,
            municipality_code: m.code,
            name: p.name,
            learner_group: group,
            superuser,
            created_at: now,
            updated_at: now,
          })
          .returning('id');
        const learnerId = Number(typeof row === 'object' ? row.id : row);
        const modules = content.modules.filter((mod) => mod.audience === 'all' || superuser);
        const done = modules.filter(() => rnd() < 0.8);
        const progress = modules.filter((mod) => done.includes(mod) || rnd() < 0.3);
        if (!progress.length) continue;
        await trx('elearning_progress').insert(
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
          if (done.includes(mod)) goThrough(trail, content, learnerId, mod, now);
          else
            trail.pages.push({
              learner_id: learnerId,
              module_slug: mod.slug,
              page: MODULE_PAGE,
              first_seen_at: now,
              last_seen_at: now,
            });
        }
        if (done.length < modules.length - 1) continue;
        const skill = 0.6 + rnd() * 0.38;
        for (let attempt = 0; attempt < 1 + Math.floor(rnd() * 2); attempt++) {
          const items = drawAttempt(content.questions, content.objectives, rnd, 20);
          let correct = 0;
          const rows = items.map((item, position) => {
            const q = content.question(item.questionId)!;
            const right = q.options.filter((o) => o.correct).map((o) => o.id);
            const wrong = q.options.filter((o) => !o.correct).map((o) => o.id);
            const selected = rnd() < skill ? right : [wrong[Math.floor(rnd() * wrong.length)]!];
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
          const passed = hasPassed(correct, items.length, passPercent);
          const [a] = await trx('quiz_attempts')
            .insert({
              learner_id: learnerId,
              started_at: now,
              submitted_at: now,
              question_count: items.length,
              correct_count: correct,
              pass_percent: passPercent,
              passed,
            })
            .returning('id');
          const attemptId = Number(typeof a === 'object' ? a.id : a);
          await trx.batchInsert(
            'quiz_attempt_items',
            rows.map((r) => ({ attempt_id: attemptId, ...r })),
            100,
          );
          if (passed) {
            await certificatesRepository.issueOnce(trx, {
              learnerId,
              attemptId,
              name: p.name,
              municipalityCode: m.code,
              passedOn: today,
            });
            break;
          }
        }
        if (rnd() < 0.6) {
          const answers = Object.fromEntries(
            content.evaluations.elearning.items.map((i) => [
              i.id,
              Math.max(1, Math.min(5, Math.round(3.6 + (rnd() - 0.4) * 2.5))),
            ]),
          );
          await evaluationsRepository.addParticipation(trx, scopeOf('elearning', null), `p:${p.id}`);
          await evaluationsRepository.addResponse(trx, {
            municipalityCode: m.code,
            kind: 'elearning',
            courseSessionId: null,
            answers,
            comment: null,
          });
        }
      }
      await trx.batchInsert('elearning_page_visits', trail.pages, 200);
      await trx.batchInsert('elearning_exercise_steps', trail.steps, 200);
      await trx.batchInsert('elearning_exercise_results', trail.exercises, 200);
    });
  }
}
