import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { Conflict, Forbidden, NotFound } from '../shared/errors.js';
import { commentsPublishable, effectiveK, publishComments, suppressBelowK } from '../shared/k-anonymity.js';
import { randomCode } from '../shared/random.js';
import type { ElearningContent } from './content.loader.js';
import type { EvaluationForm, EvaluationKind } from './content.schemas.js';
import type { LearnerIdentity } from './learners.js';
import { evaluationsRepository, type CourseSession } from './evaluations.repository.js';
import { isUniqueViolation } from '../db/errors.js';

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

export type EvaluationRow = { answers: Record<string, number>; comment: string | null };

/**
 * One evaluation report under threshold k: the item means only from k responses up, and the comments
 * (pooled and shuffled) only from max(k, 10); null when they may not be shown.
 */
export function evaluationReport(
  form: Pick<EvaluationForm, 'items'>,
  rows: readonly EvaluationRow[],
  k: number,
): EvaluationReport {
  const n = rows.length;
  const suppressed = suppressBelowK(n, k);
  const items = form.items.map((item) => {
    const values = rows.map((r) => r.answers[item.id]).filter((v): v is number => typeof v === 'number');
    const mean = suppressed || !values.length ? null : values.reduce((a, b) => a + b, 0) / values.length;
    return { id: item.id, kind: item.kind, text: item.text, mean };
  });
  const comments = commentsPublishable(n, k)
    ? publishComments(
        rows.map((r) => r.comment),
        n,
        k,
      )
    : null;
  return { n, k: effectiveK(k), suppressed, items, comments };
}

const alreadyEvaluated = () =>
  new Conflict('Du har allerede evalueret. Tak for din besvarelse – du kan kun evaluere én gang.');

type Deps = { db: Db; clock: Clock; content: ElearningContent; k: number };

async function createSession(
  { db, clock }: Deps,
  input: { municipalityCode: number; title: string; place: string; heldOn: string; userId: number },
): Promise<CourseSession> {
  return db.transaction(async (trx) => {
    let code = randomCode(SESSION_CODE_LENGTH);
    while (await evaluationsRepository.codeExists(trx, code)) code = randomCode(SESSION_CODE_LENGTH);
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
}

/** The course session a person may evaluate: their own municipality, and only if the classroom course applies to them. */
async function sessionFor({ db }: Deps, person: LearnerIdentity, id: number): Promise<CourseSession> {
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
}

/** What a person submits; the stored response keeps municipality, kind/session, answers and comment only. */
export type EvaluationInput = {
  kind: EvaluationKind;
  courseSessionId: number | null;
  municipalityCode: number;
  answers: Record<string, number>;
  comment: string | null;
};

/** One evaluation per person and scope; the response itself carries no trace of who gave it. */
async function submit({ db }: Deps, person: LearnerIdentity, input: EvaluationInput): Promise<void> {
  const scope = scopeOf(input.kind, input.courseSessionId);
  try {
    await db.transaction(async (trx) => {
      if (await evaluationsRepository.hasParticipated(trx, scope, person.key)) throw alreadyEvaluated();
      await evaluationsRepository.addParticipation(trx, scope, person.key);
      await evaluationsRepository.addResponse(trx, input);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw alreadyEvaluated();
    throw err;
  }
}

/**
 * One report per municipality among `codes` that has responses of this kind, each under the same k rule as
 * the municipality's own report; comments are not read (the national view has none).
 */
async function municipalityReports(
  { db, content, k }: Deps,
  kind: EvaluationKind,
  codes: readonly number[],
): Promise<EvaluationReport[]> {
  const set = new Set(codes);
  const byCode = new Map<number, EvaluationRow[]>();
  for (const r of await evaluationsRepository.answersOfKind(db, kind)) {
    if (!set.has(r.municipalityCode)) continue;
    const list = byCode.get(r.municipalityCode) ?? [];
    list.push({ answers: r.answers, comment: null });
    byCode.set(r.municipalityCode, list);
  }
  return [...byCode.values()].map((rows) => evaluationReport(content.evaluations[kind], rows, k));
}

/** Course sessions and anonymous course evaluations (PRODUCT.md "Anonymity" applies). */
export function createEvaluationsService(opts: {
  db: Db;
  clock: Clock;
  content: ElearningContent;
  kThreshold: number;
}) {
  const deps: Deps = { ...opts, k: effectiveK(opts.kThreshold) };
  const { db, content, k } = deps;
  const responses = (where: Parameters<typeof evaluationsRepository.responses>[1]) =>
    evaluationsRepository.responses(db, where);
  const report = (kind: EvaluationKind, rows: EvaluationRow[]): EvaluationReport =>
    evaluationReport(content.evaluations[kind], rows, k);

  return {
    k,
    createSession: (input: Parameters<typeof createSession>[1]) => createSession(deps, input),
    sessionsOf: (municipalityCode: number) => evaluationsRepository.sessionsOf(db, municipalityCode),
    sessionByCode: (code: string) =>
      evaluationsRepository.sessionByCode(db, code.toUpperCase().replace(/[\s-]/g, '')),
    sessionFor: (person: LearnerIdentity, id: number) => sessionFor(deps, person, id),
    hasEvaluated: (person: LearnerIdentity, kind: EvaluationKind, courseSessionId: number | null) =>
      evaluationsRepository.hasParticipated(db, scopeOf(kind, courseSessionId), person.key),
    submit: (person: LearnerIdentity, input: EvaluationInput) => submit(deps, person, input),
    /** Means per item only from k responses up. */
    elearningReport: async (municipalityCode: number) =>
      report('elearning', await responses({ municipalityCode, kind: 'elearning' })),
    /** Every classroom session of the municipality pooled (for the dashboard). */
    classroomReport: async (municipalityCode: number) =>
      report('classroom', await responses({ municipalityCode, kind: 'classroom' })),
    sessionReport: async (session: CourseSession) =>
      report(
        'classroom',
        await responses({
          municipalityCode: session.municipalityCode,
          kind: 'classroom',
          courseSessionId: session.id,
        }),
      ),
    /** Each municipality's own report (for the national figures, which combine the published ones). */
    municipalityReports: (kind: EvaluationKind, codes: readonly number[]) =>
      municipalityReports(deps, kind, codes),
  };
}

/** Course sessions and evaluations as routes and reports use them. */
export type EvaluationsService = ReturnType<typeof createEvaluationsService>;
