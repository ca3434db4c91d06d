import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';
import { participantsRepository } from '../participants/index.js';
import { certificatesRepository } from './certificates.repository.js';
import { progressRepository } from './progress.repository.js';
import { quizRepository } from './quiz.repository.js';

/** The snapshot of a learner kept on their row and refreshed on each visit. */
export type LearnerSnapshot = {
  participantId: number | null;
  userId: number | null;
  municipalityCode: number | null;
  name: string;
  group: string;
  superuser: boolean;
};

/** The stored row as ensureLearner compares it with the visiting identity. */
export type LearnerRow = {
  id: number;
  name: string;
  group: string;
  municipalityCode: number | null;
  superuser: boolean;
  userId: number | null;
};

/** A learner as the figures count them. */
export type LearnerCell = { id: number; municipalityCode: number | null; group: string };

/** Participants who take the e-learning, per municipality, survey group and superuser flag. */
export type CandidateCount = { municipalityCode: number; surveyGroup: string; superuser: boolean; n: number };

/** A person's e-learning in the GDPR export (art. 15), in the export's Danish keys. */
export type ElearningPersonalData = {
  fremdrift: Array<Record<string, unknown>>;
  testforsoeg: Array<Record<string, unknown>>;
  kursusbeviser: Array<Record<string, unknown>>;
};

// SQLite allows 999 bound parameters per statement in old builds; 500 keeps every engine safe.
const CHUNK = 500;

const columns = (s: LearnerSnapshot, at: Date) => ({
  participant_id: s.participantId,
  user_id: s.userId,
  municipality_code: s.municipalityCode,
  name: s.name,
  learner_group: s.group,
  superuser: s.superuser,
  updated_at: at,
});

async function learnerIdsOf(db: DbOrTrx, participantIds: readonly number[]): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < participantIds.length; i += CHUNK) {
    const rows = await db('learners')
      .whereIn('participant_id', participantIds.slice(i, i + CHUNK))
      .select('id');
    ids.push(...rows.map((r) => Number(r.id)));
  }
  return ids;
}

/** SQL for the learners table (the only file that names it); callers own the transaction. */
export const learnersRepository = {
  /** Inserts the row for a learner key unless it exists, then returns the stored row. */
  async ensure(db: DbOrTrx, key: string, s: LearnerSnapshot, at: Date): Promise<LearnerRow> {
    await db('learners')
      .insert({ learner_key: key, created_at: at, ...columns(s, at) })
      .onConflict('learner_key')
      .ignore();
    const row = await db('learners')
      .where({ learner_key: key })
      .first('id', 'name', 'learner_group', 'municipality_code', 'superuser', 'user_id');
    return {
      id: Number(row.id),
      name: String(row.name),
      group: String(row.learner_group),
      municipalityCode: row.municipality_code === null ? null : Number(row.municipality_code),
      superuser: Boolean(row.superuser),
      userId: row.user_id === null || row.user_id === undefined ? null : Number(row.user_id),
    };
  },

  /** Overwrites a learner's snapshot. */
  async refresh(db: DbOrTrx, id: number, s: LearnerSnapshot, at: Date): Promise<void> {
    await db('learners').where({ id }).update(columns(s, at));
  },

  /**
   * Learners (optionally of one municipality) as a builder for other repositories to join
   * (`.join(learnersRepository.scope(db, code).as('l'), 'l.id', …)`), so the table name stays here.
   */
  scope(db: DbOrTrx, municipalityCode?: number): Knex.QueryBuilder {
    const q = db('learners').select('id', 'municipality_code', 'learner_group');
    return municipalityCode === undefined ? q : q.where('municipality_code', municipalityCode);
  },

  /** Every learner (optionally of one municipality) with their municipality and group, for the figures. */
  async inScope(db: DbOrTrx, municipalityCode?: number): Promise<LearnerCell[]> {
    const rows = await learnersRepository.scope(db, municipalityCode);
    return rows.map((l: { id: number; municipality_code: number | null; learner_group: string }) => ({
      id: Number(l.id),
      municipalityCode: l.municipality_code === null ? null : Number(l.municipality_code),
      group: String(l.learner_group),
    }));
  },

  /**
   * Registered participants who take the e-learning, counted per municipality, survey group and superuser
   * flag; with `cameAlready`, only those who already have a learner row. Counted, never loaded one by one:
   * all of them (from an index) less those who came (few) is cheaper than a per-row NOT EXISTS on a
   * national list of hundreds of thousands.
   */
  async candidateCounts(
    db: DbOrTrx,
    opts: { municipalityCode?: number; cameAlready: boolean },
  ): Promise<CandidateCount[]> {
    const candidates = participantsRepository.learnerCandidates(db);
    // CROSS JOIN keeps SQLite from scanning the participants first (PostgreSQL plans it as an inner join);
    // SQLite flattens the candidates' sub-query into the join and keeps that order.
    const q = opts.cameAlready
      ? db('learners as l')
          .crossJoin(
            db.raw('? as ??', [
              candidates.select('p.id', 'p.municipality_code', 'p.survey_group', 'p.superuser'),
              'p',
            ]),
          )
          .whereRaw('?? = ??', ['p.id', 'l.participant_id'])
      : candidates;
    if (opts.municipalityCode !== undefined) q.where('p.municipality_code', opts.municipalityCode);
    const rows = await q
      .groupBy('p.municipality_code', 'p.survey_group', 'p.superuser')
      .select('p.municipality_code', 'p.survey_group', 'p.superuser')
      .count({ n: '*' });
    return rows.map((r) => ({
      municipalityCode: Number(r.municipality_code),
      surveyGroup: String(r.survey_group),
      superuser: Boolean(r.superuser),
      n: Number(r.n),
    }));
  },

  /** What Parat holds about these participants' e-learning (GDPR art. 15). */
  async exportForParticipants(
    db: DbOrTrx,
    participantIds: readonly number[],
  ): Promise<ElearningPersonalData> {
    const learnerIds = await learnerIdsOf(db, participantIds);
    if (!learnerIds.length) return { fremdrift: [], testforsoeg: [], kursusbeviser: [] };
    return {
      fremdrift: await progressRepository.exportFor(db, learnerIds),
      testforsoeg: await quizRepository.exportFor(db, learnerIds),
      kursusbeviser: await certificatesRepository.exportFor(db, learnerIds),
    };
  },

  /**
   * Erases these participants' learners (GDPR art. 17). The foreign keys cascade to progress, page
   * visits, exercise results and steps, attempts with their items, and certificates.
   */
  async eraseForParticipants(trx: DbOrTrx, participantIds: readonly number[]): Promise<void> {
    for (let i = 0; i < participantIds.length; i += CHUNK) {
      await trx('learners')
        .whereIn('participant_id', participantIds.slice(i, i + CHUNK))
        .delete();
    }
  },
};
