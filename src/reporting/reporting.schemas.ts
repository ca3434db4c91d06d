import type { Request } from 'express';
import { z } from 'zod';
import { isSurveyGroup } from '../surveys/index.js';

const filterSchema = z.object({
  bolge: z.coerce.number().int().min(1).max(8).optional().catch(undefined),
  region: z.string().max(50).optional().catch(undefined),
  runde: z.coerce.number().int().min(1).max(3).optional().catch(undefined),
  gruppe: z.string().optional().catch(undefined),
});

/** The national view's filter from the query string; anything malformed is simply left out. */
export function filterOf(req: Request) {
  const q = filterSchema.parse(Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== '')));
  return {
    wave: q.bolge,
    region: q.region,
    roundNo: q.runde,
    group: q.gruppe && isSurveyGroup(q.gruppe) ? q.gruppe : undefined,
  };
}
