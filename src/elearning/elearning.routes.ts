import { Router, type RequestHandler, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import { NotFound, ValidationError } from '../shared/errors.js';
import { formHandler } from '../web/forms.js';
import { handle, param, parseInput, takeFlash } from '../web/http.js';
import type { RateLimiter } from '../web/rate-limit.js';
import type { ElearningContent, Module } from './content.loader.js';
import type { Exercise } from './content.schemas.js';
import {
  huskeseddelPage,
  MODULE_PAGE,
  ModuleNotDone,
  TOOLBOX_SLUG,
  type ElearningService,
} from './elearning.service.js';
import { stepSchema } from './elearning.schemas.js';
import { keysOf, presentModule, presentProgress, splitAfterTitle } from './elearning.presenter.js';
import { learnerOf, requireLearner } from './learner.gate.js';
import type { QuizService } from './quiz.service.js';
import type { EvaluationsService } from './evaluations.service.js';
import type { CertificatesService } from './certificates.service.js';
import type { LearnersService } from './learners.service.js';
import { quizRoutes } from './quiz.routes.js';
import { certificateRoutes } from './certificates.routes.js';
import { evaluationRoutes } from './evaluations.routes.js';
import { LEARNER_GROUP_LABELS, type Learner } from './learners.js';

/** The e-learning feature's services, as the container builds them. */
type Elearning = {
  content: ElearningContent;
  progress: ElearningService;
  quiz: QuizService;
  evaluations: EvaluationsService;
  learners: LearnersService;
  certificates: CertificatesService;
};

type Deps = {
  config: Pick<Config, 'publicUrl'>;
  rateLimits: RateLimiter;
  elearning: Elearning;
};

/** E-learning, final test, certificates and course evaluations. */
export function elearningRoutes(deps: Deps): Router {
  const { config, rateLimits } = deps;
  const { content, quiz, evaluations, learners, certificates } = deps.elearning;
  const learner = requireLearner(learners, ['test']);

  const router = Router();
  router.use(quizRoutes({ quiz, certificates, content, learner, publicUrl: config.publicUrl }));
  router.use(certificateRoutes({ certificates, rateLimits }));
  router.use(evaluationRoutes({ learners, evaluations, content, publicUrl: config.publicUrl, rateLimits }));
  registerOverview(router, deps.elearning, learner);
  registerModules(router, deps.elearning, learner);
  registerExercises(router, deps.elearning, learner);
  return router;
}

/** The learner's start page: modules, test history, certificate and the evaluation. */
function registerOverview(router: Router, e: Elearning, learner: RequestHandler): void {
  router.get(
    '/e-laering',
    learner,
    handle(async (_req, res) => {
      const me = learnerOf(res);
      res.render('elearning/overview', {
        title: 'E-læring',
        learner: me,
        groupLabel: LEARNER_GROUP_LABELS[me.group],
        progress: presentProgress(await e.progress.progress(me)),
        history: await e.quiz.history(me),
        unfinished: await e.quiz.unfinished(me),
        certificate: await e.certificates.forLearner(me),
        evaluated: await e.evaluations.hasEvaluated(me, 'elearning', null),
        objectives: e.content.objectives.filter((o) => !o.superuserOnly || me.superuser),
        moduleTitle: (slug: string) => e.content.module(slug)?.title ?? slug,
        passPercent: e.quiz.passPercent,
      });
    }),
  );
}

/** Modules (also as the 422 answer when completion is asked too early) and the job aids. */
function registerModules(router: Router, e: Elearning, learner: RequestHandler): void {
  const renderModule = async (
    res: Response,
    me: Learner,
    module: Module,
    opts: { flash: string | null; notDone?: ModuleNotDone },
  ) => {
    const state = await e.progress.moduleState(me, module);
    res.status(opts.notDone ? 422 : 200).render('elearning/module', {
      title: module.title,
      module,
      flash: opts.flash,
      notDone: opts.notDone ? { message: opts.notDone.message, missing: opts.notDone.missing } : null,
      ...presentModule(e.content, module, state),
    });
  };
  const moduleOf = (req: Request, res: Response) => e.progress.moduleFor(learnerOf(res), param(req, 'slug'));

  router.get(
    '/e-laering/moduler/:slug',
    learner,
    handle(async (req, res) => {
      const module = moduleOf(req, res);
      await e.progress.seePage(learnerOf(res), module.slug, MODULE_PAGE);
      await renderModule(res, learnerOf(res), module, { flash: takeFlash(req) });
    }),
  );

  router.post(
    '/e-laering/moduler/:slug/gennemfoert',
    learner,
    formHandler(
      async (req, res) => {
        const module = moduleOf(req, res);
        await e.progress.markCompleted(learnerOf(res), module.slug);
        req.session.flash = `Modulet "${module.title}" er markeret som gennemført.`;
        res.redirect(303, `/e-laering/moduler/${module.slug}`);
      },
      async (req, res, err) => {
        if (!(err instanceof ModuleNotDone)) throw err;
        await renderModule(res, learnerOf(res), moduleOf(req, res), { flash: null, notDone: err });
      },
    ),
  );

  router.get(
    '/e-laering/huskesedler/:slug',
    learner,
    handle(async (req, res) => {
      const h = e.content.huskeseddel(param(req, 'slug'));
      if (!h) throw new NotFound('Huskesedlen findes ikke.');
      await e.progress.seePage(learnerOf(res), TOOLBOX_SLUG, huskeseddelPage(h.slug));
      res.render('elearning/huskeseddel', { title: h.title, h, parts: splitAfterTitle(h), keysOf });
    }),
  );
}

/** The exercise and step in the URL; a step number out of range is a 404. */
function stepOf(e: Elearning, req: Request, res: Response) {
  const exercise: Exercise = e.progress.exerciseFor(learnerOf(res), param(req, 'id'));
  const n = Number(param(req, 'n'));
  if (!Number.isInteger(n) || n < 1 || n > exercise.steps.length) throw new NotFound('Trinnet findes ikke.');
  const step = exercise.steps[n - 1]!;
  return { exercise, n, step, view: { title: `${exercise.title} – trin ${n}`, exercise, n, step, keysOf } };
}

/** Interactive exercises, answered step by step. */
function registerExercises(router: Router, e: Elearning, learner: RequestHandler): void {
  router.get(
    '/e-laering/oevelser/:id',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const exercise = e.progress.exerciseFor(me, param(req, 'id'));
      await e.progress.markStarted(me, exercise.module);
      res.render('elearning/exercise', {
        title: exercise.title,
        exercise,
        objectives: exercise.objectives.map((id) => e.content.objective(id)!).filter(Boolean),
      });
    }),
  );

  router.get(
    '/e-laering/oevelser/:id/trin/:n',
    learner,
    handle(async (req, res) => {
      res.render('elearning/exercise-step', { ...stepOf(e, req, res).view, outcome: null, chosen: null });
    }),
  );

  router.post(
    '/e-laering/oevelser/:id/trin/:n',
    learner,
    formHandler(
      async (req, res) => {
        const { exercise, n, step, view } = stepOf(e, req, res);
        const choice = parseInput(stepSchema, req.body, 'Vælg en handling, før du går videre.').valg;
        if (!step.options.some((o) => o.id === choice))
          throw new ValidationError('Vælg en handling, før du går videre.', { valg: 'Vælg en handling.' });
        const answer = await e.progress.answerExerciseStep(learnerOf(res), exercise.id, n - 1, choice);
        res.render('elearning/exercise-step', {
          ...view,
          outcome: { correct: answer.correct, message: answer.message },
          chosen: choice,
          last: n === exercise.steps.length,
          solved: answer.exerciseSolved,
          unsolvedSteps: answer.unsolvedSteps,
        });
      },
      (req, res) =>
        res.render('elearning/exercise-step', {
          ...stepOf(e, req, res).view,
          outcome: null,
          chosen: null,
          error: 'Vælg en af handlingerne, før du trykker Udfør.',
        }),
    ),
  );
}
