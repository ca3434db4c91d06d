import type { Db } from '../../db/knex.js';
import type { Clock } from '../../shared/clock.js';
import { samlRequestsRepository } from './saml-requests.repository.js';
import { samlSessionsRepository } from './saml-sessions.repository.js';

/** A SAML session row is forgotten this long after login (sessions themselves last 8 hours of inactivity). */
const SAML_SESSION_MEMORY_MS = 7 * 24 * 3600_000;

/** What the ACS and single logout keep in the database: used responses, and which sessions a login opened. */
export function createSamlSessionsService(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  return {
    /** Marks a response used; false when it was used before. A database outage is thrown (a 503), never a replay. */
    async markResponseUsed(inResponseTo: string): Promise<boolean> {
      return samlRequestsRepository.markUsed(db, inResponseTo, clock.now().getTime());
    },

    /** Remembers which session a login (NameID, SessionIndex) opened, for the IdP's LogoutRequest. */
    async remember(login: { sid: string; nameId: string; sessionIndex: string | null }): Promise<void> {
      // Wall time, like the session store's own expiry, which this memory outlives.
      const at = Date.now();
      await samlSessionsRepository.add(db, { ...login, at, forgetBefore: at - SAML_SESSION_MEMORY_MS });
    },

    /** The session ids of a NameID, narrowed to one SessionIndex when the IdP names one. */
    async sessionsOf(nameId: string, sessionIndex: string | null): Promise<string[]> {
      return samlSessionsRepository.sids(db, nameId, sessionIndex);
    },

    /** Forgets ended sessions. */
    async forget(sids: string[]): Promise<void> {
      await samlSessionsRepository.remove(db, sids);
    },
  };
}
export type SamlSessionsService = ReturnType<typeof createSamlSessionsService>;
