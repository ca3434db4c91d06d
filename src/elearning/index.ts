// What other features may use from e-learning; everything else in this folder is internal.

/** GDPR export and erasure of participants' e-learning, called by the participants' personal-data service. */
export { learnersRepository, type ElearningPersonalData } from './learners.repository.js';
/** Who takes the e-learning and how learners are grouped in reports. */
export {
  LEARNER_GROUPS,
  LEARNER_GROUP_LABELS,
  LEARNER_SURVEY_GROUPS,
  type LearnerGroup,
} from './learners.js';
/** What the demo data needs to write e-learning as the app does (content, pages, the test's draw and scoring, evaluation scopes). */
export { type ElearningContent, type Module } from './content.loader.js';
export { MODULE_PAGE, modulePages } from './elearning.service.js';
export { drawAttempt, type DrawnQuestion } from './quiz.draw.js';
export { hasPassed, isAnswerCorrect } from './quiz.scoring.js';
export { scopeOf } from './evaluations.service.js';
export { learnerGroupOf } from './learners.js';
/** The figures and evaluation reports the dashboards and exports show. */
export {
  combineProgress,
  median,
  type ElearningStats,
  type GroupFigures,
  type GroupProgress,
} from './elearning.stats.js';
export type { EvaluationReport, EvaluationsService } from './evaluations.service.js';
