import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { NotFound } from '../shared/errors.js';
import type { ElearningContent, Module } from './content.loader.js';
import type { Exercise } from './content.schemas.js';
import type { Learner } from './learners.js';
import { progressRepository } from './progress.repository.js';

export type ModuleStatus = 'ikke-startet' | 'i-gang' | 'gennemfoert';
export const MODULE_STATUS_LABELS: Record<ModuleStatus, string> = {
  'ikke-startet': 'Ikke startet',
  'i-gang': 'I gang',
  gennemfoert: 'Gennemført',
};

export type ModuleProgress = { module: Module; status: ModuleStatus; timesCompleted: number; repeated: number };

/** Whether a learner may see a module: the superuser module only for superusers. */
export function moduleVisibleTo(module: Pick<Module, 'audience'>, learner: Pick<Learner, 'superuser'>): boolean {
  return module.audience === 'all' || learner.superuser;
}

/** Exercise step outcome: the step's success text, or the targeted feedback for the wrong choice. */
export function answerStep(exercise: Exercise, stepIndex: number, choice: string): { correct: boolean; message: string } {
  const step = exercise.steps[stepIndex];
  if (!step) throw new NotFound('Trinnet findes ikke.');
  if (choice === step.correct) return { correct: true, message: step.success };
  return { correct: false, message: step.feedback[choice] ?? 'Det er ikke det bedste valg her. Læs princippet igen, og prøv en anden handling.' };
}

/** Modules, exercises and per-learner progress; any order, repeatable. */
export function createElearningService({ db, clock, content }: { db: Db; clock: Clock; content: ElearningContent }) {
  return {
    visibleModules(learner: Learner): Module[] {
      return content.modules.filter((m) => moduleVisibleTo(m, learner));
    },

    /** A module the learner may open; the superuser module is a 404 for everyone else. */
    moduleFor(learner: Learner, slug: string): Module {
      const m = content.module(slug);
      if (!m || !moduleVisibleTo(m, learner)) throw new NotFound('Modulet findes ikke.');
      return m;
    },

    exerciseFor(learner: Learner, id: string): Exercise {
      const e = content.exercise(id);
      if (!e) throw new NotFound('Øvelsen findes ikke.');
      this.moduleFor(learner, e.module);
      return e;
    },

    async markStarted(learner: Learner, slug: string): Promise<void> {
      this.moduleFor(learner, slug);
      await progressRepository.markVisited(db, learner.id, slug, clock.now());
    },

    async markCompleted(learner: Learner, slug: string): Promise<void> {
      this.moduleFor(learner, slug);
      await db.transaction((trx) => progressRepository.markCompleted(trx, learner.id, slug, clock.now()));
    },

    async recordExerciseDone(learner: Learner, exerciseId: string): Promise<void> {
      const e = this.exerciseFor(learner, exerciseId);
      await db.transaction(async (trx) => {
        await progressRepository.markVisited(trx, learner.id, e.module, clock.now());
        await progressRepository.markExerciseDone(trx, learner.id, exerciseId, clock.now());
      });
    },

    async exercisesDone(learner: Learner): Promise<Map<string, number>> {
      return progressRepository.exercisesDone(db, learner.id);
    },

    /** Every visible module with its status, in content order. */
    async progress(learner: Learner): Promise<ModuleProgress[]> {
      const rows = new Map((await progressRepository.forLearner(db, learner.id)).map((r) => [r.moduleSlug, r]));
      return this.visibleModules(learner).map((module) => {
        const r = rows.get(module.slug);
        const status: ModuleStatus = !r ? 'ikke-startet' : r.completedAt ? 'gennemfoert' : 'i-gang';
        const timesCompleted = r?.timesCompleted ?? 0;
        return { module, status, timesCompleted, repeated: Math.max(0, timesCompleted - 1) };
      });
    },
  };
}

export type ElearningService = ReturnType<typeof createElearningService>;
