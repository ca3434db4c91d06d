import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppDeps } from '../app.js';
import { currentUser, handle, param, requireRole } from '../web/http.js';
import { policy } from '../auth/policy.js';
import { audit } from '../shared/audit.js';
import { NotFound } from '../shared/errors.js';
import { isoDay } from '../shared/clock.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';
import { ELEMENTS, ELEMENT_LABELS, SURVEY_GROUPS, SURVEY_GROUP_LABELS, isSurveyGroup } from '../surveys/groups.js';
import { BARRIER_ADVICE, STATUS_LABELS, formatPercent, formatScore } from '../surveys/scoring.js';
import { ROUND_LABELS, ROUND_SHORT, STATE_LABELS } from '../surveys/rounds.service.js';
import { effectiveK } from '../surveys/anonymity.js';
import { STATUS_WORD, type DashboardService } from './dashboard.service.js';
import { readinessCsvStream, writeReadinessXlsx, type ReadinessFilter } from './readiness.export.js';
import { learningCsvStream, type LearningExportSource } from './learning.export.js';

const view = { ELEMENTS, ELEMENT_LABELS, SURVEY_GROUPS, SURVEY_GROUP_LABELS, STATUS_LABELS, BARRIER_ADVICE, ROUND_LABELS, ROUND_SHORT, STATE_LABELS, STATUS_WORD, formatScore, formatPercent };

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
export function reportingRoutes(deps: AppDeps & { dashboards: DashboardService; learningExport: LearningExportSource }): Router {
  const router = Router();

  router.get(
    '/kommune/dashboard',
    requireRole('projektleder', 'leder-ydelsescenter'),
    handle(async (req, res) => {
      const code = policy.municipalityReader(currentUser(req));
      const data = await deps.dashboards.municipality(code);
      res.render('reporting/municipality', { title: `Dashboard – ${data.municipality.name} Kommune`, data, kombitView: false, ...view });
    }),
  );

  router.get(
    '/national',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      const filter = filterOf(req);
      const data = await deps.dashboards.national(filter);
      const qs = new URLSearchParams();
      if (filter.wave) qs.set('bolge', String(filter.wave));
      if (filter.region) qs.set('region', filter.region);
      if (filter.roundNo) qs.set('runde', String(filter.roundNo));
      res.render('reporting/national', { title: 'National oversigt', data, filter, query: qs.size ? `?${qs}` : '', k: effectiveK(deps.config.kThreshold), ...view });
    }),
  );

  router.get(
    '/national/kommuner/:code/dashboard',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      const m = await municipalitiesRepository.byCode(deps.db, Number(param(req, 'code')));
      if (!m) throw new NotFound('Kommunen findes ikke.');
      const data = await deps.dashboards.municipality(m.code);
      res.render('reporting/municipality', { title: `Dashboard – ${m.name} Kommune`, data, kombitView: true, ...view });
    }),
  );

  const download = (res: Response, name: string, type: string) => {
    res.setHeader('Content-Type', type);
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    res.setHeader('Cache-Control', 'no-store');
  };
  const exportFilter = (req: Request): ReadinessFilter => {
    const f = filterOf(req);
    return { wave: f.wave, region: f.region, roundNo: f.roundNo };
  };

  router.get(
    '/national/download/parathed.csv',
    requireRole('kombit'),
    handle(async (req, res) => {
      const user = currentUser(req);
      policy.national(user);
      const dialect = req.query.dialect === 'rfc4180' ? 'rfc4180' : 'excel';
      const filter = exportFilter(req);
      await audit(deps.db, { actorUserId: user.id, action: 'download.readiness.csv', details: { dialect, ...filter }, at: deps.clock.now() });
      download(res, `parathed-${isoDay(deps.clock.now())}.csv`, 'text/csv; charset=utf-8');
      const stream = readinessCsvStream(deps, filter, dialect);
      stream.on('error', (err) => res.destroy(err));
      stream.pipe(res);
    }),
  );

  router.get(
    '/national/download/parathed.xlsx',
    requireRole('kombit'),
    handle(async (req, res) => {
      const user = currentUser(req);
      policy.national(user);
      const filter = exportFilter(req);
      await audit(deps.db, { actorUserId: user.id, action: 'download.readiness.xlsx', details: { ...filter }, at: deps.clock.now() });
      download(res, `parathed-${isoDay(deps.clock.now())}.xlsx`, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      await writeReadinessXlsx(deps, filter, res);
    }),
  );

  router.get(
    '/national/download/laering.csv',
    requireRole('kombit'),
    handle(async (req, res) => {
      const user = currentUser(req);
      policy.national(user);
      const filter = exportFilter(req);
      const dialect = req.query.dialect === 'rfc4180' ? 'rfc4180' : 'excel';
      await audit(deps.db, { actorUserId: user.id, action: 'download.learning.csv', details: { dialect, ...filter }, at: deps.clock.now() });
      download(res, `laering-${isoDay(deps.clock.now())}.csv`, 'text/csv; charset=utf-8');
      const stream = learningCsvStream(deps, deps.learningExport, filter, dialect);
      stream.on('error', (err) => res.destroy(err));
      stream.pipe(res);
    }),
  );

  return router;
}
