import crypto from 'node:crypto';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { Conflict, Forbidden, NotFound } from '../shared/errors.js';
import { COMMENT_MIN_RESPONDENTS, effectiveK } from '../surveys/anonymity.js';
import type { ElearningContent } from './content.loader.js';
import type { EvaluationKind } from './content.schemas.js';
import { CODE_ALPHABET } from './certificates.js';
import type { LearnerIdentity } from './learners.js';
import { evaluationsRepository, type CourseSession } from './evaluations.repository.js';
import { isUniqueViolation } from '../db/unique-violation.js';

/** Length of the short code a project leader hands out for a course session. */
export const SESSION_CODE_LENGTH = 6;

export const scopeOf = (kind: EvaluationKind, courseSessionId: number | null): string =>
  kind === 'elearning' ? 'e-laering' : `kursus:${courseSessionId}`;

export type ItemReport = { id: string; kind: 'satisfaction' | 'outcome'; text: string; mean: number | null };
export type EvaluationReport = {
  n: number;
  k: number;
  suppressed: boolean;
  items: ItemReport[];
  comments: string[] | null;
};

const alreadyEvaluated = () =>
  new Conflict('Du har allerede evalueret. Tak for din besvarelse – du kan kun evaluere én gang.');

/** Course sessions and anonymous course evaluations (PRODUCT.md "Anonymity" applies). */
export function createEvaluationsService({
  db,
  clock,
  content,
  kThreshold,
}: {
  db: Db;
  clock: Clock;
  content: ElearningContent;
  kThreshold: number;
}) {
  const k = effectiveK(kThreshold);

  const report = (
    kind: EvaluationKind,
    rows: Array<{ answers: Record<string, number>; comment: string | null }>,
  ): EvaluationReport => {
    const n = rows.length;
    const suppressed = n < k;
    const items = content.evaluations[kind].items.map((item) => {
      const values = rows.map((r) => r.answers[item.id]).filter((v): v is number => typeof v === 'number');
      const mean = suppressed || !values.length ? null : values.reduce((a, b) => a + b, 0) / values.length;
      return { id: item.id, kind: item.kind, text: item.text, mean };
    });
    const texts = rows.map((r) => r.comment).filter((c): c is string => Boolean(c && c.trim()));
    // Comments are pooled, shuffled and only shown from the survey's comment minimum up, never below k.
    const comments = n >= Math.max(k, COMMENT_MIN_RESPONDENTS) ? shuffle(texts) : null;
    return { n, k, suppressed, items, comments };
  };

  return {
    k,

    async createSession(input: {
      municipalityCode: number;
      title: string;
      place: string;
      heldOn: string;
      userId: number;
    }): Promise<CourseSession> {
      return db.transaction(async (trx) => {
        let code = randomCode();
        while (await evaluationsRepository.codeExists(trx, code)) code = randomCode();
        const id = await evaluationsRepository.createSession(trx, {
          ...input,
          code,
          createdByUserId: input.userId,
          createdAt: clock.now(),
        });
        await audit(trx, {
          actorUserId: input.userId,
          action: 'course_session.create',
          subject: `course_session:${id}`,
          at: clock.now(),
        });
        return (await evaluationsRepository.sessionById(trx, id))!;
      });
    },

    sessionsOf: (municipalityCode: number) => evaluationsRepository.sessionsOf(db, municipalityCode),
    sessionByCode: (code: string) =>
      evaluationsRepository.sessionByCode(db, code.toUpperCase().replace(/[\s-]/g, '')),

    /** The course session a person may evaluate: their own municipality, and only if the classroom course applies to them. */
    async sessionFor(person: LearnerIdentity, id: number): Promise<CourseSession> {
      const s = await evaluationsRepository.sessionById(db, id);
      if (!s) throw new NotFound('Kurset findes ikke. Tjek koden, du har fået af din KSD-projektleder.');
      if (s.municipalityCode !== person.municipalityCode)
        throw new Forbidden('Kurset hører til en anden kommune end din.');
      if (!person.classroom) {
        throw new Forbidden(
          'Tilstedeværelseskurset er for sagsbehandlere i ydelsescentret og superbrugere. Du bliver uddannet via e-læringen, som du kan evaluere under E-læring.',
        );
      }
      return s;
    },

    hasEvaluated: (person: LearnerIdentity, kind: EvaluationKind, courseSessionId: number | null) =>
      evaluationsRepository.hasParticipated(db, scopeOf(kind, courseSessionId), person.key),

    /** One evaluation per person and scope; the response itself carries no trace of who gave it. */
    async submit(
      person: LearnerIdentity,
      input: {
        kind: EvaluationKind;
        courseSessionId: number | null;
        municipalityCode: number;
        answers: Record<string, number>;
        comment: string | null;
      },
    ): Promise<void> {
      try {
        await db.transaction(async (trx) => {
          if (
            await evaluationsRepository.hasParticipated(
              trx,
              scopeOf(input.kind, input.courseSessionId),
              person.key,
            )
          )
            throw alreadyEvaluated();
          await evaluationsRepository.addParticipation(
            trx,
            scopeOf(input.kind, input.courseSessionId),
            person.key,
          );
          await evaluationsRepository.addResponse(trx, input);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw alreadyEvaluated();
        throw err;
      }
    },

    /** Means per item only from k responses up. */
    async elearningReport(municipalityCode: number): Promise<EvaluationReport> {
      return report(
        'elearning',
        await evaluationsRepository.responses(db, { municipalityCode, kind: 'elearning' }),
      );
    },

    /** Every classroom session of the municipality pooled (for the dashboard). */
    async classroomReport(municipalityCode: number): Promise<EvaluationReport> {
      return report(
        'classroom',
        await evaluationsRepository.responses(db, { municipalityCode, kind: 'classroom' }),
      );
    },

    async sessionReport(session: CourseSession): Promise<EvaluationReport> {
      return report(
        'classroom',
        await evaluationsRepository.responses(db, {
          municipalityCode: session.municipalityCode,
          kind: 'classroom',
          courseSessionId: session.id,
        }),
      );
    },
  };
}

export type EvaluationsService = ReturnType<typeof createEvaluationsService>;

function randomCode(): string {
  let out = '';
  for (let i = 0; i < SESSION_CODE_LENGTH; i++)
    out += CODE_ALPHABET[crypto.randomInt(0, CODE_ALPHABET.length)];
  return out;
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = crypto.randomInt(0, i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
