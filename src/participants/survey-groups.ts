/** Survey groups (the handbook's "deltagerkreds", §5.2.2), in the order used everywhere. */
export const SURVEY_GROUPS = [
  'leder-ydelsescenter',
  'leder-jobcenter',
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'informationssoegende',
] as const;

/** One of the five survey groups a participant belongs to. */
export type SurveyGroup = (typeof SURVEY_GROUPS)[number];

/** The Danish name of each survey group. */
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
