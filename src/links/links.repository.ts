import type { DbOrTrx } from '../db/knex.js';

/** What a personal link opens: one round's survey, the e-learning test, or an evaluation. */
export type LinkPurpose = 'survey' | 'test' | 'evaluation';

/** A stored personal link as read back (the token itself is never stored, only its hash). */
export type LinkRow = {
  id: number;
  purpose: LinkPurpose;
  municipalityCode: number;
  participantId: number;
  roundId: number | null;
  courseSessionId: number | null;
  expiresAt: Date;
  revokedAt: unknown;
};

/** The columns a new link is written with. */
export type NewLink = {
  tokenHash: string;
  purpose: LinkPurpose;
  municipalityCode: number;
  participantId: number;
  roundId: number | null;
  courseSessionId: number | null;
  expiresAt: Date;
  createdAt: Date;
};

// SQLite allows 999 bound parameters per statement in old builds; 500 keeps every engine safe.
const CHUNK = 500;

/** SQL for the `personal_links` table; the only file that names it. Callers own the transaction. */
export const linksRepository = {
  /** Inserts a link and returns its id. */
  async insert(db: DbOrTrx, link: NewLink): Promise<number> {
    const [row] = await db('personal_links')
      .insert({
        token_hash: link.tokenHash,
        purpose: link.purpose,
        municipality_code: link.municipalityCode,
        participant_id: link.participantId,
        round_id: link.roundId,
        course_session_id: link.courseSessionId,
        expires_at: link.expiresAt,
        created_at: link.createdAt,
      })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  },

  /** The link with this token hash, revoked and expired ones included. */
  async byTokenHash(db: DbOrTrx, tokenHash: string): Promise<LinkRow | undefined> {
    const row = await db('personal_links').where({ token_hash: tokenHash }).first();
    if (!row) return undefined;
    return {
      id: Number(row.id),
      purpose: row.purpose as LinkPurpose,
      municipalityCode: Number(row.municipality_code),
      participantId: Number(row.participant_id),
      roundId: row.round_id === null ? null : Number(row.round_id),
      courseSessionId: row.course_session_id === null ? null : Number(row.course_session_id),
      expiresAt: new Date(row.expires_at),
      revokedAt: row.revoked_at,
    };
  },

  /** Revokes the links still valid that match every given condition; returns how many. */
  async revoke(
    db: DbOrTrx,
    where: { id?: number; participantId?: number; purpose?: LinkPurpose; roundId?: number },
    at: Date,
  ): Promise<number> {
    const q = db('personal_links').whereNull('revoked_at');
    if (where.id !== undefined) q.where({ id: where.id });
    if (where.participantId !== undefined) q.where({ participant_id: where.participantId });
    if (where.purpose !== undefined) q.where({ purpose: where.purpose });
    if (where.roundId !== undefined) q.where({ round_id: where.roundId });
    return q.update({ revoked_at: at });
  },

  /** A participant's links for the personal-data export (GDPR art. 15), in its Danish keys. */
  async exportFor(db: DbOrTrx, participantId: number): Promise<Array<Record<string, unknown>>> {
    const rows = await db('personal_links')
      .where({ participant_id: participantId })
      .select('purpose', 'round_id', 'created_at', 'expires_at', 'revoked_at');
    return rows.map((l) => ({
      formaal: l.purpose,
      oprettet: l.created_at,
      udloeber: l.expires_at,
      tilbagekaldt: l.revoked_at,
    }));
  },

  /** Deletes these participants' links (GDPR art. 17; the participant's own row cascades to them too). */
  async eraseForParticipants(db: DbOrTrx, participantIds: readonly number[]): Promise<void> {
    for (let i = 0; i < participantIds.length; i += CHUNK) {
      await db('personal_links')
        .whereIn('participant_id', participantIds.slice(i, i + CHUNK))
        .delete();
    }
  },
};
