import type { Db } from '../db/knex.js';
import type { ElearningContent } from '../elearning/content.loader.js';
import { progressByMunicipalityAndGroup, questionStats } from '../elearning/elearning.stats.js';
import { LEARNER_GROUPS, LEARNER_GROUP_LABELS } from '../elearning/learners.js';
import type { LearningFigures, LearningSource } from './dashboard.service.js';

/** E-learning figures for the dashboards, from the e-learning feature's statistics. */
export function createLearningSource(db: Db, content: ElearningContent): LearningSource {
  const sum = (rows: Awaited<ReturnType<typeof progressByMunicipalityAndGroup>>): LearningFigures => ({
    groups: LEARNER_GROUPS.map((g) => {
      const cells = rows.filter((r) => r.group === g);
      const learners = cells.reduce((s, c) => s + c.learners, 0);
      const passed = cells.reduce((s, c) => s + c.passed, 0);
      return { group: g, label: LEARNER_GROUP_LABELS[g], learners, completedAll: cells.reduce((s, c) => s + c.completedAll, 0), passed, passRate: learners ? passed / learners : null };
    }).filter((g) => g.learners > 0),
  });
  return {
    async forMunicipality(code) {
      return sum(await progressByMunicipalityAndGroup(db, content, { municipalityCode: code }));
    },
    async national({ codes }) {
      const set = new Set(codes);
      const rows = (await progressByMunicipalityAndGroup(db, content)).filter((r) => r.municipalityCode !== null && set.has(r.municipalityCode));
      return { ...sum(rows), questions: await questionStats(db, content) };
    },
  };
}
