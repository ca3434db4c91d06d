import type { DbOrTrx } from '../../db/knex.js';
import { isUniqueViolation } from '../../db/errors.js';

/**
 * SQL for the login's replay protection: `saml_requests` (the AuthnRequest ids we sent and still accept
 * an answer to) and `saml_used_responses` (the answers already used for a login).
 */
export const samlRequestsRepository = {
  /** Remembers a request id sent at `createdAt`, first forgetting those older than `olderThan`. */
  async save(db: DbOrTrx, id: string, createdAt: number, olderThan: number): Promise<void> {
    await db('saml_requests').where('created_at', '<', olderThan).delete();
    await db('saml_requests').insert({ id, created_at: createdAt }).onConflict('id').ignore();
  },

  /** When a request id was sent (ms), or null when it is not known. */
  async createdAt(db: DbOrTrx, id: string): Promise<number | null> {
    const row = await db('saml_requests').where({ id }).first('created_at');
    return row ? Number(row.created_at) : null;
  },

  /** Forgets a request id; whether this call deleted it (only one caller can). */
  async remove(db: DbOrTrx, id: string): Promise<boolean> {
    return (await db('saml_requests').where({ id }).delete()) > 0;
  },

  /**
   * Marks a response used; false when it was used before. Only a unique violation means "used before":
   * any other error (a database outage) is thrown, so the login fails as a 503 and is not called a replay.
   */
  async markUsed(db: DbOrTrx, inResponseTo: string, at: number): Promise<boolean> {
    try {
      await db('saml_used_responses').insert({ in_response_to: inResponseTo, used_at: at });
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  },
};
