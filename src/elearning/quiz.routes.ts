import { Router, type RequestHandler, type Request, type Response } from 'express';
import { Conflict, NotFound } from '../shared/errors.js';
import { formHandler } from '../web/forms.js';
import { handle, param, takeFlash } from '../web/http.js';
import { formatDanishDate, formatDanishDateTime } from '../web/format.js';
import type { ElearningContent } from './content.loader.js';
import type { QuizService } from './quiz.service.js';
import { attemptIdOf, nextStepOf, pageParam, parseAnswers } from './quiz.schemas.js';
import { learnerOf } from './learner.gate.js';
import type { Learner } from './learners.js';
import type { CertificatesService } from './certificates.service.js';
import { formatCode } from './certificates.js';

type Deps = {
  quiz: QuizService;
  certificates: CertificatesService;
  content: ElearningContent;
  learner: RequestHandler;
  publicUrl: string;
};

/** The test's rules as its pages state them. */
type Rules = { passPercent: number; count: number; perPage: number; objectives: number };

/** The final test and the learner's certificate. */
export function quizRoutes(deps: Deps): Router {
  const router = Router();
  const rules: Rules = {
    passPercent: deps.quiz.passPercent,
    count: deps.quiz.questionsPerAttempt,
    perPage: deps.quiz.questionsPerPage,
    objectives: deps.content.objectives.filter((o) => !o.superuserOnly).length,
  };
  registerStart(router, deps, rules);
  registerAttempt(router, deps, rules);
  registerHandIn(router, deps, rules);
  registerCertificate(router, deps);
  return router;
}

/** A hand-in that lost the race (or came twice): the attempt's conflict page. */
async function orConflictPage(
  res: Response,
  attemptId: number,
  action: () => Promise<unknown>,
): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (!(err instanceof Conflict)) throw err;
    res.status(409).render('elearning/test-conflict', {
      title: 'Testen er allerede afleveret',
      message: err.message,
      attemptId,
    });
  }
}

function registerStart(router: Router, { quiz, certificates, learner }: Deps, rules: Rules): void {
  router.get(
    '/e-laering/test',
    learner,
    handle(async (_req, res) => {
      const me = learnerOf(res);
      res.render('elearning/test-intro', {
        title: 'Afsluttende test',
        rules,
        history: await quiz.history(me),
        unfinished: await quiz.unfinished(me),
        certificate: await certificates.forLearner(me),
        formatDanishDateTime,
      });
    }),
  );

  router.post(
    '/e-laering/test/start',
    learner,
    handle(async (_req, res) => {
      const id = await quiz.startOrResume(learnerOf(res));
      res.redirect(303, `/e-laering/test/forsoeg/${id}`);
    }),
  );
}

/** One page of an open attempt: shown, and saved with the buttons that move between pages. */
function registerAttempt(router: Router, { quiz, learner }: Deps, rules: Rules): void {
  const renderPage = async (
    res: Response,
    me: Learner,
    id: number,
    page: number,
    opts: { error?: string; flash?: string | null } = {},
  ) => {
    const view = await quiz.attemptPage(me, id, page);
    if (view.attempt.submittedAt) return res.redirect(303, `/e-laering/test/forsoeg/${id}/resultat`);
    res.render('elearning/test-attempt', {
      title: `Afsluttende test, side ${page} af ${view.pageCount}`,
      ...view,
      rules,
      flash: opts.flash ?? null,
      error: opts.error ?? null,
    });
  };
  const postedPage = (req: Request) => pageParam(((req.body ?? {}) as Record<string, unknown>).side);

  router.get(
    '/e-laering/test/forsoeg/:id',
    learner,
    handle(async (req, res) => {
      const page = req.query.side === undefined ? 1 : pageParam(req.query.side);
      await renderPage(res, learnerOf(res), attemptIdOf(param(req, 'id')), page, { flash: takeFlash(req) });
    }),
  );

  router.post(
    '/e-laering/test/forsoeg/:id',
    learner,
    formHandler(
      async (req, res) => {
        const id = attemptIdOf(param(req, 'id'));
        const page = postedPage(req);
        await orConflictPage(res, id, async () => {
          const body = (req.body ?? {}) as Record<string, unknown>;
          const { pageCount } = await quiz.savePage(learnerOf(res), id, page, parseAnswers(body));
          const base = `/e-laering/test/forsoeg/${id}`;
          const next = nextStepOf(body, page, pageCount);
          if (next === 'aflever') return res.redirect(303, `${base}/aflever`);
          if (next !== null) return res.redirect(303, `${base}?side=${next}`);
          req.session.flash =
            'Dine svar er gemt. Du kan fortsætte, hvor du slap – også fra en anden computer.';
          res.redirect(303, `${base}?side=${page}`);
        });
      },
      (req, res, err) =>
        renderPage(res, learnerOf(res), attemptIdOf(param(req, 'id')), postedPage(req), {
          error: err.message,
        }),
    ),
  );
}

/** The summary before handing in, the hand-in itself and the result. */
function registerHandIn(router: Router, { quiz, certificates, learner }: Deps, rules: Rules): void {
  router.get(
    '/e-laering/test/forsoeg/:id/aflever',
    learner,
    handle(async (req, res) => {
      const id = attemptIdOf(param(req, 'id'));
      const summary = await quiz.summary(learnerOf(res), id);
      if (summary.attempt.submittedAt) return res.redirect(303, `/e-laering/test/forsoeg/${id}/resultat`);
      res.render('elearning/test-summary', { title: 'Aflever testen', ...summary, rules });
    }),
  );

  router.post(
    '/e-laering/test/forsoeg/:id/aflever',
    learner,
    handle(async (req, res) => {
      const id = attemptIdOf(param(req, 'id'));
      await orConflictPage(res, id, async () => {
        await quiz.handIn(learnerOf(res), id);
        res.redirect(303, `/e-laering/test/forsoeg/${id}/resultat`);
      });
    }),
  );

  router.get(
    '/e-laering/test/forsoeg/:id/resultat',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      res.render('elearning/test-result', {
        title: 'Resultat af testen',
        result: await quiz.result(me, attemptIdOf(param(req, 'id'))),
        history: await quiz.history(me),
        certificate: await certificates.forLearner(me),
        formatDanishDateTime,
      });
    }),
  );
}

function registerCertificate(router: Router, { certificates, learner, publicUrl }: Deps): void {
  router.get(
    '/e-laering/certifikat',
    learner,
    handle(async (_req, res) => {
      const certificate = await certificates.forLearner(learnerOf(res));
      if (!certificate)
        throw new NotFound(
          'Du har ikke bestået den afsluttende test endnu. Kursusbeviset kan udskrives, når du har bestået.',
        );
      res.render('elearning/certificate', {
        title: 'Kursusbevis',
        certificate,
        code: formatCode(certificate.code),
        passedOn: formatDanishDate(certificate.passedOn),
        verifyUrl: `${publicUrl}/certifikat/verificer/${certificate.code}`,
      });
    }),
  );
}
