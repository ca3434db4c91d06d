import { z } from 'zod';

/** The CVR form of one municipality. */
export const cvrSchema = z.object({
  cvr: z
    .string()
    .trim()
    .regex(/^\d{8}$/, 'CVR-nummeret skal være 8 cifre'),
});

/** The audit log's filter; anything unreadable shows every action. */
export const auditFilterSchema = z.object({ handling: z.string().max(100).optional().catch(undefined) });
