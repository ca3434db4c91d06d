import type { Readable } from 'node:stream';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { NotFound } from '../shared/errors.js';
import { effectiveK } from '../shared/k-anonymity.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/index.js';
import type { AggregateStore } from '../surveys/index.js';
import type { DashboardService } from './dashboard.service.js';
import { learningCsvStream } from './learning.export.js';
import {
  readinessCsvStream,
  writeReadinessXlsx,
  type Dialect,
  type ReadinessFilter,
} from './readiness.export.js';
import { createUnchangedCache } from './unchanged-cache.js';

type Deps = {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'kThreshold'>;
  aggregates: AggregateStore;
  dashboards: DashboardService;
};

/** The reporting routes' use cases: cached dashboards, the municipality asked for, and KOMBIT's audited downloads. */
export function createReportingService(deps: Deps) {
  const { db, clock } = deps;
  // The figures of a dashboard are computed once per change of the database (and day), not on every view.
  const figures = createUnchangedCache(db);
  const today = () => isoDay(clock.now());
  return {
    /** The k shown beside national figures. */
    k: effectiveK(deps.config.kThreshold),
    /** A municipality's dashboard figures. */
    municipalityFigures: (code: number) =>
      figures.get(`kommune:${code}:${today()}`, () => deps.dashboards.municipality(code)),
    /** The national figures under a filter. */
    nationalFigures: (filter: Parameters<DashboardService['national']>[0]) =>
      figures.get(`national:${JSON.stringify(filter)}:${today()}`, () => deps.dashboards.national(filter)),
    /** The municipality with this code, or a 404. */
    async municipality(code: number): Promise<Municipality> {
      const m = await municipalitiesRepository.byCode(db, code);
      if (!m) throw new NotFound('Kommunen findes ikke.');
      return m;
    },
    /** Writes a download to the audit log before it is streamed. */
    async recordDownload(
      actorUserId: number,
      action: string,
      details: Record<string, unknown>,
    ): Promise<void> {
      await audit(db, { actorUserId, action, details, at: clock.now() });
    },
    /** The readiness export as CSV. */
    readinessCsv: (filter: ReadinessFilter, dialect: Dialect): Readable =>
      readinessCsvStream(deps, filter, dialect),
    /** The readiness export as XLSX, written to `out`. */
    readinessXlsx: (filter: ReadinessFilter, out: NodeJS.WritableStream) =>
      writeReadinessXlsx(deps, filter, out),
    /** The learning export as CSV. */
    learningCsv: (filter: ReadinessFilter, dialect: Dialect): Readable =>
      learningCsvStream(deps, filter, dialect),
  };
}

/** What the reporting routes call. */
export type ReportingService = ReturnType<typeof createReportingService>;
