import type { Request } from 'express';
import type { DbOrTrx } from '../db/knex.js';
import type { LinkPurpose } from './links.service.js';

export type ParticipantAccess = {
  participantId: number;
  municipalityCode: number;
  via: 'link' | 'saml';
  roundId: number | null;
};

/**
 * The participant behind this request: the personal link of the session (for its own purpose only),
 * or the SAML user matched to a participant of their municipality by email.
 */
export async function participantFor(
  db: DbOrTrx,
  req: Request,
  purpose: LinkPurpose,
): Promise<ParticipantAccess | null> {
  const link = req.session?.link;
  if (link && link.purpose === purpose) {
    return {
      participantId: link.participantId,
      municipalityCode: link.municipalityCode,
      via: 'link',
      roundId: link.roundId,
    };
  }
  const user = req.session?.user;
  if (!user?.email || !user.municipalityCode) return null;
  const row = await db('participants')
    .where({ municipality_code: user.municipalityCode })
    .whereRaw('lower(email) = ?', [user.email.toLowerCase()])
    .first('id');
  return row
    ? { participantId: Number(row.id), municipalityCode: user.municipalityCode, via: 'saml', roundId: null }
    : null;
}
