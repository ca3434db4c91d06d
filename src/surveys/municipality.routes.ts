import { Router } from 'express';
import { currentUser, handle, idParam, requireRole, takeFlash } from '../web/http.js';
import { policy } from '../auth/index.js';
import type { LinkService } from '../links/index.js';
import { view } from './surveys.view.js';
import { ROUND_SHORT } from './round-calendar.js';
import type { RoundsService } from './rounds.service.js';
import type { OverviewService } from './overview.service.js';
import { roundLinksCsv } from './round-links.presenter.js';

type Deps = {
  overview: OverviewService;
  rounds: Pick<RoundsService, 'inviteNew'>;
  links: Pick<LinkService, 'reissueForRound'>;
};

/** The municipality overview and a closed round's results (project leader and head of the benefits centre). */
function registerOverview(router: Router, deps: Deps): void {
  router.get(
    '/kommune',
    requireRole('projektleder', 'leder-ydelsescenter'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = policy.municipalityReader(user);
      const canManage = policy.canManageMunicipality(user, code);
      const o = await deps.overview.municipality(code, canManage);
      res.render('surveys/municipality', {
        title: `${o.municipality.name} Kommune`,
        ...o,
        canManage,
        notice: takeFlash(req),
        ...view,
      });
    }),
  );
  router.get(
    '/kommune/resultater/:roundId',
    requireRole('projektleder', 'leder-ydelsescenter'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = policy.municipalityReader(user);
      const { municipality, results } = await deps.overview.results(code, idParam(req, 'roundId'));
      res.render('surveys/results', {
        title: `Resultater ${ROUND_SHORT[results.round.roundNo]} – ${municipality.name} Kommune`,
        municipality,
        results,
        showComments: policy.canReadComments(user, code),
        ...view,
      });
    }),
  );
}

/** The project leader's actions on an open round: invite those added since it opened, or new links for all. */
function registerRoundActions(router: Router, deps: Deps): void {
  router.post(
    '/kommune/runder/:roundId/invitationer',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const sent = await deps.rounds.inviteNew(
        policy.municipalityManager(user),
        idParam(req, 'roundId'),
        user.id,
      );
      req.session.flash = sent
        ? `${sent === 1 ? 'Én invitation er' : `${sent} invitationer er`} lagt i kø til afsendelse.`
        : 'Alle deltagere har allerede fået en invitation til runden.';
      res.redirect(303, '/kommune');
    }),
  );
  // New links for everyone (old ones revoked), as a CSV shown this once.
  router.post(
    '/kommune/runder/:roundId/links',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const issued = await deps.links.reissueForRound(
        policy.municipalityManager(user),
        idParam(req, 'roundId'),
        user.id,
      );
      const { filename, csv } = roundLinksCsv(issued.roundNo, issued.links);
      res.setHeader('Content-Type', 'text/csv; charset=utf-8');
      res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
      res.setHeader('Cache-Control', 'no-store');
      res.send(csv);
    }),
  );
}

/** The project leader's municipality: overview, results, invitations and personal links. */
export function municipalityRoutes(deps: Deps): Router {
  const router = Router();
  registerOverview(router, deps);
  registerRoundActions(router, deps);
  return router;
}
