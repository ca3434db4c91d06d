// What other features may use from the participant list; everything else in this folder is internal.

/** The survey groups a participant belongs to, with their Danish names. */
export { SURVEY_GROUPS, SURVEY_GROUP_LABELS, isSurveyGroup, type SurveyGroup } from './survey-groups.js';
/** The participants table's queries and builders, for the owners of tables that hang off a participant. */
export { participantsRepository, type Participant } from './participants.repository.js';
/** The purge of participant lists, which the surveys' scheduler runs. */
export type { PersonalDataService } from './personal-data.service.js';
