import { Router, type RequestHandler } from 'express';
import type { Db } from '../db/knex.js';
import { Conflict, NotFound, ValidationError } from '../shared/errors.js';
import { handle, param, takeFlash } from '../web/http.js';
import type { ElearningContent } from './content.loader.js';
import type { QuizService, PostedAnswers } from './quiz.service.js';
import { learnerOf } from './learner.gate.js';
import { certificatesRepository, formatCode } from './certificates.js';
import { danishDate, danishDateTime } from './elearning.presenter.js';

const OPTION_ID = /^[A-Za-z0-9_-]{1,20}$/;

/** Reads `q<position>` fields (a string for radios, an array for checkboxes) into answers; anything but option ids is refused. */
export function parseAnswers(body: unknown): PostedAnswers {
  const answers: PostedAnswers = new Map();
  if (!body || typeof body !== 'object') return answers;
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    const m = key.match(/^q(\d{1,3})$/);
    if (!m) continue;
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v): v is string => typeof v === 'string' && OPTION_ID.test(v))) {
      throw new ValidationError('Svaret passer ikke til spørgsmålene i dit testforsøg. Genindlæs siden, og prøv igen.', { [key]: 'Ukendt svarmulighed' });
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
export function quizRoutes({ quiz, content, learner, publicUrl, db }: { quiz: QuizService; content: ElearningContent; learner: RequestHandler; publicUrl: string; db: Db }): Router {
  const router = Router();
  const rules = { passPercent: quiz.passPercent, count: quiz.questionsPerAttempt, objectives: content.objectives.filter((o) => !o.superuserOnly).length };

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
        danishDateTime,
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

  router.get(
    '/e-laering/test/forsoeg/:id',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const id = attemptIdOf(param(req, 'id'));
      const view = await quiz.attemptView(me, id);
      if (view.attempt.submittedAt) return res.redirect(303, `/e-laering/test/forsoeg/${id}/resultat`);
      const flash = takeFlash(req);
      res.render('elearning/test-attempt', { title: 'Afsluttende test', ...view, rules, flash, error: null });
    }),
  );

  router.post(
    '/e-laering/test/forsoeg/:id',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const id = attemptIdOf(param(req, 'id'));
      const action = (req.body as Record<string, unknown>)?.handling === 'aflever' ? 'aflever' : 'gem';
      try {
        const answers = parseAnswers(req.body);
        if (action === 'gem') {
          await quiz.saveDraft(me, id, answers);
          req.session.flash = 'Dine svar er gemt. Du kan fortsætte, hvor du slap – også fra en anden computer.';
          return res.redirect(303, `/e-laering/test/forsoeg/${id}`);
        }
        await quiz.submit(me, id, answers);
        res.redirect(303, `/e-laering/test/forsoeg/${id}/resultat`);
      } catch (err) {
        if (err instanceof Conflict) {
          return res.status(409).render('elearning/test-conflict', { title: 'Testen er allerede afleveret', message: err.message, attemptId: id });
        }
        if (err instanceof ValidationError) {
          const view = await quiz.attemptView(me, id);
          return res.status(422).render('elearning/test-attempt', { title: 'Afsluttende test', ...view, rules, flash: null, error: err.message });
        }
        throw err;
      }
    }),
  );

  router.get(
    '/e-laering/test/forsoeg/:id/resultat',
    learner,
    handle(async (req, res) => {
      const me = learnerOf(res);
      const result = await quiz.result(me, attemptIdOf(param(req, 'id')));
      const history = await quiz.history(me);
      res.render('elearning/test-result', { title: 'Resultat af testen', result, history, certificate: await certificatesRepository.forLearner(db, me.id) });
    }),
  );

  router.get(
    '/e-laering/certifikat',
    learner,
    handle(async (_req, res) => {
      const me = learnerOf(res);
      const certificate = await certificatesRepository.forLearner(db, me.id);
      if (!certificate) throw new NotFound('Du har ikke bestået den afsluttende test endnu. Kursusbeviset kan udskrives, når du har bestået.');
      res.render('elearning/certificate', {
        title: 'Kursusbevis',
        certificate,
        code: formatCode(certificate.code),
        passedOn: danishDate(certificate.passedOn),
        verifyUrl: `${publicUrl}/certifikat/verificer/${certificate.code}`,
      });
    }),
  );

  return router;
}
