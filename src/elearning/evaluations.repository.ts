import crypto from 'node:crypto';
import type { DbOrTrx } from '../db/knex.js';
import type { EvaluationKind } from './content.schemas.js';

export type CourseSession = {
  id: number;
  municipalityCode: number;
  title: string;
  place: string;
  heldOn: string;
  code: string;
};

const toSession = (r: Record<string, unknown>): CourseSession => ({
  id: Number(r.id),
  municipalityCode: Number(r.municipality_code),
  title: String(r.title),
  place: String(r.place),
  heldOn: String(r.held_on),
  code: String(r.code),
});

/** SQL for course sessions and anonymous evaluations; callers own the transaction. */
export const evaluationsRepository = {
  async createSession(
    db: DbOrTrx,
    s: {
      municipalityCode: number;
      title: string;
      place: string;
      heldOn: string;
      code: string;
      createdByUserId: number | null;
      createdAt: Date;
    },
  ): Promise<number> {
    const [row] = await db('course_sessions')
      .insert({
        municipality_code: s.municipalityCode,
        title: s.title,
        place: s.place,
        held_on: s.heldOn,
        code: s.code,
        created_by_user_id: s.createdByUserId,
        created_at: s.createdAt,
      })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  },

  async sessionById(db: DbOrTrx, id: number): Promise<CourseSession | null> {
    const r = await db('course_sessions').where({ id }).first();
    return r ? toSession(r) : null;
  },

  async sessionByCode(db: DbOrTrx, code: string): Promise<CourseSession | null> {
    const r = await db('course_sessions').where({ code }).first();
    return r ? toSession(r) : null;
  },

  async codeExists(db: DbOrTrx, code: string): Promise<boolean> {
    return Boolean(await db('course_sessions').where({ code }).first('id'));
  },

  async sessionsOf(db: DbOrTrx, municipalityCode: number): Promise<CourseSession[]> {
    const rows = await db('course_sessions')
      .where({ municipality_code: municipalityCode })
      .orderBy([
        { column: 'held_on', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
    return rows.map(toSession);
  },

  async hasParticipated(db: DbOrTrx, scope: string, personKey: string): Promise<boolean> {
    return Boolean(
      await db('evaluation_participation').where({ scope, person_key: personKey }).first('scope'),
    );
  },

  /** Marks that a person has evaluated; throws a unique violation the second time. */
  async addParticipation(db: DbOrTrx, scope: string, personKey: string): Promise<void> {
    await db('evaluation_participation').insert({ scope, person_key: personKey });
  },

  /** The anonymous response: municipality, kind/session and answers only. */
  async addResponse(
    db: DbOrTrx,
    r: {
      municipalityCode: number;
      kind: EvaluationKind;
      courseSessionId: number | null;
      answers: Record<string, number>;
      comment: string | null;
    },
  ): Promise<void> {
    await db('evaluation_responses').insert({
      id: crypto.randomUUID(),
      municipality_code: r.municipalityCode,
      kind: r.kind,
      course_session_id: r.courseSessionId,
      answers: JSON.stringify(r.answers),
      comment: r.comment,
    });
  },

  async responses(
    db: DbOrTrx,
    where: { municipalityCode: number; kind: EvaluationKind; courseSessionId?: number },
  ): Promise<Array<{ answers: Record<string, number>; comment: string | null }>> {
    const q = db('evaluation_responses').where({
      municipality_code: where.municipalityCode,
      kind: where.kind,
    });
    if (where.courseSessionId !== undefined) q.where({ course_session_id: where.courseSessionId });
    const rows = await q.select('answers', 'comment');
    return rows.map((r) => ({
      answers: JSON.parse(r.answers) as Record<string, number>,
      comment: r.comment ?? null,
    }));
  },

  /** Every response's municipality and answers of one kind (comments stay unread). */
  async answersOfKind(
    db: DbOrTrx,
    kind: EvaluationKind,
  ): Promise<Array<{ municipalityCode: number; answers: Record<string, number> }>> {
    const rows = await db('evaluation_responses').where({ kind }).select('municipality_code', 'answers');
    return rows.map((r) => ({
      municipalityCode: Number(r.municipality_code),
      answers: JSON.parse(r.answers) as Record<string, number>,
    }));
  },
};
