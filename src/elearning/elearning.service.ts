import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { NotFound, ValidationError } from '../shared/errors.js';
import type { ElearningContent, Module } from './content.loader.js';
import type { Exercise } from './content.schemas.js';
import type { Learner } from './learners.js';
import { progressRepository, type ProgressRow } from './progress.repository.js';

export type ModuleStatus = 'ikke-startet' | 'i-gang' | 'gennemfoert';
export const MODULE_STATUS_LABELS: Record<ModuleStatus, string> = {
  'ikke-startet': 'Ikke startet',
  'i-gang': 'I gang',
  gennemfoert: 'Gennemført',
};

/** The module whose pages, beyond its own, are the job aids (huskesedler). */
export const TOOLBOX_SLUG = 'vaerktoejskasse';
/** The key of a module's own page among its pages. */
export const MODULE_PAGE = 'modul';

export type ModulePage = { key: string; kind: 'modul' | 'huskeseddel'; title: string; href: string };
export type ExerciseRef = { id: string; title: string; href: string };
/** What a learner has yet to do before a module may be marked as completed. */
export type Missing = { pages: ModulePage[]; exercises: ExerciseRef[] };

export type ModuleProgress = {
  module: Module;
  status: ModuleStatus;
  timesCompleted: number;
  repeated: number;
  missing: Missing;
  pagesSeen: number;
  pagesTotal: number;
  exercisesSolved: number;
  exercisesTotal: number;
};

type ContentParts = Pick<ElearningContent, 'huskesedler' | 'exercises'>;

/** A module's pages: its own page and, for the toolbox, each job aid. */
export function modulePages(
  content: Pick<ElearningContent, 'huskesedler'>,
  module: Pick<Module, 'slug' | 'title'>,
): ModulePage[] {
  const own: ModulePage = {
    key: MODULE_PAGE,
    kind: 'modul',
    title: module.title,
    href: `/e-laering/moduler/${module.slug}`,
  };
  if (module.slug !== TOOLBOX_SLUG) return [own];
  return [
    own,
    ...content.huskesedler.map((h) => ({
      key: huskeseddelPage(h.slug),
      kind: 'huskeseddel' as const,
      title: h.title,
      href: `/e-laering/huskesedler/${h.slug}`,
    })),
  ];
}

export const huskeseddelPage = (slug: string): string => `huskeseddel:${slug}`;

/** The interactive exercises that belong to a module, in content order. */
export function moduleExercises(
  content: Pick<ElearningContent, 'exercises'>,
  module: Pick<Module, 'slug'>,
): ExerciseRef[] {
  return content.exercises
    .filter((e) => e.module === module.slug)
    .map((e) => ({ id: e.id, title: e.title, href: `/e-laering/oevelser/${e.id}` }));
}

/** The pages not yet seen and the exercises not yet solved. */
export function missingFor(
  content: ContentParts,
  module: Pick<Module, 'slug' | 'title'>,
  seen: ReadonlySet<string>,
  solved: ReadonlySet<string>,
): Missing {
  return {
    pages: modulePages(content, module).filter((p) => !seen.has(p.key)),
    exercises: moduleExercises(content, module).filter((e) => !solved.has(e.id)),
  };
}

export const nothingMissing = (m: Missing): boolean => !m.pages.length && !m.exercises.length;

/**
 * The completion rule, the one place it is decided: a module is completed when the learner has marked it
 * so and has seen every page of it and solved every exercise of it. The button records the mark only when
 * nothing is missing; a mark without the pages and exercises behind it (from before they were recorded, or
 * a module that has since gained an exercise) does not count.
 */
export function isModuleComplete(
  content: ContentParts,
  module: Pick<Module, 'slug' | 'title'>,
  learner: { marked: boolean; seen: ReadonlySet<string>; solved: ReadonlySet<string> },
): boolean {
  return learner.marked && nothingMissing(missingFor(content, module, learner.seen, learner.solved));
}

/** The completion button was pressed before the pages were seen and the exercises solved. */
export class ModuleNotDone extends ValidationError {
  constructor(
    public readonly module: Module,
    public readonly missing: Missing,
  ) {
    super('Modulet kan ikke markeres som gennemført endnu.');
  }
}

/** Whether a learner may see a module: the superuser module only for superusers. */
export function moduleVisibleTo(
  module: Pick<Module, 'audience'>,
  learner: Pick<Learner, 'superuser'>,
): boolean {
  return module.audience === 'all' || learner.superuser;
}

/** Exercise step outcome: the step's success text, or the targeted feedback for the wrong choice. */
export function answerStep(
  exercise: Exercise,
  stepIndex: number,
  choice: string,
): { correct: boolean; message: string } {
  const step = exercise.steps[stepIndex];
  if (!step) throw new NotFound('Trinnet findes ikke.');
  if (choice === step.correct) return { correct: true, message: step.success };
  return {
    correct: false,
    message:
      step.feedback[choice] ??
      'Det er ikke det bedste valg her. Læs princippet igen, og prøv en anden handling.',
  };
}

export type StepAnswer = {
  correct: boolean;
  message: string;
  /** Every step of the exercise has been answered correctly (now or before). */
  exerciseSolved: boolean;
  /** Step numbers (1-based) not yet answered correctly. */
  unsolvedSteps: number[];
};

/** What a module's page needs about one learner. */
export type ModuleState = {
  progress: ModuleProgress;
  exercisesDone: Map<string, number>;
  pagesSeen: Set<string>;
};

type Deps = { db: Db; clock: Clock; content: ElearningContent };

/** A module the learner may open; the superuser module is a 404 for everyone else. */
function moduleFor({ content }: Deps, learner: Learner, slug: string): Module {
  const m = content.module(slug);
  if (!m || !moduleVisibleTo(m, learner)) throw new NotFound('Modulet findes ikke.');
  return m;
}

function exerciseFor(deps: Deps, learner: Learner, id: string): Exercise {
  const e = deps.content.exercise(id);
  if (!e) throw new NotFound('Øvelsen findes ikke.');
  moduleFor(deps, learner, e.module);
  return e;
}

/** Records that the learner has seen one page of a module (which also starts the module). */
async function seePage(deps: Deps, learner: Learner, slug: string, page: string): Promise<void> {
  const { db, clock, content } = deps;
  const module = moduleFor(deps, learner, slug);
  if (!modulePages(content, module).some((p) => p.key === page)) throw new NotFound('Siden findes ikke.');
  await db.transaction(async (trx) => {
    await progressRepository.markVisited(trx, learner.id, slug, clock.now());
    await progressRepository.markPageSeen(trx, learner.id, slug, page, clock.now());
  });
}

/** Records the completion; refused with what is missing until every page is seen and every exercise solved. */
async function markCompleted(deps: Deps, learner: Learner, slug: string): Promise<void> {
  const { db, clock, content } = deps;
  const module = moduleFor(deps, learner, slug);
  await db.transaction(async (trx) => {
    const seen = (await progressRepository.pagesSeen(trx, learner.id)).get(slug) ?? new Set<string>();
    const solved = new Set((await progressRepository.exercisesDone(trx, learner.id)).keys());
    const missing = missingFor(content, module, seen, solved);
    if (!nothingMissing(missing)) throw new ModuleNotDone(module, missing);
    await progressRepository.markCompleted(trx, learner.id, slug, clock.now());
  });
}

/**
 * Answers one step. A correct answer is remembered per step; the exercise counts as solved once every
 * step has been answered correctly, so jumping to the last step is not enough. Finishing the last step
 * again later counts as a repetition.
 */
async function answerExerciseStep(
  deps: Deps,
  learner: Learner,
  exerciseId: string,
  stepIndex: number,
  choice: string,
): Promise<StepAnswer> {
  const { db, clock } = deps;
  const e = exerciseFor(deps, learner, exerciseId);
  const outcome = answerStep(e, stepIndex, choice);
  if (!outcome.correct) return { ...outcome, exerciseSolved: false, unsolvedSteps: [] };
  return db.transaction(async (trx) => {
    const now = clock.now();
    await progressRepository.markVisited(trx, learner.id, e.module, now);
    await progressRepository.markStepSolved(trx, learner.id, e.id, e.steps[stepIndex]!.id, now);
    const solvedSteps = await progressRepository.stepsSolved(trx, learner.id, e.id);
    const unsolvedSteps = e.steps.flatMap((s, i) => (solvedSteps.has(s.id) ? [] : [i + 1]));
    if (unsolvedSteps.length) return { ...outcome, exerciseSolved: false, unsolvedSteps };
    const last = stepIndex === e.steps.length - 1;
    if (last || !(await progressRepository.exercisesDone(trx, learner.id)).has(e.id)) {
      await progressRepository.markExerciseDone(trx, learner.id, e.id, now);
    }
    return { ...outcome, exerciseSolved: true, unsolvedSteps };
  });
}

/** One module's row of the overview, by the completion rule. */
function moduleProgress(
  content: ElearningContent,
  module: Module,
  r: ProgressRow | undefined,
  seen: ReadonlySet<string>,
  solved: ReadonlySet<string>,
): ModuleProgress {
  const missing = missingFor(content, module, seen, solved);
  const complete = isModuleComplete(content, module, { marked: Boolean(r?.completedAt), seen, solved });
  const status: ModuleStatus = complete ? 'gennemfoert' : r || seen.size ? 'i-gang' : 'ikke-startet';
  const timesCompleted = complete ? (r?.timesCompleted ?? 0) : 0;
  const pagesTotal = modulePages(content, module).length;
  const exercisesTotal = moduleExercises(content, module).length;
  return {
    module,
    status,
    timesCompleted,
    repeated: Math.max(0, timesCompleted - 1),
    missing,
    pagesSeen: pagesTotal - missing.pages.length,
    pagesTotal,
    exercisesSolved: exercisesTotal - missing.exercises.length,
    exercisesTotal,
  };
}

/** Every visible module with its status and what is missing, in content order. */
async function progress({ db, content }: Deps, learner: Learner): Promise<ModuleProgress[]> {
  const rows = new Map((await progressRepository.forLearner(db, learner.id)).map((r) => [r.moduleSlug, r]));
  const seenBy = await progressRepository.pagesSeen(db, learner.id);
  const solved = new Set((await progressRepository.exercisesDone(db, learner.id)).keys());
  return content.modules
    .filter((m) => moduleVisibleTo(m, learner))
    .map((module) =>
      moduleProgress(content, module, rows.get(module.slug), seenBy.get(module.slug) ?? new Set(), solved),
    );
}

/** A module's status with the learner's solved exercises and seen pages, for its page. */
async function moduleState(deps: Deps, learner: Learner, module: Module): Promise<ModuleState> {
  return {
    progress: (await progress(deps, learner)).find((p) => p.module.slug === module.slug)!,
    exercisesDone: await progressRepository.exercisesDone(deps.db, learner.id),
    pagesSeen:
      (await progressRepository.pagesSeen(deps.db, learner.id)).get(module.slug) ?? new Set<string>(),
  };
}

/** Modules, exercises and per-learner progress; any order, repeatable. */
export function createElearningService(deps: Deps) {
  return {
    visibleModules: (learner: Learner): Module[] =>
      deps.content.modules.filter((m) => moduleVisibleTo(m, learner)),
    moduleFor: (learner: Learner, slug: string) => moduleFor(deps, learner, slug),
    exerciseFor: (learner: Learner, id: string) => exerciseFor(deps, learner, id),
    async markStarted(learner: Learner, slug: string): Promise<void> {
      moduleFor(deps, learner, slug);
      await progressRepository.markVisited(deps.db, learner.id, slug, deps.clock.now());
    },
    seePage: (learner: Learner, slug: string, page: string) => seePage(deps, learner, slug, page),
    markCompleted: (learner: Learner, slug: string) => markCompleted(deps, learner, slug),
    answerExerciseStep: (learner: Learner, exerciseId: string, stepIndex: number, choice: string) =>
      answerExerciseStep(deps, learner, exerciseId, stepIndex, choice),
    exercisesDone: (learner: Learner) => progressRepository.exercisesDone(deps.db, learner.id),
    /** The pages of a module the learner has seen. */
    async pagesSeen(learner: Learner, slug: string): Promise<Set<string>> {
      return (await progressRepository.pagesSeen(deps.db, learner.id)).get(slug) ?? new Set<string>();
    },
    progress: (learner: Learner) => progress(deps, learner),
    moduleState: (learner: Learner, module: Module) => moduleState(deps, learner, module),
  };
}

/** Modules, exercises and progress as the routes use them. */
export type ElearningService = ReturnType<typeof createElearningService>;
