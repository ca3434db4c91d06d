import { Router, type RequestHandler, type Response } from 'express';
import type { Db } from '../db/knex.js';
import { Conflict, NotFound, ValidationError } from '../shared/errors.js';
import { handle, param, takeFlash } from '../web/http.js';
import type { ElearningContent } from './content.loader.js';
import type { QuizService, PostedAnswers } from './quiz.service.js';
import { learnerOf } from './learner.gate.js';
import type { Learner } from './learners.js';
import { certificatesRepository, formatCode } from './certificates.js';
import { formatDanishDate, formatDanishDateTime } from '../web/format.js';

const OPTION_TOKEN = /^[A-Za-z0-9_-]{1,40}$/;

/** Reads `q<position>` fields (a string for radios, an array for checkboxes) into answers; anything but option tokens is refused. */
export function parseAnswers(body: unknown): PostedAnswers {
  const answers: PostedAnswers = new Map();
  if (!body || typeof body !== 'object') return answers;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const m = key.match(/^q(\d{1,3})$/);
    if (!m) continue;
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v): v is string => typeof v === 'string' && OPTION_TOKEN.test(v))) {
      throw new ValidationError(
        'Svaret passer ikke til spørgsmålene i dit testforsøg. Genindlæs siden, og prøv igen.',
        { [key]: 'Ukendt svarmulighed' },
      );
    }
    answers.set(Number(m[1]), [...new Set(values)]);
  }
  return answers;
}

const attemptIdOf = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new NotFound('Testforsøget findes ikke.');
  return n;
};

/** The final test and the learner's certificate. */
export function quizRoutes({
  quiz,
  content,
  learner,
  publicUrl,
  db,
}: {
  quiz: QuizService;
  content: ElearningContent;
  learner: RequestHandler;
  publicUrl: string;
  db: Db;
}): Router {
  const router = Router();
  const rules = {
    passPercent: quiz.passPercent,
    count: quiz.questionsPerAttempt,
    perPage: quiz.questionsPerPage,
    objectives: content.objectives.filter((o) => !o.superuserOnly).length,
  };

  router.get(
    '/e-laering/test',
    learner,
    handle(async (_req, res) => {
      const me = learnerOf(res);
      const history = await quiz.history(me);
      res.render('elearning/test-intro', {
        title: 'Afsluttende test',
        rules,
        history,
        unfinished: await quiz.unfinished(me),
        certificate: await certificatesRepository.forLearner(db, me.id),
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

  const pageParam = (raw: unknown): number => {
    const n = typeof raw === 'string' && /^\d{1,3}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(n) || n < 1) throw new NotFound('Siden findes ikke i testforsøget.');
    return n;
  };
  const renderPage = async (
    res: Response,
    me: Learner,
    id: number,
    page: number,
    status = 200,
    error: string | null = null,
    flash: string | null = null,
  ) => {
    const view = await quiz.attemptPage(me, id, page);
    if (view.attempt.submittedAt) return res.redirect(303, `/e-laering/test/forsoeg/${id}/resultat`);
    res
      .status(status)
      .render('elearning/test-attempt', {
        title: `Afsluttende test, side ${page} af ${view.pageCount}`,
        ...view,
        rules,
        flash,
        error,
      });
  };

  router.get(
    '/e-laering/test/forsoeg/:id',
    learner,
    handle(async (req, res) => {
      const id = attemptIdOf(param(req, 'id'));
      const page = req.query.side === undefined ? 1 : pageParam(req.query.side);
      await renderPage(res, learnerOf(res), id, page, 200, null, takeFlash(req));
    }),
  );

  router.post(
    '/e-laering/test/forsoeg/:id',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const id = attemptIdOf(param(req, 'id'));
      const body = (req.body ?? {}) as Record<string, unknown>;
      const page = pageParam(body.side);
      try {
        const { pageCount } = await quiz.savePage(me, id, page, parseAnswers(body));
        const base = `/e-laering/test/forsoeg/${id}`;
        const goTo =
          typeof body.gaa === 'string' && /^\d{1,3}$/.test(body.gaa)
            ? Math.min(Math.max(Number(body.gaa), 1), pageCount)
            : null;
        if (goTo) return res.redirect(303, `${base}?side=${goTo}`);
        if (body.handling === 'naeste' && page < pageCount)
          return res.redirect(303, `${base}?side=${page + 1}`);
        if (body.handling === 'forrige' && page > 1) return res.redirect(303, `${base}?side=${page - 1}`);
        if (body.handling === 'aflever' || body.handling === 'naeste')
          return res.redirect(303, `${base}/aflever`);
        req.session.flash = 'Dine svar er gemt. Du kan fortsætte, hvor du slap – også fra en anden computer.';
        res.redirect(303, `${base}?side=${page}`);
      } catch (err) {
        if (err instanceof Conflict) {
          return res
            .status(409)
            .render('elearning/test-conflict', {
              title: 'Testen er allerede afleveret',
              message: err.message,
              attemptId: id,
            });
        }
        if (err instanceof ValidationError) return renderPage(res, me, id, page, 422, err.message);
        throw err;
      }
    }),
  );

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
      try {
        await quiz.handIn(learnerOf(res), id);
      } catch (err) {
        if (err instanceof Conflict) {
          return res
            .status(409)
            .render('elearning/test-conflict', {
              title: 'Testen er allerede afleveret',
              message: err.message,
              attemptId: id,
            });
        }
        throw err;
      }
      res.redirect(303, `/e-laering/test/forsoeg/${id}/resultat`);
    }),
  );

  router.get(
    '/e-laering/test/forsoeg/:id/resultat',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const result = await quiz.result(me, attemptIdOf(param(req, 'id')));
      const history = await quiz.history(me);
      res.render('elearning/test-result', {
        title: 'Resultat af testen',
        result,
        history,
        certificate: await certificatesRepository.forLearner(db, me.id),
        formatDanishDateTime,
      });
    }),
  );

  router.get(
    '/e-laering/certifikat',
    learner,
    handle(async (_req, res) => {
      const me = learnerOf(res);
      const certificate = await certificatesRepository.forLearner(db, me.id);
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

  return router;
}
