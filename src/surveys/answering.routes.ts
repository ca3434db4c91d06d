import { Router, type Request, type Response } from 'express';
import { handle, idParam, param, parseInput } from '../web/http.js';
import { formHandler } from '../web/forms.js';
import { Forbidden, NotFound, Unauthenticated } from '../shared/errors.js';
import type { ParticipantAccessService } from '../links/index.js';
import { view } from './surveys.view.js';
import { elementsOf } from './instrument.js';
import { IncompleteAnswers, type AnsweringService } from './answering.service.js';
import { answerFormSchema, type AnswerAction } from './answering.schemas.js';

type Deps = { answering: AnsweringService; access: ParticipantAccessService };

/** The participant behind the session; a visitor without a login or link logs in, anyone else off the list is refused. */
async function surveyAccess(deps: Deps, req: Request) {
  const a = await deps.access.participantFor(req.session, 'survey');
  if (!a && !req.session.user && !req.session.link) throw new Unauthenticated();
  if (!a)
    throw new Forbidden(
      'Du står ikke på deltagerlisten for denne undersøgelse. Kontakt din KSD-projektleder.',
    );
  return a;
}

/** Shows a page of the survey: one element's items, or the comment and "Indsend" after the last. */
async function renderPage(
  deps: Deps,
  req: Request,
  res: Response,
  page: number,
  errors: Record<string, string> = {},
  posted?: Record<string, unknown>,
) {
  const roundId = idParam(req, 'roundId');
  const state = await deps.answering.open(await surveyAccess(deps, req), roundId);
  if (state.submitted) return res.redirect(303, `/undersoegelse/${roundId}/tak`);
  const elements = elementsOf(state.instrument);
  if (page < 1 || page > elements.length + 1) throw new NotFound();
  const items = elements.flatMap((e) => e.items);
  res.status(Object.keys(errors).length ? 422 : 200).render('surveys/answer', {
    title: `${state.instrument.title} – side ${page} af ${elements.length + 1}`,
    round: state.round,
    instrument: state.instrument,
    element: elements[page - 1] ?? null,
    page,
    pages: elements.length + 1,
    answered: items.filter((i) => state.draft.answers[i.id] !== undefined).length,
    total: items.length,
    draft: state.draft,
    posted: posted ?? {},
    errors,
    ...view,
  });
}

/** Where a saved page leads, by the button pressed. */
function nextPage(roundId: number, page: number, action: AnswerAction): string {
  if (action === 'forrige') return `/undersoegelse/${roundId}/side/${Math.max(1, page - 1)}`;
  if (action === 'gem') return `/undersoegelse/${roundId}/gemt`;
  return `/undersoegelse/${roundId}/side/${page + 1}`;
}

/** "Mine opgaver": the rounds the person behind the login or link has to answer. */
function registerMyTasks(router: Router, deps: Deps): void {
  router.get(
    '/mine-opgaver',
    handle(async (req, res) => {
      if (!req.session.user && !req.session.link) return res.redirect(303, '/?naeste=%2Fmine-opgaver');
      const a = await deps.access.participantFor(req.session, 'survey');
      const { tasks, done } = a ? await deps.answering.myTasks(a) : { tasks: [], done: [] };
      res.render('surveys/my-tasks', { title: 'Mine opgaver', matched: Boolean(a), tasks, done, ...view });
    }),
  );
}

/** A page posted: saved (and with "Indsend" submitted); a page with errors is shown again, "Forrige" drops it. */
function registerPagePost(router: Router, deps: Deps): void {
  router.post(
    '/undersoegelse/:roundId/side/:page',
    formHandler(
      async (req, res) => {
        const roundId = idParam(req, 'roundId');
        const page = Number(param(req, 'page'));
        const form = parseInput(answerFormSchema, req.body);
        const a = await surveyAccess(deps, req);
        if (form.action === 'indsend') {
          await deps.answering.submitPage(a, roundId, page, form);
          return res.redirect(303, `/undersoegelse/${roundId}/tak`);
        }
        await deps.answering.savePage(a, roundId, page, form);
        res.redirect(303, nextPage(roundId, page, form.action));
      },
      async (req, res, err) => {
        // A still incomplete draft is refused with the error page (the page itself was saved).
        if (err instanceof IncompleteAnswers) throw err;
        const page = Number(param(req, 'page'));
        const form = parseInput(answerFormSchema, req.body);
        if (form.action === 'forrige')
          return res.redirect(303, nextPage(idParam(req, 'roundId'), page, 'forrige'));
        return renderPage(deps, req, res, page, err.fields, req.body);
      },
    ),
  );
}

/** Answering a round: resume where the draft left off, the pages, "saved" and "thank you". */
function registerAnswering(router: Router, deps: Deps): void {
  router.get(
    '/undersoegelse/:roundId',
    handle(async (req, res) => {
      const roundId = idParam(req, 'roundId');
      const state = await deps.answering.open(await surveyAccess(deps, req), roundId);
      if (state.submitted) return res.redirect(303, `/undersoegelse/${roundId}/tak`);
      const elements = elementsOf(state.instrument);
      const firstOpen = elements.findIndex((e) =>
        e.items.some((i) => state.draft.answers[i.id] === undefined),
      );
      res.redirect(
        303,
        `/undersoegelse/${roundId}/side/${firstOpen === -1 ? elements.length + 1 : firstOpen + 1}`,
      );
    }),
  );
  router.get(
    '/undersoegelse/:roundId/side/:page',
    handle(async (req, res) => renderPage(deps, req, res, Number(param(req, 'page')))),
  );
  registerPagePost(router, deps);
  router.get(
    '/undersoegelse/:roundId/gemt',
    handle(async (req, res) => {
      const state = await deps.answering.open(await surveyAccess(deps, req), idParam(req, 'roundId'));
      res.render('surveys/saved', { title: 'Dine svar er gemt', round: state.round, ...view });
    }),
  );
  router.get(
    '/undersoegelse/:roundId/tak',
    handle(async (req, res) => {
      await deps.answering.checkThanks(await surveyAccess(deps, req), idParam(req, 'roundId'));
      res.render('surveys/thanks', { title: 'Tak for dit svar' });
    }),
  );
}

/** The participant's side of the readiness surveys: "Mine opgaver" and answering. */
export function answeringRoutes(deps: Deps): Router {
  const router = Router();
  registerMyTasks(router, deps);
  registerAnswering(router, deps);
  return router;
}
