import { z } from 'zod';
import type { EvaluationForm } from './content.schemas.js';

/** The five-point agreement scale every evaluation item is answered on. */
export const SCALE = [
  { value: 1, label: 'Helt uenig' },
  { value: 2, label: 'Uenig' },
  { value: 3, label: 'Hverken enig eller uenig' },
  { value: 4, label: 'Enig' },
  { value: 5, label: 'Helt enig' },
];

/** The answer schema of one evaluation form: every item 1–5, free text optional. */
export function evaluationSchema(form: EvaluationForm) {
  const items = Object.fromEntries(
    form.items.map((i) => [
      i.id,
      z.enum(['1', '2', '3', '4', '5'], { error: `Vælg et svar fra 1 til 5: "${i.text}"` }).transform(Number),
    ]),
  );
  return z.object({
    ...items,
    [form.freeText.id]: z
      .string()
      .trim()
      .max(2000, 'Kommentaren må højst være 2000 tegn.')
      .optional()
      .default(''),
  });
}

/** A project leader's new course session. */
export const sessionSchema = z.object({
  title: z.string().trim().min(1, 'Skriv kursets titel.').max(200, 'Titlen må højst være 200 tegn.'),
  place: z.string().trim().min(1, 'Skriv, hvor kurset holdes.').max(200, 'Stedet må højst være 200 tegn.'),
  heldOn: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'Skriv datoen som åååå-mm-dd.')
    .refine(
      (s) =>
        !Number.isNaN(new Date(`${s}T00:00:00Z`).getTime()) &&
        new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
      'Datoen findes ikke.',
    ),
});
