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
import {
  evaluationReport,
  type EvaluationReport,
  type EvaluationsService,
} from '../elearning/evaluations.service.js';

/** E-learning figures for the dashboards, from the e-learning feature's statistics. */
export function createLearningSource({
  db,
  content,
  evaluations,
}: {
  db: Db;
  content: ElearningContent;
  evaluations: EvaluationsService;
}): LearningSource {
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
        // The same rule as each municipality's own report; comments are not read, the national view has none.
        return [...byCode.values()].map((answers) =>
          evaluationReport(
            content.evaluations[kind],
            answers.map((a) => ({ answers: a, comment: null })),
            evaluations.k,
          ),
        );
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
