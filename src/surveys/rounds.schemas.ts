import { z } from 'zod';

/** KOMBIT's wave and go-live form: both may be left empty ("not decided"). */
export const planSchema = z
  .object({
    wave: z.union([
      z.literal(''),
      // One digit, as typed (surrounding spaces allowed); not "+1", "3.0" or "0x3".
      z
        .string()
        .trim()
        .regex(/^[1-8]$/, 'Bølge skal være 1–8')
        .transform(Number),
    ]),
    goLive: z.union([z.literal(''), z.iso.date('Skriv datoen som ÅÅÅÅ-MM-DD')]),
  })
  .transform((f) => ({ wave: f.wave === '' ? null : f.wave, goLive: f.goLive || null }));

/** The new closing day of an extended round. */
export const extendSchema = z.object({
  closesOn: z.iso.date('Ugyldig dato'),
});
