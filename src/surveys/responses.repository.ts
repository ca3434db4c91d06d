import type { DbOrTrx } from '../db/knex.js';
import { participantsRepository } from '../participants/index.js';
import { roundsRepository } from './rounds.repository.js';

/** A participant's state in one round: whether they submitted, and their saved draft (JSON) until then. */
export type Participation = { roundId: number; submitted: boolean; draft: string | null };

/** The anonymous response as stored: no participant id, only the group. */
export type NewResponse = {
  id: string;
  roundId: number;
  municipalityCode: number;
  roundNo: number;
  surveyGroup: string;
  instrumentVersion: number;
  answers: string;
  comment: string | null;
};

// SQLite allows 999 bound parameters per statement in old builds; 500 keeps every engine safe.
const CHUNK = 500;

/**
 * SQL for `survey_participation` (who took part, with their draft) and `survey_responses` (the anonymous
 * answers); the only file that names them. The two are never joined: a response cannot be traced to a person.
 */
export const responsesRepository = {
  /**
   * The round, the participant's participation in it and their survey group, in one query (the answering
   * hot path); the round and participant come from their owners' builders. Undefined when the round is unknown.
   */
  async roundWithParticipation(db: DbOrTrx, roundId: number, participantId: number) {
    return db
      .from(roundsRepository.oneAsBuilder(db, roundId).as('r'))
      .leftJoin('survey_participation as sp', (j) =>
        j.on('sp.round_id', '=', 'r.id').andOnVal('sp.participant_id', '=', participantId),
      )
      .leftJoin(participantsRepository.groupOfBuilder(db, participantId).as('p'), (j) =>
        j.onVal('p.id', '=', participantId),
      )
      .first(
        'r.*',
        'sp.round_id as sp_round_id',
        'sp.submitted as sp_submitted',
        'sp.draft as sp_draft',
        'p.survey_group as p_survey_group',
      );
  },

  /** Creates the participation row on the first visit (a no-op after) and returns it. */
  async ensureParticipation(db: DbOrTrx, roundId: number, participantId: number): Promise<Participation> {
    const where = { round_id: roundId, participant_id: participantId };
    await db('survey_participation')
      .insert({ ...where, submitted: false })
      .onConflict(['round_id', 'participant_id'])
      .ignore();
    const row = await db('survey_participation').where(where).first('submitted', 'draft');
    return { roundId, submitted: Boolean(row?.submitted), draft: row?.draft ?? null };
  },

  /** A participant's participation in the given rounds (those they have opened). */
  async participationIn(
    db: DbOrTrx,
    participantId: number,
    roundIds: readonly number[],
  ): Promise<Participation[]> {
    if (!roundIds.length) return [];
    const rows = await db('survey_participation')
      .where({ participant_id: participantId })
      .whereIn('round_id', roundIds);
    return rows.map((r) => ({
      roundId: Number(r.round_id),
      submitted: Boolean(r.submitted),
      draft: r.draft,
    }));
  },

  /** Saves the draft while not submitted; returns whether it was saved. */
  async saveDraft(db: DbOrTrx, roundId: number, participantId: number, draft: string): Promise<boolean> {
    const n = await db('survey_participation')
      .where({ round_id: roundId, participant_id: participantId, submitted: false })
      .update({ draft });
    return n > 0;
  },

  /** Marks the participation submitted (dropping the draft); only one caller can win. */
  async claimSubmission(db: DbOrTrx, roundId: number, participantId: number): Promise<boolean> {
    const n = await db('survey_participation')
      .where({ round_id: roundId, participant_id: participantId, submitted: false })
      .update({ submitted: true, draft: null });
    return n > 0;
  },

  /** Stores an anonymous response. */
  async insertResponse(db: DbOrTrx, r: NewResponse): Promise<void> {
    await db('survey_responses').insert({
      id: r.id,
      round_id: r.roundId,
      municipality_code: r.municipalityCode,
      round_no: r.roundNo,
      survey_group: r.surveyGroup,
      instrument_version: r.instrumentVersion,
      answers: r.answers,
      comment: r.comment,
    });
  },

  /** A round's anonymous responses: group, answers (JSON) and instrument version. */
  async responsesOf(
    db: DbOrTrx,
    roundId: number,
  ): Promise<Array<{ surveyGroup: string; answers: string; instrumentVersion: number }>> {
    const rows = await db('survey_responses')
      .where({ round_id: roundId })
      .select('survey_group', 'answers', 'instrument_version');
    return rows.map((r) => ({
      surveyGroup: String(r.survey_group),
      answers: String(r.answers),
      instrumentVersion: Number(r.instrument_version),
    }));
  },

  /** A round's free-text comments (the non-empty ones). */
  async commentsOf(db: DbOrTrx, roundId: number): Promise<string[]> {
    return (await db('survey_responses')
      .where({ round_id: roundId })
      .whereNotNull('comment')
      .pluck('comment')) as string[];
  },

  /** Submitted participations per round and the participant's current survey group. */
  async answeredPerGroup(
    db: DbOrTrx,
    roundIds: readonly number[],
  ): Promise<Array<{ roundId: number; surveyGroup: string; n: number }>> {
    const out: Array<{ roundId: number; surveyGroup: string; n: number }> = [];
    for (let i = 0; i < roundIds.length; i += CHUNK) {
      const rows = await db('survey_participation as sp')
        .join(participantsRepository.groupsBuilder(db).as('p'), 'p.id', 'sp.participant_id')
        .whereIn('sp.round_id', roundIds.slice(i, i + CHUNK))
        .andWhere('sp.submitted', true)
        .groupBy('sp.round_id', 'p.survey_group')
        .select('sp.round_id', 'p.survey_group')
        .count<{ round_id: number; survey_group: string; n: number | string }[]>({ n: '*' });
      for (const r of rows)
        out.push({ roundId: Number(r.round_id), surveyGroup: r.survey_group, n: Number(r.n) });
    }
    return out;
  },

  /** The municipality's participants (id, name, email) who have not submitted this round, by id. */
  async nonRespondents(
    db: DbOrTrx,
    code: number,
    roundId: number,
  ): Promise<Array<{ id: number; name: string; email: string }>> {
    return participantsRepository.contacts(db, code, (q) =>
      q.whereNotExists(
        db('survey_participation as sp')
          .whereRaw('sp.participant_id = p.id')
          .andWhere('sp.round_id', roundId)
          .andWhere('sp.submitted', true),
      ),
    );
  },

  /** A participant's rounds for the personal-data export (GDPR art. 15), in its Danish keys. */
  async exportFor(db: DbOrTrx, participantId: number): Promise<Array<Record<string, unknown>>> {
    const rows = await db('survey_participation as sp')
      .join(roundsRepository.datesBuilder(db).as('r'), 'r.id', 'sp.round_id')
      .where({ 'sp.participant_id': participantId })
      .select('r.round_no', 'r.opens_on', 'r.closes_on', 'sp.submitted');
    return rows.map((r) => ({
      runde: `${r.round_no}/3`,
      periode: `${r.opens_on} – ${r.closes_on}`,
      besvaret: Boolean(r.submitted),
    }));
  },

  /** Deletes these participants' participation (GDPR art. 17); their anonymous responses stay. */
  async eraseForParticipants(db: DbOrTrx, participantIds: readonly number[]): Promise<void> {
    for (let i = 0; i < participantIds.length; i += CHUNK) {
      await db('survey_participation')
        .whereIn('participant_id', participantIds.slice(i, i + CHUNK))
        .delete();
    }
  },
};
