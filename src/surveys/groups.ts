// The survey groups are the participant list's; surveys re-export them so their own modules keep one import.
export {
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  isSurveyGroup,
  type SurveyGroup,
} from '../participants/index.js';

/** The five readiness elements in their fixed order; the order decides the barrier point. */
export const ELEMENTS = ['opmaerksomhed', 'motivation', 'viden', 'stoette', 'anerkendelse'] as const;

export type ElementKey = (typeof ELEMENTS)[number];

export const ELEMENT_LABELS: Record<ElementKey, string> = {
  opmaerksomhed: 'Opmærksomhed',
  motivation: 'Motivation',
  viden: 'Viden/Færdigheder',
  stoette: 'Støtte',
  anerkendelse: 'Anerkendelse',
};
