import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';
import { auditRepository, type AuditEntry, type AuditLine } from './audit.repository.js';

export type { AuditEntry, AuditLine } from './audit.repository.js';

// The audit log on the shared floor: every feature writes to it inside its own transaction, so it is asked
// here, and `audit_log` itself is read and written only by audit.repository.ts.

/** Writes one audit entry; details must never hold answers, tokens or email addresses. */
export async function audit(db: DbOrTrx, entry: AuditEntry): Promise<void> {
  await auditRepository.insert(db, entry);
}

/** The newest entries (optionally of one action) with the actors' names from `actors`, and every action name. */
export async function auditLog(
  db: DbOrTrx,
  opts: { limit: number; action?: string; actors: Knex.QueryBuilder },
): Promise<{ entries: AuditLine[]; actions: string[] }> {
  const [entries, actions] = await Promise.all([
    auditRepository.latest(db, opts),
    auditRepository.actions(db),
  ]);
  return { entries, actions };
}
