import { z } from 'zod';
import { parseInput } from '../web/http.js';
import { isSurveyGroup, type SurveyGroup } from './survey-groups.js';

/** A participant as the list keeps them: the rules for a name, an address and a group. */
export const participantSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Navn mangler')
    .max(200, 'Navnet er for langt')
    .refine((n) => !/[\r\n\t]/.test(n), 'Navnet må ikke indeholde linjeskift eller tabulatorer')
    // A leading =, +, - or @ would be run as a formula when the list is opened in Excel.
    .refine((n) => !/^[=+\-@]/.test(n), 'Navnet må ikke begynde med =, +, - eller @'),
  email: z
    .email('E-mailadressen er ugyldig')
    .max(320)
    .transform((e) => e.toLowerCase()),
  surveyGroup: z
    .string()
    .refine((g) => isSurveyGroup(g), 'Vælg en gyldig gruppe')
    .transform((g) => g as SurveyGroup),
  superuser: z.boolean(),
});
export type ParticipantInput = z.infer<typeof participantSchema>;

/** The add and edit forms as posted: text fields, and the superuser box ticked as "ja". */
const participantForm = z.object({
  name: z.string(),
  email: z.string().trim(),
  surveyGroup: z.string(),
  superuser: z.string().optional(),
});

/** Parses the add or edit form into a participant; a ValidationError names each bad field. */
export function parseParticipantForm(body: unknown): ParticipantInput {
  const f = parseInput(participantForm, body);
  return parseInput(participantSchema, {
    name: f.name,
    email: f.email,
    surveyGroup: f.surveyGroup,
    superuser: f.superuser === 'ja',
  });
}
