import {
  type ElearningContent,
  combineProgress,
  type ElearningStats,
  type GroupProgress,
  LEARNER_GROUPS,
  LEARNER_GROUP_LABELS,
  type EvaluationReport,
  type EvaluationsService,
} from '../elearning/index.js';
import type { EvaluationSummary, LearningFigures, LearningSource } from './dashboard.service.js';

type Deps = {
  stats: ElearningStats;
  content: ElearningContent;
  evaluations: Pick<EvaluationsService, 'k' | 'elearningReport' | 'classroomReport' | 'municipalityReports'>;
};

type Kind = 'elearning' | 'classroom';

/** National evaluation figures from published (≥ k) municipality reports only, weighted by responses. */
function combine({ content, evaluations }: Deps, kind: Kind, reports: EvaluationReport[]): EvaluationSummary {
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
}

/** The learner groups with anyone registered, each with its figures summed over the rows. */
const sum = (rows: GroupProgress[]): Omit<LearningFigures, 'evaluations'> => ({
  groups: LEARNER_GROUPS.map((g) => ({
    group: g,
    label: LEARNER_GROUP_LABELS[g],
    ...combineProgress(rows.filter((r) => r.group === g)),
  })).filter((g) => g.registered > 0),
});

/** E-learning figures for the dashboards, from the e-learning feature's statistics and evaluations. */
export function createLearningSource(deps: Deps): LearningSource {
  const { stats, content, evaluations } = deps;
  const summary = (kind: Kind, r: EvaluationReport): EvaluationSummary => ({
    kind,
    title: content.evaluations[kind].title,
    ...r,
  });
  const ofMunicipalities = async (codes: number[]): Promise<GroupProgress[]> => {
    const set = new Set(codes);
    const rows = await stats.progress();
    return rows.filter((r) => r.municipalityCode !== null && set.has(r.municipalityCode));
  };
  return {
    async forMunicipality(code) {
      return {
        ...sum(await stats.progress({ municipalityCode: code })),
        evaluations: [
          summary('elearning', await evaluations.elearningReport(code)),
          summary('classroom', await evaluations.classroomReport(code)),
        ],
      };
    },
    async national({ codes }) {
      const rows = await ofMunicipalities(codes);
      return {
        ...sum(rows),
        // Each municipality's figure counts only from k responses up, by the same rule as its own report.
        evaluations: [
          combine(deps, 'elearning', await evaluations.municipalityReports('elearning', codes)),
          combine(deps, 'classroom', await evaluations.municipalityReports('classroom', codes)),
        ],
        questions: await stats.questions(),
      };
    },
    byMunicipality: ({ codes }) => ofMunicipalities(codes),
  };
}
