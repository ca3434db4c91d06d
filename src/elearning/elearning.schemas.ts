import { z } from 'zod';

/** An exercise step's answer: the id of the chosen action. */
export const stepSchema = z.object({
  valg: z.string({ error: 'Vælg en handling.' }).regex(/^[A-Za-z0-9_-]{1,20}$/, 'Vælg en handling.'),
});
