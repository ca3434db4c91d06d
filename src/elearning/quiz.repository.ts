import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';
import type { DrawnQuestion } from './quiz.draw.js';

export type AttemptRow = {
  id: number;
  learnerId: number;
  startedAt: Date;
  submittedAt: Date | null;
  questionCount: number;
  correctCount: number | null;
  passPercent: number;
  passed: boolean | null;
};

export type AttemptItemRow = {
  position: number;
  questionId: string;
  objectiveId: string;
  optionOrder: string[];
  /** The opaque token the page carries for each option, aligned with optionOrder; empty for attempts older than tokens. */
  optionTokens: string[];
  selected: string[] | null;
  correct: boolean | null;
};

/** One attempt as the figures count it. */
export type AttemptScore = {
  learnerId: number;
  submitted: boolean;
  passed: boolean;
  correctCount: number;
  questionCount: number;
};

const toDate = (v: unknown): Date =>
  v instanceof Date ? v : new Date(typeof v === 'number' ? v : String(v));

function toAttempt(r: Record<string, unknown>): AttemptRow {
  return {
    id: Number(r.id),
    learnerId: Number(r.learner_id),
    startedAt: toDate(r.started_at),
    submittedAt: r.submitted_at === null || r.submitted_at === undefined ? null : toDate(r.submitted_at),
    questionCount: Number(r.question_count),
    correctCount: r.correct_count === null ? null : Number(r.correct_count),
    passPercent: Number(r.pass_percent),
    passed: r.passed === null ? null : Boolean(r.passed),
  };
}

/** SQL for final-test attempts; callers own the transaction. */
export const quizRepository = {
  async unfinished(db: DbOrTrx, learnerId: number): Promise<AttemptRow | null> {
    const r = await db('quiz_attempts')
      .where({ learner_id: learnerId })
      .whereNull('submitted_at')
      .orderBy('id', 'desc')
      .first();
    return r ? toAttempt(r) : null;
  },

  /** Drops an unfinished attempt (one drawn from an older question bank). */
  async dropUnfinished(db: DbOrTrx, id: number): Promise<void> {
    await db('quiz_attempts').where({ id }).whereNull('submitted_at').delete();
  },

  async byId(db: DbOrTrx, id: number): Promise<AttemptRow | null> {
    const r = await db('quiz_attempts').where({ id }).first();
    return r ? toAttempt(r) : null;
  },

  async submittedFor(db: DbOrTrx, learnerId: number): Promise<AttemptRow[]> {
    const rows = await db('quiz_attempts')
      .where({ learner_id: learnerId })
      .whereNotNull('submitted_at')
      .orderBy('id');
    return rows.map(toAttempt);
  },

  async create(
    db: DbOrTrx,
    a: {
      learnerId: number;
      startedAt: Date;
      passPercent: number;
      items: Array<DrawnQuestion & { optionTokens: string[] }>;
    },
  ): Promise<number> {
    const [row] = await db('quiz_attempts')
      .insert({
        learner_id: a.learnerId,
        started_at: a.startedAt,
        question_count: a.items.length,
        pass_percent: a.passPercent,
      })
      .returning('id');
    const id = Number(typeof row === 'object' ? row.id : row);
    await db('quiz_attempt_items').insert(
      a.items.map((q, i) => ({
        attempt_id: id,
        position: i + 1,
        question_id: q.questionId,
        objective_id: q.objectiveId,
        option_order: JSON.stringify(q.optionOrder),
        option_tokens: JSON.stringify(q.optionTokens),
        selected: null,
        correct: null,
      })),
    );
    return id;
  },

  async items(db: DbOrTrx, attemptId: number): Promise<AttemptItemRow[]> {
    const rows = await db('quiz_attempt_items').where({ attempt_id: attemptId }).orderBy('position');
    return rows.map((r) => ({
      position: Number(r.position),
      questionId: r.question_id,
      objectiveId: r.objective_id,
      optionOrder: JSON.parse(r.option_order) as string[],
      optionTokens: r.option_tokens ? (JSON.parse(r.option_tokens) as string[]) : [],
      selected: r.selected === null ? null : (JSON.parse(r.selected) as string[]),
      correct: r.correct === null ? null : Boolean(r.correct),
    }));
  },

  /** Locks an open attempt for a draft save; false when it is submitted (or not the learner's). */
  async touchOpen(db: DbOrTrx, attemptId: number, learnerId: number): Promise<boolean> {
    const n = await db('quiz_attempts')
      .where({ id: attemptId, learner_id: learnerId })
      .whereNull('submitted_at')
      .update({ learner_id: learnerId });
    return n === 1;
  },

  /** The one conditional UPDATE that makes submission happen once, even for parallel requests. */
  async claimSubmission(db: DbOrTrx, attemptId: number, learnerId: number, at: Date): Promise<boolean> {
    const n = await db('quiz_attempts')
      .where({ id: attemptId, learner_id: learnerId })
      .whereNull('submitted_at')
      .update({ submitted_at: at });
    return n === 1;
  },

  async saveItem(
    db: DbOrTrx,
    attemptId: number,
    position: number,
    selected: string[] | null,
    correct: boolean | null,
  ): Promise<void> {
    await db('quiz_attempt_items')
      .where({ attempt_id: attemptId, position })
      .update({ selected: selected === null ? null : JSON.stringify(selected), correct });
  },

  async saveTokens(db: DbOrTrx, attemptId: number, position: number, tokens: string[]): Promise<void> {
    await db('quiz_attempt_items')
      .where({ attempt_id: attemptId, position })
      .update({ option_tokens: JSON.stringify(tokens) });
  },

  async saveScore(db: DbOrTrx, attemptId: number, correctCount: number, passed: boolean): Promise<void> {
    await db('quiz_attempts').where({ id: attemptId }).update({ correct_count: correctCount, passed });
  },

  /** These learners' attempts for the GDPR export. */
  async exportFor(db: DbOrTrx, learnerIds: readonly number[]): Promise<Array<Record<string, unknown>>> {
    return db('quiz_attempts')
      .whereIn('learner_id', learnerIds)
      .select('started_at', 'submitted_at', 'question_count', 'correct_count', 'passed');
  },

  /** Attempts of the learners in `learners` (a builder from learnersRepository.scope), by learner and hand-in time. */
  async attemptsIn(db: DbOrTrx, learners: Knex.QueryBuilder): Promise<AttemptScore[]> {
    const rows = await db('quiz_attempts as a')
      .join(learners.as('l'), 'l.id', 'a.learner_id')
      .orderBy([{ column: 'a.learner_id' }, { column: 'a.submitted_at' }, { column: 'a.id' }])
      .select('a.learner_id', 'a.submitted_at', 'a.passed', 'a.correct_count', 'a.question_count');
    return rows.map((a) => ({
      learnerId: Number(a.learner_id),
      submitted: a.submitted_at !== null,
      passed: Boolean(a.passed),
      correctCount: Number(a.correct_count ?? 0),
      questionCount: Number(a.question_count),
    }));
  },

  /** Every answered item of a submitted attempt with its attempt's score, for the item statistics. */
  async submittedItems(
    db: DbOrTrx,
  ): Promise<Array<{ questionId: string; correct: boolean; correctCount: number; questionCount: number }>> {
    const rows = await db('quiz_attempt_items as i')
      .join('quiz_attempts as a', 'a.id', 'i.attempt_id')
      .whereNotNull('a.submitted_at')
      .select('i.question_id', 'i.correct', 'a.correct_count', 'a.question_count');
    return rows.map((r) => ({
      questionId: String(r.question_id),
      correct: Boolean(r.correct),
      correctCount: Number(r.correct_count),
      questionCount: Number(r.question_count),
    }));
  },
};
