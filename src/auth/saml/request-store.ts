import type { CacheItem, CacheProvider } from '@node-saml/node-saml';
import type { Db } from '../../db/knex.js';
import type { Clock } from '../../shared/clock.js';
import { isUniqueViolation } from '../../db/unique-violation.js';

/** node-saml's InResponseTo cache in the database, shared by every app instance. */
export function createRequestStore(db: Db, clock: Clock, ttlMs: number): CacheProvider {
  return {
    async saveAsync(key: string, value: string): Promise<CacheItem | null> {
      const createdAt = clock.now().getTime();
      await db('saml_requests')
        .where('created_at', '<', createdAt - ttlMs)
        .delete();
      const inserted = await db('saml_requests')
        .insert({ id: key, created_at: createdAt })
        .onConflict('id')
        .ignore();
      void inserted;
      return { value, createdAt };
    },
    async getAsync(key: string): Promise<string | null> {
      const row = await db('saml_requests').where({ id: key }).first('created_at');
      if (!row) return null;
      if (Number(row.created_at) < clock.now().getTime() - ttlMs) return null;
      return new Date(Number(row.created_at)).toISOString();
    },
    async removeAsync(key: string | null): Promise<string | null> {
      if (!key) return null;
      // Only the caller that actually deletes the row may use it: a replayed response finds nothing.
      const deleted = await db('saml_requests').where({ id: key }).delete();
      return deleted ? key : null;
    },
  };
}

/** Responses already used for a login, by InResponseTo: a response logs in once. */
export const usedResponsesRepository = {
  /** Marks a response used; false when it was used before. Any other database error is thrown (an outage is a 503, not a replay). */
  async markUsed(db: Db, inResponseTo: string, at: number): Promise<boolean> {
    try {
      await db('saml_used_responses').insert({ in_response_to: inResponseTo, used_at: at });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  },
};
