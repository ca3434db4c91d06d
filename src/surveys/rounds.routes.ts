import { Router, type Request, type Response } from 'express';
import { currentUser, handle, idParam, parseInput, requireRole, takeFlash } from '../web/http.js';
import { formHandler } from '../web/forms.js';
import { policy } from '../auth/index.js';
import { parsePlanCsv } from '../municipalities/index.js';
import type { ValidationError } from '../shared/errors.js';
import type { RoundsService } from './rounds.service.js';
import { extendSchema, planSchema } from './rounds.schemas.js';
import { upload, view } from './surveys.view.js';

type Deps = { rounds: RoundsService };

/** KOMBIT's page about one municipality; after a refused plan form, with what was typed and the errors. */
async function renderMunicipality(deps: Deps, req: Request, res: Response, err?: ValidationError) {
  policy.national(currentUser(req));
  const { municipality: m, rounds } = await deps.rounds.municipalityPlan(idParam(req, 'code'));
  res.render('surveys/kombit-municipality', {
    title: `${m.name} Kommune`,
    municipality: m,
    rounds,
    values: err ? req.body : { wave: m.wave ?? '', goLive: m.goLive ?? '' },
    errors: err ? err.fields : {},
    notice: err ? null : takeFlash(req),
    ...view,
  });
}

/** One municipality's wave and go-live, by form. */
function registerMunicipality(router: Router, deps: Deps): void {
  router.get(
    '/national/kommuner/:code',
    requireRole('kombit'),
    handle((req, res) => renderMunicipality(deps, req, res)),
  );
  router.post(
    '/national/kommuner/:code/plan',
    requireRole('kombit'),
    formHandler(
      async (req, res) => {
        const user = currentUser(req);
        policy.national(user);
        const code = idParam(req, 'code');
        // An unknown municipality is a 404 before the form is looked at.
        await deps.rounds.municipalityPlan(code);
        await deps.rounds.setPlan(code, parseInput(planSchema, req.body ?? {}), user.id);
        req.session.flash = 'Bølge og go-live er gemt. Runder, der ikke er åbnet, er flyttet med.';
        res.redirect(303, `/national/kommuner/${code}`);
      },
      (req, res, err) => renderMunicipality(deps, req, res, err),
    ),
  );
}

/** Waves and go-live of many municipalities from a CSV, all or nothing. */
function registerPlanImport(router: Router, deps: Deps): void {
  router.get(
    '/national/plan',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      res.render('surveys/plan-import', {
        title: 'Bølger og go-live fra CSV',
        problems: [],
        notice: takeFlash(req),
      });
    }),
  );
  router.post(
    '/national/plan',
    requireRole('kombit'),
    upload.single('fil'),
    handle(async (req, res) => {
      const user = currentUser(req);
      policy.national(user);
      const codes = await deps.rounds.municipalityCodes();
      const text = req.file ? req.file.buffer.toString('utf8') : '';
      const { rows, problems } = text.trim()
        ? parsePlanCsv(text, codes)
        : { rows: [], problems: [{ line: 1, reason: 'Vælg en CSV-fil.' }] };
      if (problems.length)
        return res
          .status(422)
          .render('surveys/plan-import', { title: 'Bølger og go-live fra CSV', problems, notice: null });
      await deps.rounds.importPlans(rows, user.id);
      req.session.flash = `${rows.length} kommuner er opdateret.`;
      res.redirect(303, '/national/plan');
    }),
  );
}

/** Opening, closing and extending a round by hand; each goes back to the municipality's page. */
function registerRoundActions(router: Router, deps: Deps): void {
  const roundAction = (
    path: string,
    run: (roundId: number, userId: number, body: Record<string, unknown>) => Promise<void>,
    done: string,
  ) =>
    router.post(
      path,
      requireRole('kombit'),
      handle(async (req, res) => {
        const user = currentUser(req);
        policy.national(user);
        const round = await deps.rounds.round(idParam(req, 'roundId'));
        await run(round.id, user.id, req.body ?? {});
        req.session.flash = done;
        res.redirect(303, `/national/kommuner/${round.municipalityCode}`);
      }),
    );
  roundAction(
    '/national/runder/:roundId/aabn',
    (id, uid) => deps.rounds.openNow(id, uid),
    'Runden er åbnet.',
  );
  roundAction(
    '/national/runder/:roundId/luk',
    (id, uid) => deps.rounds.closeNow(id, uid),
    'Runden er lukket.',
  );
  roundAction(
    '/national/runder/:roundId/forlaeng',
    (id, uid, body) => {
      const { closesOn } = parseInput(extendSchema, body, 'Skriv den nye slutdato som ÅÅÅÅ-MM-DD.');
      return deps.rounds.extend(id, closesOn, uid);
    },
    'Runden er forlænget.',
  );
}

/** KOMBIT's control of the rounds: waves and go-live (form and CSV), and opening, closing or extending by hand. */
export function roundsRoutes(deps: Deps): Router {
  const router = Router();
  registerMunicipality(router, deps);
  registerPlanImport(router, deps);
  registerRoundActions(router, deps);
  return router;
}
