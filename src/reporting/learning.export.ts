import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import { municipalitiesRepository } from '../municipalities/index.js';
import { effectiveK, suppressBelowK } from '../shared/k-anonymity.js';
import { combineProgress, median, LEARNER_GROUPS, LEARNER_GROUP_LABELS } from '../elearning/index.js';
import type { DashboardService } from './dashboard.service.js';
import type { Dialect, ReadinessFilter } from './readiness.export.js';
import { formatDecimal } from '../web/format.js';

/**
 * The first ten columns are the export's original ones (BI tools read them by name); the rest were added.
 * `bestaaelsesprocent` is passed among all registered, the same as `bestaaet_pct_af_tilmeldte`.
 */
export const LEARNING_COLUMNS = [
  'kommunekode',
  'kommune',
  'region',
  'bolge',
  'laeringsgruppe',
  'tilmeldte',
  'moduler_gennemfoert',
  'bestaaet',
  'bestaaelsesprocent',
  'gennemsnit_bedste_score',
  'begyndt',
  'alle_moduler_gennemfoert',
  'tog_testen',
  'bestaaet_pct_af_dem_der_tog_testen',
  'bestaaet_pct_af_tilmeldte',
  'median_forsoeg_til_bestaaet',
] as const;

export type LearningRow = {
  kommunekode: number;
  kommune: string;
  region: string;
  bolge: number | null;
  laeringsgruppe: string;
  /** Registered: participants in a learner group and anyone else who has opened the e-learning. */
  tilmeldte: number;
  /** Module completions by the completion rule (pages seen, exercises solved, marked). */
  moduler_gennemfoert: number;
  bestaaet: number;
  bestaaelsesprocent: number | null;
  gennemsnit_bedste_score: number | null;
  /** Seen a page of a module or started the test. */
  begyndt: number;
  alle_moduler_gennemfoert: number;
  /** Submitted at least one attempt. */
  tog_testen: number;
  bestaaet_pct_af_dem_der_tog_testen: number | null;
  bestaaet_pct_af_tilmeldte: number | null;
  median_forsoeg_til_bestaaet: number | null;
};

type ExportDeps = { db: Db; config: Pick<Config, 'kThreshold'> } & {
  dashboards: Pick<DashboardService, 'learningByMunicipality'>;
};

const pct = (rate: number | null): number | null => (rate === null ? null : Math.round(1000 * rate) / 10);

/**
 * Municipality × learner group: registered, started, completions, took the test, passed and both pass
 * rates, with the score-like figures (mean best score, median attempts to pass) hidden below k people,
 * as the mean best score always was.
 */
export async function learningRows(deps: ExportDeps, filter: ReadinessFilter = {}): Promise<LearningRow[]> {
  const k = effectiveK(deps.config.kThreshold);
  const municipalities = (await municipalitiesRepository.list(deps.db)).filter(
    (m) =>
      (filter.municipalityCode === undefined || m.code === filter.municipalityCode) &&
      (filter.wave === undefined || m.wave === filter.wave) &&
      (filter.region === undefined || m.region === filter.region),
  );
  const cells = await deps.dashboards.learningByMunicipality(municipalities.map((m) => m.code));
  const rows: LearningRow[] = [];
  for (const m of municipalities) {
    for (const group of LEARNER_GROUPS) {
      const cell = cells.find((c) => c.municipalityCode === m.code && c.group === group);
      if (!cell || !cell.registered) continue;
      const f = combineProgress([cell]);
      rows.push({
        kommunekode: m.code,
        kommune: m.name,
        region: m.region,
        bolge: m.wave,
        laeringsgruppe: LEARNER_GROUP_LABELS[group],
        tilmeldte: f.registered,
        moduler_gennemfoert: Object.values(cell.completedByModule).reduce((a, b) => a + b, 0),
        bestaaet: f.passed,
        bestaaelsesprocent: pct(f.passRateOfRegistered),
        gennemsnit_bedste_score: suppressBelowK(cell.bestScores.length, k)
          ? null
          : Math.round((10 * cell.bestScores.reduce((a, b) => a + b, 0)) / cell.bestScores.length) / 10,
        begyndt: f.started,
        alle_moduler_gennemfoert: f.completedAll,
        tog_testen: f.tested,
        bestaaet_pct_af_dem_der_tog_testen: pct(f.passRateOfTested),
        bestaaet_pct_af_tilmeldte: pct(f.passRateOfRegistered),
        median_forsoeg_til_bestaaet: suppressBelowK(cell.attemptsToPass.length, k)
          ? null
          : median(cell.attemptsToPass),
      });
    }
  }
  return rows;
}

/** The learning export as CSV in the Danish Excel dialect or RFC 4180. */
export function learningCsvStream(
  deps: ExportDeps,
  filter: ReadinessFilter = {},
  dialect: Dialect = 'excel',
): Readable {
  const excel = dialect === 'excel';
  const num = (x: number | null) => (x === null ? '' : excel ? formatDecimal(x, 1) : x.toFixed(1));
  const csv = stringify({
    delimiter: excel ? ';' : ',',
    record_delimiter: '\r\n',
    bom: excel,
    header: true,
    columns: [...LEARNING_COLUMNS],
  });
  const source = Readable.from(
    (async function* () {
      for (const r of await learningRows(deps, filter)) {
        yield {
          ...r,
          bolge: r.bolge ?? '',
          bestaaelsesprocent: num(r.bestaaelsesprocent),
          gennemsnit_bedste_score: num(r.gennemsnit_bedste_score),
          bestaaet_pct_af_dem_der_tog_testen: num(r.bestaaet_pct_af_dem_der_tog_testen),
          bestaaet_pct_af_tilmeldte: num(r.bestaaet_pct_af_tilmeldte),
          median_forsoeg_til_bestaaet: num(r.median_forsoeg_til_bestaaet),
        };
      }
    })(),
  );
  source.on('error', (err) => csv.destroy(err));
  return source.pipe(csv);
}
