import type { Db } from '../db/knex.js';
import type { ElearningContent } from '../elearning/content.loader.js';
import {
  combineProgress,
  progressByMunicipalityAndGroup,
  questionStats,
  type GroupProgress,
} from '../elearning/elearning.stats.js';
import { LEARNER_GROUPS, LEARNER_GROUP_LABELS } from '../elearning/learners.js';
import type { EvaluationSummary, LearningFigures, LearningSource } from './dashboard.service.js';
import { createEvaluationsService, type EvaluationReport } from '../elearning/evaluations.service.js';
import type { Clock } from '../shared/clock.js';

/** E-learning figures for the dashboards, from the e-learning feature's statistics. */
export function createLearningSource(
  db: Db,
  content: ElearningContent,
  clock: Clock,
  kThreshold: number,
): LearningSource {
  const evaluations = createEvaluationsService({ db, clock, content, kThreshold });
  const summary = (kind: 'elearning' | 'classroom', r: EvaluationReport): EvaluationSummary => ({
    kind,
    title: content.evaluations[kind].title,
    ...r,
  });
  /** National evaluation figures from published (≥ k) municipality reports only, weighted by responses. */
  const combine = (kind: 'elearning' | 'classroom', reports: EvaluationReport[]): EvaluationSummary => {
    const published = reports.filter((r) => !r.suppressed && r.n > 0);
    const n = published.reduce((s, r) => s + r.n, 0);
    const items = content.evaluations[kind].items.map((item) => {
      const parts = published
        .map((r) => ({ n: r.n, mean: r.items.find((i) => i.id === item.id)?.mean ?? null }))
        .filter((p) => p.mean !== null);
      const weight = parts.reduce((s, p) => s + p.n, 0);
      return {
        id: item.id,
        kind: item.kind,
        text: item.text,
        mean: weight ? parts.reduce((s, p) => s + p.n * p.mean!, 0) / weight : null,
      };
    });
    return { kind, title: content.evaluations[kind].title, n, k: evaluations.k, suppressed: n === 0, items };
  };
  const sum = (rows: GroupProgress[]): Omit<LearningFigures, 'evaluations'> => ({
    groups: LEARNER_GROUPS.map((g) => ({
      group: g,
      label: LEARNER_GROUP_LABELS[g],
      ...combineProgress(rows.filter((r) => r.group === g)),
    })).filter((g) => g.registered > 0),
  });
  const ofMunicipalities = async (codes: number[]): Promise<GroupProgress[]> => {
    const set = new Set(codes);
    const rows = await progressByMunicipalityAndGroup(db, content);
    return rows.filter((r) => r.municipalityCode !== null && set.has(r.municipalityCode));
  };
  return {
    async forMunicipality(code) {
      return {
        ...sum(await progressByMunicipalityAndGroup(db, content, { municipalityCode: code })),
        evaluations: [
          summary('elearning', await evaluations.elearningReport(code)),
          summary('classroom', await evaluations.classroomReport(code)),
        ],
      };
    },
    async national({ codes }) {
      const set = new Set(codes);
      const rows = await ofMunicipalities(codes);
      // One query for every municipality; each municipality's figure counts only from k responses up.
      const all = await db('evaluation_responses').select('municipality_code', 'kind', 'answers');
      const reportsOf = (kind: 'elearning' | 'classroom'): EvaluationReport[] => {
        const byCode = new Map<number, Array<Record<string, number>>>();
        for (const r of all) {
          if (r.kind !== kind || !set.has(Number(r.municipality_code))) continue;
          const list = byCode.get(Number(r.municipality_code)) ?? [];
          list.push(JSON.parse(r.answers) as Record<string, number>);
          byCode.set(Number(r.municipality_code), list);
        }
        return [...byCode.values()].map((answers) => {
          const suppressed = answers.length < evaluations.k;
          const items = content.evaluations[kind].items.map((item) => {
            const values = answers.map((a) => a[item.id]).filter((v): v is number => typeof v === 'number');
            return {
              id: item.id,
              kind: item.kind,
              text: item.text,
              mean: suppressed || !values.length ? null : values.reduce((x, y) => x + y, 0) / values.length,
            };
          });
          return { n: answers.length, k: evaluations.k, suppressed, items, comments: null };
        });
      };
      return {
        ...sum(rows),
        evaluations: [
          combine('elearning', reportsOf('elearning')),
          combine('classroom', reportsOf('classroom')),
        ],
        questions: await questionStats(db, content),
      };
    },
    byMunicipality: ({ codes }) => ofMunicipalities(codes),
  };
}
