import { Router, type Request, type Response } from 'express';
import type { Config } from '../config.js';
import { currentUser, handle, idParam, parseInput, requireRole, takeFlash } from '../web/http.js';
import { formHandler } from '../web/forms.js';
import { NotFound } from '../shared/errors.js';
import type { MunicipalitiesService, Municipality } from '../municipalities/index.js';
import type { AuditLogService } from './audit-log.service.js';
import { auditFilterSchema, cvrSchema } from './admin.schemas.js';

type Deps = {
  municipalities: Pick<MunicipalitiesService, 'list' | 'setCvr'>;
  auditLog: AuditLogService;
  config: Pick<Config, 'kombitCvr'>;
};

/** The municipalities page, with a refused CVR's message beside its municipality. */
function renderMunicipalities(
  deps: Deps,
  res: Response,
  view: { municipalities: Municipality[]; errors: Record<number, string>; notice: string | null },
): void {
  res.render('admin/municipalities', {
    title: 'Kommuner og CVR-numre',
    kombitCvr: deps.config.kombitCvr,
    ...view,
  });
}

/** GET and POST /admin/kommuner: the CVR number each municipality's logins are scoped to. */
function registerMunicipalities(router: Router, deps: Deps): void {
  router.get(
    '/admin/kommuner',
    requireRole('administrator'),
    handle(async (req, res) => {
      const municipalities = await deps.municipalities.list();
      renderMunicipalities(deps, res, { municipalities, errors: {}, notice: takeFlash(req) });
    }),
  );

  router.post(
    '/admin/kommuner/:code/cvr',
    requireRole('administrator'),
    formHandler(
      async (req: Request, res: Response) => {
        const code = idParam(req, 'code');
        const { cvr } = parseInput(cvrSchema, req.body, 'CVR-nummeret er ugyldigt.');
        const m = await deps.municipalities.setCvr(code, cvr, currentUser(req).id);
        req.session.flash = `CVR-nummeret for ${m.name} er gemt.`;
        res.redirect(303, '/admin/kommuner');
      },
      async (req, res, err) => {
        const code = idParam(req, 'code');
        // The message is shown beside its municipality; a municipality that does not exist has none.
        const municipalities = await deps.municipalities.list();
        if (!municipalities.some((m) => m.code === code)) throw new NotFound('Kommunen findes ikke.');
        renderMunicipalities(deps, res, {
          municipalities,
          errors: { [code]: Object.values(err.fields)[0] ?? err.message },
          notice: null,
        });
      },
    ),
  );
}

/** The administrator's pages: municipalities' CVR numbers and the audit log. */
export function adminRoutes(deps: Deps): Router {
  const router = Router();
  registerMunicipalities(router, deps);

  router.get(
    '/admin/audit',
    requireRole('administrator'),
    handle(async (req, res) => {
      const filter = auditFilterSchema.parse(req.query);
      const { entries, actions } = await deps.auditLog.latest(filter.handling);
      res.render('admin/audit', { title: 'Audit-log', entries, actions, filter: filter.handling ?? '' });
    }),
  );

  return router;
}
