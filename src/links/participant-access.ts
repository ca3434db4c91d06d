import type { Db } from '../db/knex.js';
import { participantsRepository } from '../participants/index.js';
import type { LinkPurpose, ResolvedLink } from './links.service.js';

export type ParticipantAccess = {
  participantId: number;
  municipalityCode: number;
  via: 'link' | 'saml';
  roundId: number | null;
};

/** What of the session decides access: its personal link, or the SAML user's email and municipality. */
export type AccessSession = {
  link?: ResolvedLink;
  user?: { email?: string | null; municipalityCode?: number | null };
};

/**
 * The participant behind a session: its personal link (for that link's own purpose only), or the
 * SAML user matched to a participant of their municipality by email.
 */
export function createParticipantAccess({ db }: { db: Db }) {
  return {
    async participantFor(session: AccessSession, purpose: LinkPurpose): Promise<ParticipantAccess | null> {
      const { link, user } = session;
      if (link && link.purpose === purpose) {
        return {
          participantId: link.participantId,
          municipalityCode: link.municipalityCode,
          via: 'link',
          roundId: link.roundId,
        };
      }
      if (!user?.email || !user.municipalityCode) return null;
      const p = await participantsRepository.byMunicipalityAndEmail(db, user.municipalityCode, user.email);
      return p
        ? { participantId: p.id, municipalityCode: user.municipalityCode, via: 'saml', roundId: null }
        : null;
    },
  };
}
export type ParticipantAccessService = ReturnType<typeof createParticipantAccess>;
