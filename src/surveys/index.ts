// What other features may use from the readiness surveys; everything else in this folder is internal.

/** The survey groups and readiness elements, with their Danish names. */
export {
  ELEMENTS,
  ELEMENT_LABELS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  isSurveyGroup,
  type ElementKey,
  type SurveyGroup,
} from './groups.js';
/** The rounds' calendar: labels, reminders and the events subscribers are told of. */
export {
  REMINDER_DAYS,
  ROUND_LABELS,
  ROUND_NUMBERS,
  ROUND_SHORT,
  STATE_LABELS,
  plannedDates,
  type RoundEvent,
} from './round-calendar.js';
/** Reading rounds (reporting lists and filters them). */
export { roundsRepository, type Round, type RoundState } from './rounds.repository.js';
/** The one scoring, pooling and publication rules. */
export {
  BARRIER_ADVICE,
  STATUS_LABELS,
  barrierPoint,
  formatScore,
  responseRate,
  roundOne,
} from './scoring.js';
export {
  POOL_LABEL,
  combineCells,
  type CellScores,
  type Publication,
  type PublishedCell,
} from './anonymity.js';
/** Published aggregates, response rates and a round's results. */
export type { AggregateStore, RoundAggregate } from './aggregates.js';
export { ratesFor, totals, type RoundRates } from './rates.js';
export type { ResultsService, RoundResults } from './results.service.js';
export {
  combinedTable,
  municipalityLine,
  municipalityResultsView,
  templateHelpers,
} from './results.presenter.js';
/** The instrument versions (demo data answers them). */
export { currentVersion, elementsOf, type Instrument } from './instrument.js';
