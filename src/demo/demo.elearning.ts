import crypto from 'node:crypto';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay, addDays } from '../shared/clock.js';
import type { ElearningContent } from '../elearning/content.loader.js';
import { drawAttempt } from '../elearning/quiz.draw.js';
import { isAnswerCorrect, hasPassed } from '../elearning/quiz.scoring.js';

/**
 * Demo e-learning: learners from the participant lists of municipalities whose go-live is near or past,
 * with module progress, test attempts (some passed) and course evaluations, so dashboards have figures.
 */
export async function seedDemoElearning(db: Db, clock: Clock, content: ElearningContent, rnd: () => number, passPercent = 80): Promise<void> {
  if ((await db('learners').count<{ n: number }[]>({ n: '*' }).first())?.n) return;
  const today = isoDay(clock.now());
  const municipalities = await db('municipalities').whereNotNull('go_live').andWhere('go_live', '<=', addDays(today, 70)).select('code', 'go_live');
  const now = clock.now();
  for (const m of municipalities) {
    const progressShare = m.go_live <= today ? 0.85 : 0.45;
    const people = await db('participants').where({ municipality_code: m.code }).whereIn('survey_group', ['sagsbehandler-ydelsescenter', 'sagsbehandler-udenfor', 'informationssoegende']).select('id', 'name', 'survey_group', 'superuser');
    await db.transaction(async (trx) => {
      for (const p of people) {
        if (rnd() > progressShare || p.name === 'Anette Sagsbehandler') continue;
        const group = p.superuser ? 'superbrugere' : p.survey_group === 'sagsbehandler-ydelsescenter' ? 'sagsbehandlere-ydelsescenter' : 'oevrige';
        const [row] = await trx('learners')
          .insert({ learner_key: `p:${p.id}`, participant_id: p.id, user_id: null, municipality_code: m.code, name: p.name, learner_group: group, superuser: Boolean(p.superuser), created_at: now, updated_at: now })
          .returning('id');
        const learnerId = Number(typeof row === 'object' ? row.id : row);
        const modules = content.modules.filter((mod) => mod.audience === 'all' || p.superuser);
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
            return { position: position + 1, question_id: item.questionId, objective_id: item.objectiveId, option_order: JSON.stringify(item.optionOrder), selected: JSON.stringify(selected), correct: ok };
          });
          const passed = hasPassed(correct, items.length, passPercent);
          const [a] = await trx('quiz_attempts')
            .insert({ learner_id: learnerId, started_at: now, submitted_at: now, question_count: items.length, correct_count: correct, pass_percent: passPercent, passed })
            .returning('id');
          const attemptId = Number(typeof a === 'object' ? a.id : a);
          await trx.batchInsert('quiz_attempt_items', rows.map((r) => ({ attempt_id: attemptId, ...r })), 100);
          if (passed && !(await trx('certificates').where({ learner_id: learnerId }).first('id'))) {
            await trx('certificates').insert({ learner_id: learnerId, attempt_id: attemptId, code: crypto.randomBytes(8).toString('hex').slice(0, 10).toUpperCase(), name: p.name, municipality_code: m.code, passed_on: today });
          }
          if (passed) break;
        }
        if (rnd() < 0.6) {
          const answers = Object.fromEntries(content.evaluations.elearning.items.map((i) => [i.id, Math.max(1, Math.min(5, Math.round(3.6 + (rnd() - 0.4) * 2.5)))]));
          await trx('evaluation_participation').insert({ scope: 'elearning', person_key: `p:${p.id}` });
          await trx('evaluation_responses').insert({ id: crypto.randomUUID(), municipality_code: m.code, kind: 'elearning', course_session_id: null, answers: JSON.stringify(answers), comment: null });
        }
      }
    });
  }
}
