import crypto from 'node:crypto';
import type { Db, DbOrTrx } from '../db/knex.js';
import { addDays, type Clock } from '../shared/clock.js';

export type LinkPurpose = 'survey' | 'test' | 'evaluation';

export type ResolvedLink = {
  id: number;
  purpose: LinkPurpose;
  municipalityCode: number;
  participantId: number;
  roundId: number | null;
  courseSessionId: number | null;
};

/** sha256 of a token; only this is stored. */
export const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

/** Personal survey links stay valid this many days after the round's planned close. */
export const SURVEY_LINK_VALID_DAYS = 14;

/** Personal links: 256 random bits, hash stored, bound to one purpose and municipality, expiring, revocable. */
export function createLinkService({ db, clock, publicUrl }: { db: Db; clock: Clock; publicUrl: string }) {
  return {
    /** When a survey link issued today for a round closing on `closesOn` stops working (midnight UTC). */
    surveyLinkExpiry(closesOn: string, today: string): Date {
      return new Date(`${addDays(closesOn > today ? closesOn : today, SURVEY_LINK_VALID_DAYS)}T00:00:00Z`);
    },

    /** Issues a link inside the caller's transaction; returns the token (shown once) and its URL. */
    async issue(
      trx: DbOrTrx,
      link: {
        purpose: LinkPurpose;
        municipalityCode: number;
        participantId: number;
        roundId?: number | null;
        courseSessionId?: number | null;
        expiresAt: Date;
      },
    ): Promise<{ id: number; token: string; url: string }> {
      const token = crypto.randomBytes(32).toString('base64url');
      const [row] = await trx('personal_links')
        .insert({
          token_hash: hashToken(token),
          purpose: link.purpose,
          municipality_code: link.municipalityCode,
          participant_id: link.participantId,
          round_id: link.roundId ?? null,
          course_session_id: link.courseSessionId ?? null,
          expires_at: link.expiresAt,
          created_at: clock.now(),
        })
        .returning('id');
      const id = Number(typeof row === 'object' ? row.id : row);
      return { id, token, url: `${publicUrl}/l/${token}` };
    },

    /** The link behind a token, or null when unknown, expired or revoked. */
    async resolve(token: string): Promise<ResolvedLink | null> {
      if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
      const row = await db('personal_links')
        .where({ token_hash: hashToken(token) })
        .first();
      if (!row || row.revoked_at) return null;
      if (new Date(row.expires_at).getTime() <= clock.now().getTime()) return null;
      return {
        id: Number(row.id),
        purpose: row.purpose as LinkPurpose,
        municipalityCode: Number(row.municipality_code),
        participantId: Number(row.participant_id),
        roundId: row.round_id === null ? null : Number(row.round_id),
        courseSessionId: row.course_session_id === null ? null : Number(row.course_session_id),
      };
    },

    async revoke(
      trx: DbOrTrx,
      where: { id?: number; participantId?: number; purpose?: LinkPurpose },
    ): Promise<number> {
      const q = trx('personal_links').whereNull('revoked_at');
      if (where.id !== undefined) q.where({ id: where.id });
      if (where.participantId !== undefined) q.where({ participant_id: where.participantId });
      if (where.purpose !== undefined) q.where({ purpose: where.purpose });
      return q.update({ revoked_at: clock.now() });
    },
  };
}
export type LinkService = ReturnType<typeof createLinkService>;
