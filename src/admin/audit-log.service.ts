import type { Db } from '../db/knex.js';
import { auditLog, type AuditLine } from '../shared/audit.js';
import { usersRepository } from '../auth/index.js';

/** How many of the newest entries the administrator's page shows. */
const PAGE_SIZE = 300;

/** The administrator's view of the audit log. */
export function createAuditLogService(deps: { db: Db }) {
  return {
    /** The newest entries, of one action when given, with who did them; and every action name for the filter. */
    async latest(action?: string): Promise<{ entries: AuditLine[]; actions: string[] }> {
      return auditLog(deps.db, { limit: PAGE_SIZE, action, actors: usersRepository.actorNames(deps.db) });
    },
  };
}
export type AuditLogService = ReturnType<typeof createAuditLogService>;
