import type { CacheItem, CacheProvider } from '@node-saml/node-saml';
import type { Db } from '../../db/knex.js';
import type { Clock } from '../../shared/clock.js';
import { samlRequestsRepository } from './saml-requests.repository.js';

/** node-saml's InResponseTo cache in the database, shared by every app instance. */
export function createRequestCache(deps: { db: Db; clock: Clock; ttlMs: number }): CacheProvider {
  const { db, clock, ttlMs } = deps;
  return {
    async saveAsync(key: string, value: string): Promise<CacheItem | null> {
      const createdAt = clock.now().getTime();
      await samlRequestsRepository.save(db, key, createdAt, createdAt - ttlMs);
      return { value, createdAt };
    },
    async getAsync(key: string): Promise<string | null> {
      const createdAt = await samlRequestsRepository.createdAt(db, key);
      if (createdAt === null || createdAt < clock.now().getTime() - ttlMs) return null;
      return new Date(createdAt).toISOString();
    },
    async removeAsync(key: string | null): Promise<string | null> {
      if (!key) return null;
      // Only the caller that actually deletes the row may use it: a replayed response finds nothing.
      return (await samlRequestsRepository.remove(db, key)) ? key : null;
    },
  };
}
