/** Survey groups (the handbook's "deltagerkreds", §5.2.2), in the order used everywhere. */
export const SURVEY_GROUPS = [
  'leder-ydelsescenter',
  'leder-jobcenter',
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'informationssoegende',
] as const;

export type SurveyGroup = (typeof SURVEY_GROUPS)[number];

export const SURVEY_GROUP_LABELS: Record<SurveyGroup, string> = {
  'leder-ydelsescenter': 'Leder af Ydelsescentret',
  'leder-jobcenter': 'Leder af Jobcenteret',
  'sagsbehandler-ydelsescenter': 'Sagsbehandler i Ydelsescentret',
  'sagsbehandler-udenfor': 'Sagsbehandler uden for Ydelsescentret',
  informationssoegende: 'Informationssøgende medarbejder',
};

/** Narrows untrusted input (form field, database column) to a known survey group. */
export function isSurveyGroup(v: string): v is SurveyGroup {
  return (SURVEY_GROUPS as readonly string[]).includes(v);
}

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
