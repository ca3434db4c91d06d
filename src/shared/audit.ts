import type { DbOrTrx } from '../db/knex.js';

/** Writes one audit entry; details must never hold answers, tokens or email addresses. */
export async function audit(
  db: DbOrTrx,
  entry: {
    actorUserId: number | null;
    action: string;
    subject?: string;
    details?: Record<string, unknown>;
    at: Date;
  },
): Promise<void> {
  await db('audit_log').insert({
    at: entry.at,
    actor_user_id: entry.actorUserId,
    action: entry.action,
    subject: entry.subject ?? null,
    details: entry.details ? JSON.stringify(entry.details) : null,
  });
}
