import type { DbOrTrx } from '../../db/knex.js';

/** Which Parat sessions a SAML login (NameID, SessionIndex) opened: what an IdP's LogoutRequest ends. */
export const samlSessionsRepository = {
  /** Records a login's session, first forgetting rows from before `forgetBefore`. */
  async add(
    db: DbOrTrx,
    row: { sid: string; nameId: string; sessionIndex: string | null; at: number; forgetBefore: number },
  ): Promise<void> {
    await db('saml_sessions').where('created_at', '<', row.forgetBefore).delete();
    await db('saml_sessions')
      .insert({ sid: row.sid, name_id: row.nameId, session_index: row.sessionIndex, created_at: row.at })
      .onConflict('sid')
      .merge();
  },

  /** The session ids of a NameID, narrowed to one SessionIndex when the IdP names one. */
  async sids(db: DbOrTrx, nameId: string, sessionIndex: string | null): Promise<string[]> {
    const q = db('saml_sessions').where({ name_id: nameId });
    if (sessionIndex) q.andWhere({ session_index: sessionIndex });
    return (await q.pluck('sid')) as string[];
  },

  /** Forgets the given sessions. */
  async remove(db: DbOrTrx, sids: string[]): Promise<void> {
    if (sids.length) await db('saml_sessions').whereIn('sid', sids).delete();
  },
};
