import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';

/** One audit entry to write; details must never hold answers, tokens or email addresses. */
export type AuditEntry = {
  actorUserId: number | null;
  action: string;
  subject?: string;
  details?: Record<string, unknown>;
  at: Date;
};

/** One line of the administrator's audit log, with the actor's name when the actor was a user. */
export type AuditLine = {
  id: number;
  at: Date | string | number;
  action: string;
  subject: string | null;
  details: string | null;
  actor: string | null;
};

/** SQL for `audit_log`, the one table every feature writes to (through shared/audit.ts). */
export const auditRepository = {
  /** Appends one entry. */
  async insert(db: DbOrTrx, entry: AuditEntry): Promise<void> {
    await db('audit_log').insert({
      at: entry.at,
      actor_user_id: entry.actorUserId,
      action: entry.action,
      subject: entry.subject ?? null,
      details: entry.details ? JSON.stringify(entry.details) : null,
    });
  },

  /**
   * The newest entries, optionally of one action. `actors` is the users' owner's `(id, name)` query, so the
   * floor joins the names without reading the users table itself.
   */
  async latest(
    db: DbOrTrx,
    opts: { limit: number; action?: string; actors: Knex.QueryBuilder },
  ): Promise<AuditLine[]> {
    const q = db('audit_log as a')
      .leftJoin(opts.actors.as('u'), 'u.id', 'a.actor_user_id')
      .orderBy('a.id', 'desc')
      .limit(opts.limit)
      .select('a.id', 'a.at', 'a.action', 'a.subject', 'a.details', 'u.name as actor');
    if (opts.action) q.where('a.action', opts.action);
    return (await q) as AuditLine[];
  },

  /** Every action name in the log, sorted. */
  async actions(db: DbOrTrx): Promise<string[]> {
    return (await db('audit_log').distinct('action').orderBy('action')).map((r) => String(r.action));
  },
};
