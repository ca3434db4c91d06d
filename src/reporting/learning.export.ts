import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { AppDeps } from '../app.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';
import { effectiveK } from '../surveys/anonymity.js';
import type { Dialect, ReadinessFilter } from './readiness.export.js';

export const LEARNING_COLUMNS = ['kommunekode', 'kommune', 'region', 'bolge', 'laeringsgruppe', 'tilmeldte', 'moduler_gennemfoert', 'bestaaet', 'bestaaelsesprocent', 'gennemsnit_bedste_score'] as const;
const GROUPS: Array<[string, string]> = [
  ['superbrugere', 'Superbrugere'],
  ['sagsbehandlere-ydelsescenter', 'Sagsbehandlere i ydelsescenter'],
  ['oevrige', 'Øvrige brugere'],
];

export type LearningRow = {
  kommunekode: number;
  kommune: string;
  region: string;
  bolge: number | null;
  laeringsgruppe: string;
  tilmeldte: number;
  moduler_gennemfoert: number;
  bestaaet: number;
  bestaaelsesprocent: number | null;
  gennemsnit_bedste_score: number | null;
};

/** Municipality × learner group: enrolled, module completions, passed, pass rate, mean best score (hidden below k testees). */
export async function learningRows(deps: Pick<AppDeps, 'db' | 'config'>, filter: ReadinessFilter = {}): Promise<LearningRow[]> {
  const { db } = deps;
  const k = effectiveK(deps.config.kThreshold);
  const municipalities = (await municipalitiesRepository.list(db)).filter(
    (m) => (filter.municipalityCode === undefined || m.code === filter.municipalityCode) && (filter.wave === undefined || m.wave === filter.wave) && (filter.region === undefined || m.region === filter.region),
  );
  const enrolled = await db('learners').whereNotNull('municipality_code').groupBy('municipality_code', 'learner_group').select('municipality_code', 'learner_group').count<Array<{ municipality_code: number; learner_group: string; n: number }>>({ n: '*' });
  const modules = await db('elearning_progress as p').join('learners as l', 'l.id', 'p.learner_id').whereNotNull('p.completed_at').groupBy('l.municipality_code', 'l.learner_group').select('l.municipality_code', 'l.learner_group').count<Array<{ municipality_code: number; learner_group: string; n: number }>>({ n: '*' });
  const best = await db('quiz_attempts as a')
    .join('learners as l', 'l.id', 'a.learner_id')
    .whereNotNull('a.submitted_at')
    .groupBy('a.learner_id', 'l.municipality_code', 'l.learner_group')
    .select('l.municipality_code', 'l.learner_group')
    .max({ best: db.raw('100.0 * a.correct_count / a.question_count') })
    .max({ passed: db.raw('case when a.passed then 1 else 0 end') });
  const key = (code: unknown, group: unknown) => `${Number(code)}|${String(group)}`;
  const en = new Map(enrolled.map((r) => [key(r.municipality_code, r.learner_group), Number(r.n)]));
  const mo = new Map(modules.map((r) => [key(r.municipality_code, r.learner_group), Number(r.n)]));
  const tested = new Map<string, { scores: number[]; passed: number }>();
  for (const r of best as Array<{ municipality_code: number; learner_group: string; best: number; passed: number }>) {
    const kk = key(r.municipality_code, r.learner_group);
    const t = tested.get(kk) ?? { scores: [], passed: 0 };
    t.scores.push(Number(r.best));
    t.passed += Number(r.passed) ? 1 : 0;
    tested.set(kk, t);
  }
  const rows: LearningRow[] = [];
  for (const m of municipalities) {
    for (const [group, label] of GROUPS) {
      const kk = key(m.code, group);
      const n = en.get(kk) ?? 0;
      if (!n) continue;
      const t = tested.get(kk);
      rows.push({
        kommunekode: m.code,
        kommune: m.name,
        region: m.region,
        bolge: m.wave,
        laeringsgruppe: label,
        tilmeldte: n,
        moduler_gennemfoert: mo.get(kk) ?? 0,
        bestaaet: t?.passed ?? 0,
        bestaaelsesprocent: Math.round((1000 * (t?.passed ?? 0)) / n) / 10,
        gennemsnit_bedste_score: t && t.scores.length >= k ? Math.round((10 * t.scores.reduce((a, b) => a + b, 0)) / t.scores.length) / 10 : null,
      });
    }
  }
  return rows;
}

/** The learning export as CSV in the Danish Excel dialect or RFC 4180. */
export function learningCsvStream(deps: Pick<AppDeps, 'db' | 'config'>, filter: ReadinessFilter = {}, dialect: Dialect = 'excel'): Readable {
  const excel = dialect === 'excel';
  const num = (x: number | null) => (x === null ? '' : excel ? x.toFixed(1).replace('.', ',') : x.toFixed(1));
  const csv = stringify({ delimiter: excel ? ';' : ',', record_delimiter: '\r\n', bom: excel, header: true, columns: [...LEARNING_COLUMNS] });
  const source = Readable.from(
    (async function* () {
      for (const r of await learningRows(deps, filter)) yield { ...r, bolge: r.bolge ?? '', bestaaelsesprocent: num(r.bestaaelsesprocent), gennemsnit_bedste_score: num(r.gennemsnit_bedste_score) };
    })(),
  );
  source.on('error', (err) => csv.destroy(err));
  return source.pipe(csv);
}
