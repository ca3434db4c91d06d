import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { NotFound, ValidationError } from '../shared/errors.js';
import { handle, param, parseInput, takeFlash } from '../web/http.js';
import type { RateLimiter } from '../web/rate-limit.js';
import type { ElearningContent, Module } from './content.loader.js';
import {
  huskeseddelPage,
  MODULE_PAGE,
  ModuleNotDone,
  moduleExercises,
  TOOLBOX_SLUG,
  type ElearningService,
} from './elearning.service.js';
import { keysOf, missingItems, presentProgress, splitAfterTitle } from './elearning.presenter.js';
import { learnerOf, requireLearner } from './learner.gate.js';
import type { QuizService } from './quiz.service.js';
import type { EvaluationsService } from './evaluations.service.js';
import { certificatesRepository } from './certificates.js';
import { quizRoutes } from './quiz.routes.js';
import { certificateRoutes } from './certificates.routes.js';
import { evaluationRoutes } from './evaluations.routes.js';
import { LEARNER_GROUP_LABELS, type Learner } from './learners.js';

const stepSchema = z.object({
  valg: z.string({ error: 'Vælg en handling.' }).regex(/^[A-Za-z0-9_-]{1,20}$/, 'Vælg en handling.'),
});

type Deps = {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'publicUrl'>;
  rateLimits: RateLimiter;
  elearning: {
    content: ElearningContent;
    progress: ElearningService;
    quiz: QuizService;
    evaluations: EvaluationsService;
  };
};

/** E-learning, final test, certificates and course evaluations. */
export function elearningRoutes(deps: Deps): Router {
  const { db, clock, config } = deps;
  const { content, quiz, evaluations, progress: elearning } = deps.elearning;
  const learner = requireLearner(db, clock, ['test']);

  const router = Router();
  router.use(quizRoutes({ quiz, content, learner, publicUrl: config.publicUrl, db }));
  router.use(certificateRoutes({ db, rateLimits: deps.rateLimits }));
  router.use(
    evaluationRoutes({ db, evaluations, content, publicUrl: config.publicUrl, rateLimits: deps.rateLimits }),
  );

  router.get(
    '/e-laering',
    learner,
    handle(async (_req, res) => {
      const me = learnerOf(res);
      const progress = presentProgress(await elearning.progress(me));
      const history = await quiz.history(me);
      const unfinished = await quiz.unfinished(me);
      const certificate = await certificatesRepository.forLearner(db, me.id);
      const evaluated = await evaluations.hasEvaluated(me, 'elearning', null);
      const objectives = content.objectives.filter((o) => !o.superuserOnly || me.superuser);
      res.render('elearning/overview', {
        title: 'E-læring',
        learner: me,
        groupLabel: LEARNER_GROUP_LABELS[me.group],
        progress,
        history,
        unfinished,
        certificate,
        evaluated,
        objectives,
        moduleTitle: (slug: string) => content.module(slug)?.title ?? slug,
        passPercent: quiz.passPercent,
      });
    }),
  );

  /** The module page, also as the 422 answer when the completion button is pressed too early. */
  const renderModule = async (
    res: Response,
    me: Learner,
    module: Module,
    opts: { flash: string | null; notDone?: ModuleNotDone },
  ) => {
    const status = (await elearning.progress(me)).find((p) => p.module.slug === module.slug)!;
    const done = await elearning.exercisesDone(me);
    const seen = await elearning.pagesSeen(me, module.slug);
    res.status(opts.notDone ? 422 : 200).render('elearning/module', {
      title: module.title,
      module,
      status,
      flash: opts.flash,
      notDone: opts.notDone ? { message: opts.notDone.message, missing: opts.notDone.missing } : null,
      objectives: module.objectives.map((id) => content.objective(id)!).filter(Boolean),
      exercises: moduleExercises(content, module).map((e) => ({ ...e, times: done.get(e.id) ?? 0 })),
      huskesedler:
        module.slug === TOOLBOX_SLUG
          ? content.huskesedler.map((h) => ({
              slug: h.slug,
              title: h.title,
              seen: seen.has(huskeseddelPage(h.slug)),
            }))
          : [],
      missingItems,
    });
  };

  router.get(
    '/e-laering/moduler/:slug',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const module = elearning.moduleFor(me, param(req, 'slug'));
      await elearning.seePage(me, module.slug, MODULE_PAGE);
      await renderModule(res, me, module, { flash: takeFlash(req) });
    }),
  );

  router.post(
    '/e-laering/moduler/:slug/gennemfoert',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const module = elearning.moduleFor(me, param(req, 'slug'));
      try {
        await elearning.markCompleted(me, module.slug);
      } catch (err) {
        if (!(err instanceof ModuleNotDone)) throw err;
        return renderModule(res, me, module, { flash: null, notDone: err });
      }
      req.session.flash = `Modulet "${module.title}" er markeret som gennemført.`;
      res.redirect(303, `/e-laering/moduler/${module.slug}`);
    }),
  );

  router.get(
    '/e-laering/huskesedler/:slug',
    learner,
    handle(async (req, res) => {
      const h = content.huskeseddel(param(req, 'slug'));
      if (!h) throw new NotFound('Huskesedlen findes ikke.');
      await elearning.seePage(learnerOf(res), TOOLBOX_SLUG, huskeseddelPage(h.slug));
      res.render('elearning/huskeseddel', { title: h.title, h, parts: splitAfterTitle(h), keysOf });
    }),
  );

  router.get(
    '/e-laering/oevelser/:id',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const exercise = elearning.exerciseFor(me, param(req, 'id'));
      await elearning.markStarted(me, exercise.module);
      res.render('elearning/exercise', {
        title: exercise.title,
        exercise,
        objectives: exercise.objectives.map((id) => content.objective(id)!).filter(Boolean),
      });
    }),
  );

  const stepOf = (raw: string, count: number): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > count) throw new NotFound('Trinnet findes ikke.');
    return n;
  };

  router.get(
    '/e-laering/oevelser/:id/trin/:n',
    learner,
    handle(async (req, res) => {
      const exercise = elearning.exerciseFor(learnerOf(res), param(req, 'id'));
      const n = stepOf(param(req, 'n'), exercise.steps.length);
      res.render('elearning/exercise-step', {
        title: `${exercise.title} – trin ${n}`,
        exercise,
        n,
        step: exercise.steps[n - 1]!,
        outcome: null,
        chosen: null,
        keysOf,
      });
    }),
  );

  router.post(
    '/e-laering/oevelser/:id/trin/:n',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const exercise = elearning.exerciseFor(me, param(req, 'id'));
      const n = stepOf(param(req, 'n'), exercise.steps.length);
      const step = exercise.steps[n - 1]!;
      const title = `${exercise.title} – trin ${n}`;
      let choice: string;
      try {
        choice = parseInput(stepSchema, req.body, 'Vælg en handling, før du går videre.').valg;
        if (!step.options.some((o) => o.id === choice))
          throw new ValidationError('Vælg en handling, før du går videre.', { valg: 'Vælg en handling.' });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        return res.status(422).render('elearning/exercise-step', {
          title,
          exercise,
          n,
          step,
          outcome: null,
          chosen: null,
          error: 'Vælg en af handlingerne, før du trykker Udfør.',
          keysOf,
        });
      }
      const answer = await elearning.answerExerciseStep(me, exercise.id, n - 1, choice);
      const outcome = { correct: answer.correct, message: answer.message };
      const last = n === exercise.steps.length;
      res.render('elearning/exercise-step', {
        title,
        exercise,
        n,
        step,
        outcome,
        chosen: choice,
        last,
        solved: answer.exerciseSolved,
        unsolvedSteps: answer.unsolvedSteps,
        keysOf,
      });
    }),
  );

  return router;
}
