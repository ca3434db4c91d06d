import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';

export type ProgressRow = {
  moduleSlug: string;
  startedAt: Date;
  completedAt: Date | null;
  timesCompleted: number;
};

/** SQL for module progress, page visits and exercise results; callers own the transaction. */
export const progressRepository = {
  async forLearner(db: DbOrTrx, learnerId: number): Promise<ProgressRow[]> {
    const rows = await db('elearning_progress').where({ learner_id: learnerId });
    return rows.map((r) => ({
      moduleSlug: r.module_slug,
      startedAt: new Date(r.started_at),
      completedAt: r.completed_at === null ? null : new Date(r.completed_at),
      timesCompleted: Number(r.times_completed),
    }));
  },

  async markVisited(db: DbOrTrx, learnerId: number, moduleSlug: string, at: Date): Promise<void> {
    await db('elearning_progress')
      .insert({
        learner_id: learnerId,
        module_slug: moduleSlug,
        started_at: at,
        last_visited_at: at,
        times_completed: 0,
      })
      .onConflict(['learner_id', 'module_slug'])
      .merge({ last_visited_at: at });
  },

  /** First completion sets completed_at; every later one counts as a repetition. */
  async markCompleted(db: DbOrTrx, learnerId: number, moduleSlug: string, at: Date): Promise<void> {
    await progressRepository.markVisited(db, learnerId, moduleSlug, at);
    await db('elearning_progress')
      .where({ learner_id: learnerId, module_slug: moduleSlug })
      .whereNull('completed_at')
      .update({ completed_at: at });
    await db('elearning_progress')
      .where({ learner_id: learnerId, module_slug: moduleSlug })
      .increment('times_completed', 1);
  },

  async markPageSeen(
    db: DbOrTrx,
    learnerId: number,
    moduleSlug: string,
    page: string,
    at: Date,
  ): Promise<void> {
    await db('elearning_page_visits')
      .insert({ learner_id: learnerId, module_slug: moduleSlug, page, first_seen_at: at, last_seen_at: at })
      .onConflict(['learner_id', 'module_slug', 'page'])
      .merge({ last_seen_at: at });
  },

  /** The pages a learner has seen, per module slug. */
  async pagesSeen(db: DbOrTrx, learnerId: number): Promise<Map<string, Set<string>>> {
    const rows = await db('elearning_page_visits')
      .where({ learner_id: learnerId })
      .select('module_slug', 'page');
    const out = new Map<string, Set<string>>();
    for (const r of rows) {
      const slug = String(r.module_slug);
      if (!out.has(slug)) out.set(slug, new Set());
      out.get(slug)!.add(String(r.page));
    }
    return out;
  },

  async exercisesDone(db: DbOrTrx, learnerId: number): Promise<Map<string, number>> {
    const rows = await db('elearning_exercise_results').where({ learner_id: learnerId });
    return new Map(rows.map((r) => [String(r.exercise_id), Number(r.times_completed)]));
  },

  async markExerciseDone(db: DbOrTrx, learnerId: number, exerciseId: string, at: Date): Promise<void> {
    await db('elearning_exercise_results')
      .insert({ learner_id: learnerId, exercise_id: exerciseId, completed_at: at, times_completed: 1 })
      .onConflict(['learner_id', 'exercise_id'])
      .merge({
        completed_at: at,
        times_completed: db.raw('?? + 1', ['elearning_exercise_results.times_completed']),
      });
  },

  async markStepSolved(
    db: DbOrTrx,
    learnerId: number,
    exerciseId: string,
    stepId: string,
    at: Date,
  ): Promise<void> {
    await db('elearning_exercise_steps')
      .insert({ learner_id: learnerId, exercise_id: exerciseId, step_id: stepId, solved_at: at })
      .onConflict(['learner_id', 'exercise_id', 'step_id'])
      .ignore();
  },

  /** The steps of one exercise the learner has answered correctly at some time. */
  async stepsSolved(db: DbOrTrx, learnerId: number, exerciseId: string): Promise<Set<string>> {
    const rows = await db('elearning_exercise_steps')
      .where({ learner_id: learnerId, exercise_id: exerciseId })
      .select('step_id');
    return new Set(rows.map((r) => String(r.step_id)));
  },

  /** These learners' module progress for the GDPR export. */
  async exportFor(db: DbOrTrx, learnerIds: readonly number[]): Promise<Array<Record<string, unknown>>> {
    return db('elearning_progress')
      .whereIn('learner_id', learnerIds)
      .select('module_slug', 'started_at', 'completed_at', 'times_completed');
  },

  /** Module marks of the learners in `learners` (a builder from learnersRepository.scope). */
  async marksIn(
    db: DbOrTrx,
    learners: Knex.QueryBuilder,
  ): Promise<Array<{ learnerId: number; moduleSlug: string; completed: boolean }>> {
    const rows = await db('elearning_progress as p')
      .join(learners.as('l'), 'l.id', 'p.learner_id')
      .select('p.learner_id', 'p.module_slug', 'p.completed_at');
    return rows.map((r) => ({
      learnerId: Number(r.learner_id),
      moduleSlug: String(r.module_slug),
      completed: r.completed_at !== null,
    }));
  },

  /** Pages seen by the learners in `learners`. */
  async visitsIn(
    db: DbOrTrx,
    learners: Knex.QueryBuilder,
  ): Promise<Array<{ learnerId: number; moduleSlug: string; page: string }>> {
    const rows = await db('elearning_page_visits as v')
      .join(learners.as('l'), 'l.id', 'v.learner_id')
      .select('v.learner_id', 'v.module_slug', 'v.page');
    return rows.map((r) => ({
      learnerId: Number(r.learner_id),
      moduleSlug: String(r.module_slug),
      page: String(r.page),
    }));
  },

  /** Exercises solved by the learners in `learners`. */
  async exercisesIn(
    db: DbOrTrx,
    learners: Knex.QueryBuilder,
  ): Promise<Array<{ learnerId: number; exerciseId: string }>> {
    const rows = await db('elearning_exercise_results as e')
      .join(learners.as('l'), 'l.id', 'e.learner_id')
      .select('e.learner_id', 'e.exercise_id');
    return rows.map((r) => ({ learnerId: Number(r.learner_id), exerciseId: String(r.exercise_id) }));
  },
};
