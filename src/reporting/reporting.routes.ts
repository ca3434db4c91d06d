import { Router, type Response } from 'express';
import type { Readable } from 'node:stream';
import type { Clock } from '../shared/clock.js';
import { isoDay } from '../shared/clock.js';
import { currentUser, handle, idParam, requireRole } from '../web/http.js';
import { policy } from '../auth/index.js';
import { dashboardLabels, presentMunicipality } from './dashboard.presenter.js';
import type { Dialect, ReadinessFilter } from './readiness.export.js';
import type { ReportingService } from './reporting.service.js';
import { filterOf } from './reporting.schemas.js';

type Deps = { clock: Clock; reporting: ReportingService };

/** Dashboards for project leaders and KOMBIT, and KOMBIT's downloads. */
export function reportingRoutes(deps: Deps): Router {
  const router = Router();
  registerDashboards(router, deps);
  registerDownloads(router, deps);
  return router;
}

function registerDashboards(router: Router, { reporting }: Deps): void {
  router.get(
    '/kommune/dashboard',
    requireRole('projektleder', 'leder-ydelsescenter'),
    handle(async (req, res) => {
      const code = policy.municipalityReader(currentUser(req));
      const data = presentMunicipality(await reporting.municipalityFigures(code));
      res.render('reporting/municipality', {
        title: `Dashboard – ${data.municipality.name} Kommune`,
        data,
        kombitView: false,
        ...dashboardLabels,
      });
    }),
  );

  router.get(
    '/national',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      const filter = filterOf(req);
      const data = await reporting.nationalFigures(filter);
      const qs = new URLSearchParams();
      if (filter.wave) qs.set('bolge', String(filter.wave));
      if (filter.region) qs.set('region', filter.region);
      if (filter.roundNo) qs.set('runde', String(filter.roundNo));
      res.render('reporting/national', {
        title: 'National oversigt',
        data,
        filter,
        query: qs.size ? `?${qs}` : '',
        k: reporting.k,
        ...dashboardLabels,
      });
    }),
  );

  router.get(
    '/national/kommuner/:code/dashboard',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      const m = await reporting.municipality(idParam(req, 'code'));
      const data = presentMunicipality(await reporting.municipalityFigures(m.code));
      res.render('reporting/municipality', {
        title: `Dashboard – ${m.name} Kommune`,
        data,
        kombitView: true,
        ...dashboardLabels,
      });
    }),
  );
}

const CSV = 'text/csv; charset=utf-8';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const pipe = (stream: Readable, res: Response) => {
  stream.on('error', (err) => res.destroy(err));
  stream.pipe(res);
};

/** KOMBIT's downloads: each authorised, written to the audit log, then streamed with no caching. */
function registerDownloads(router: Router, { clock, reporting }: Deps): void {
  const downloadRoute = (
    path: string,
    action: string,
    file: string,
    type: string,
    send: (res: Response, filter: ReadinessFilter, dialect: Dialect) => Promise<void> | void,
  ) =>
    router.get(
      path,
      requireRole('kombit'),
      handle(async (req, res) => {
        const user = currentUser(req);
        policy.national(user);
        const f = filterOf(req);
        const filter: ReadinessFilter = { wave: f.wave, region: f.region, roundNo: f.roundNo };
        const dialect: Dialect = req.query.dialect === 'rfc4180' ? 'rfc4180' : 'excel';
        await reporting.recordDownload(user.id, action, { dialect, ...filter });
        res.setHeader('Content-Type', type);
        res.setHeader(
          'Content-Disposition',
          `attachment; filename="${file}-${isoDay(clock.now())}.${type === XLSX ? 'xlsx' : 'csv'}"`,
        );
        res.setHeader('Cache-Control', 'no-store');
        await send(res, filter, dialect);
      }),
    );

  downloadRoute(
    '/national/download/parathed.csv',
    'download.readiness.csv',
    'parathed',
    CSV,
    (res, filter, dialect) => pipe(reporting.readinessCsv(filter, dialect), res),
  );
  downloadRoute(
    '/national/download/parathed.xlsx',
    'download.readiness.xlsx',
    'parathed',
    XLSX,
    (res, filter) => reporting.readinessXlsx(filter, res),
  );
  downloadRoute(
    '/national/download/laering.csv',
    'download.learning.csv',
    'laering',
    CSV,
    (res, filter, dialect) => pipe(reporting.learningCsv(filter, dialect), res),
  );
}
