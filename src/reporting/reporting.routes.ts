import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import type { AggregateStore } from '../surveys/aggregates.js';
import { currentUser, handle, idParam, requireRole } from '../web/http.js';
import { policy } from '../auth/policy.js';
import { audit } from '../shared/audit.js';
import { NotFound } from '../shared/errors.js';
import { isoDay } from '../shared/clock.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';
import {
  ELEMENTS,
  ELEMENT_LABELS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  isSurveyGroup,
} from '../surveys/groups.js';
import { BARRIER_ADVICE, STATUS_LABELS, formatScore } from '../surveys/scoring.js';
import { formatDecimal, formatNumber, formatPercent } from '../web/format.js';
import { ROUND_LABELS, ROUND_SHORT, STATE_LABELS } from '../surveys/rounds.service.js';
import { effectiveK } from '../shared/k-anonymity.js';
import { CHECKPOINT_STATUS_LABELS, type DashboardService } from './dashboard.service.js';
import {
  readinessCsvStream,
  writeReadinessXlsx,
  type Dialect,
  type ReadinessFilter,
} from './readiness.export.js';
import type { Readable } from 'node:stream';
import { learningCsvStream } from './learning.export.js';
import { createUnchangedCache } from './unchanged-cache.js';

const view = {
  ELEMENTS,
  ELEMENT_LABELS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  STATUS_LABELS,
  BARRIER_ADVICE,
  ROUND_LABELS,
  ROUND_SHORT,
  STATE_LABELS,
  CHECKPOINT_STATUS_LABELS,
  formatScore,
  formatPercent,
  formatDecimal,
  formatNumber,
};

const filterSchema = z.object({
  bolge: z.coerce.number().int().min(1).max(8).optional().catch(undefined),
  region: z.string().max(50).optional().catch(undefined),
  runde: z.coerce.number().int().min(1).max(3).optional().catch(undefined),
  gruppe: z.string().optional().catch(undefined),
});

function filterOf(req: Request) {
  const q = filterSchema.parse(Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== '')));
  return {
    wave: q.bolge,
    region: q.region,
    roundNo: q.runde,
    group: q.gruppe && isSurveyGroup(q.gruppe) ? q.gruppe : undefined,
  };
}

/** Dashboards for project leaders and KOMBIT, and KOMBIT's downloads. */
type Deps = {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'kThreshold'>;
  aggregates: AggregateStore;
  dashboards: DashboardService;
};

export function reportingRoutes(deps: Deps): Router {
  const router = Router();
  // The figures of a dashboard are computed once per change of the database (and day), not on every view.
  const figures = createUnchangedCache(deps.db);
  const municipalityFigures = (code: number) =>
    figures.get(`kommune:${code}:${isoDay(deps.clock.now())}`, () => deps.dashboards.municipality(code));

  router.get(
    '/kommune/dashboard',
    requireRole('projektleder', 'leder-ydelsescenter'),
    handle(async (req, res) => {
      const code = policy.municipalityReader(currentUser(req));
      const data = await municipalityFigures(code);
      res.render('reporting/municipality', {
        title: `Dashboard – ${data.municipality.name} Kommune`,
        data,
        kombitView: false,
        ...view,
      });
    }),
  );

  router.get(
    '/national',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      const filter = filterOf(req);
      const data = await figures.get(`national:${JSON.stringify(filter)}:${isoDay(deps.clock.now())}`, () =>
        deps.dashboards.national(filter),
      );
      const qs = new URLSearchParams();
      if (filter.wave) qs.set('bolge', String(filter.wave));
      if (filter.region) qs.set('region', filter.region);
      if (filter.roundNo) qs.set('runde', String(filter.roundNo));
      res.render('reporting/national', {
        title: 'National oversigt',
        data,
        filter,
        query: qs.size ? `?${qs}` : '',
        k: effectiveK(deps.config.kThreshold),
        ...view,
      });
    }),
  );

  router.get(
    '/national/kommuner/:code/dashboard',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      const m = await municipalitiesRepository.byCode(deps.db, idParam(req, 'code'));
      if (!m) throw new NotFound('Kommunen findes ikke.');
      const data = await municipalityFigures(m.code);
      res.render('reporting/municipality', {
        title: `Dashboard – ${m.name} Kommune`,
        data,
        kombitView: true,
        ...view,
      });
    }),
  );

  const CSV = 'text/csv; charset=utf-8';
  const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
  /** A KOMBIT download: authorised, written to the audit log, then streamed with no caching. */
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
        await audit(deps.db, {
          actorUserId: user.id,
          action,
          details: { dialect, ...filter },
          at: deps.clock.now(),
        });
        res.setHeader('Content-Type', type);
        res.setHeader(
          'Content-Disposition',
          `attachment; filename="${file}-${isoDay(deps.clock.now())}.${type === XLSX ? 'xlsx' : 'csv'}"`,
        );
        res.setHeader('Cache-Control', 'no-store');
        await send(res, filter, dialect);
      }),
    );
  const pipe = (stream: Readable, res: Response) => {
    stream.on('error', (err) => res.destroy(err));
    stream.pipe(res);
  };

  downloadRoute(
    '/national/download/parathed.csv',
    'download.readiness.csv',
    'parathed',
    CSV,
    (res, filter, dialect) => pipe(readinessCsvStream(deps, filter, dialect), res),
  );
  downloadRoute(
    '/national/download/parathed.xlsx',
    'download.readiness.xlsx',
    'parathed',
    XLSX,
    (res, filter) => writeReadinessXlsx(deps, filter, res),
  );
  downloadRoute(
    '/national/download/laering.csv',
    'download.learning.csv',
    'laering',
    CSV,
    (res, filter, dialect) => pipe(learningCsvStream(deps, filter, dialect), res),
  );

  return router;
}
