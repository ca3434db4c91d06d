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
