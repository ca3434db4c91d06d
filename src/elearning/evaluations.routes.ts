import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Db } from '../db/knex.js';
import { Forbidden, NotFound, ValidationError } from '../shared/errors.js';
import { currentUser, handle, param, parseInput, requireRole, takeFlash } from '../web/http.js';
import type { RateLimit, RateLimiter } from '../web/rate-limit.js';
import type { ElearningContent } from './content.loader.js';
import type { EvaluationForm, EvaluationKind } from './content.schemas.js';
import type { EvaluationsService } from './evaluations.service.js';
import type { CourseSession } from './evaluations.repository.js';
import { personOf, requirePerson } from './learner.gate.js';
import { formatDanishDate, formatDecimal } from '../web/format.js';

export const SCALE = [
  { value: 1, label: 'Helt uenig' },
  { value: 2, label: 'Uenig' },
  { value: 3, label: 'Hverken enig eller uenig' },
  { value: 4, label: 'Enig' },
  { value: 5, label: 'Helt enig' },
];

/** The answer schema of one evaluation form: every item 1–5, free text optional. */
export function evaluationSchema(form: EvaluationForm) {
  const items = Object.fromEntries(
    form.items.map((i) => [
      i.id,
      z.enum(['1', '2', '3', '4', '5'], { error: `Vælg et svar fra 1 til 5: "${i.text}"` }).transform(Number),
    ]),
  );
  return z.object({
    ...items,
    [form.freeText.id]: z
      .string()
      .trim()
      .max(2000, 'Kommentaren må højst være 2000 tegn.')
      .optional()
      .default(''),
  });
}

/** Course codes not found, per client address and window: a class typing its code is never slowed, guessing 6-character codes is. */
export const COURSE_CODE_LIMIT: RateLimit = { windowMs: 10 * 60_000, limit: 30 };

const sessionSchema = z.object({
  title: z.string().trim().min(1, 'Skriv kursets titel.').max(200, 'Titlen må højst være 200 tegn.'),
  place: z.string().trim().min(1, 'Skriv, hvor kurset holdes.').max(200, 'Stedet må højst være 200 tegn.'),
  heldOn: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'Skriv datoen som åååå-mm-dd.')
    .refine(
      (s) =>
        !Number.isNaN(new Date(`${s}T00:00:00Z`).getTime()) &&
        new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
      'Datoen findes ikke.',
    ),
});

/** Course evaluations (anonymous) and the project leader's course sessions with their k-protected results. */
export function evaluationRoutes({
  db,
  evaluations,
  content,
  publicUrl,
  rateLimits,
}: {
  db: Db;
  evaluations: EvaluationsService;
  content: ElearningContent;
  publicUrl: string;
  rateLimits: RateLimiter;
}): Router {
  const codeGuard = rateLimits.failures(
    'course-code',
    COURSE_CODE_LIMIT,
    'For mange forkerte koder på kort tid.',
  );
  const router = Router();
  const elearningPerson = requirePerson(db, ['test', 'evaluation']);
  const classroomPerson = requirePerson(db, ['evaluation']);

  const renderForm = (
    res: Response,
    kind: EvaluationKind,
    action: string,
    session: CourseSession | null,
    status = 200,
    errors: Record<string, string> = {},
    values: Record<string, unknown> = {},
  ) =>
    res.status(status).render('elearning/evaluation-form', {
      title: content.evaluations[kind].title,
      form: content.evaluations[kind],
      kind,
      action,
      session: session ? { ...session, heldOnText: formatDanishDate(session.heldOn) } : null,
      scale: SCALE,
      errors,
      values,
    });

  const handleSubmit = async (
    res: Response,
    body: unknown,
    kind: EvaluationKind,
    session: CourseSession | null,
    action: string,
  ) => {
    const person = personOf(res);
    const form = content.evaluations[kind];
    const municipalityCode = session?.municipalityCode ?? person.municipalityCode;
    if (!municipalityCode) throw new Forbidden('Evalueringen kræver, at du hører til en kommune.');
    if (await evaluations.hasEvaluated(person, kind, session?.id ?? null))
      return res
        .status(409)
        .render('elearning/evaluation-done', { title: 'Tak for din evaluering', already: true, kind });
    let parsed: Record<string, unknown>;
    try {
      parsed = parseInput(evaluationSchema(form), body, 'Svar på alle udsagn, før du sender.') as Record<
        string,
        unknown
      >;
    } catch (err) {
      if (err instanceof ValidationError)
        return renderForm(
          res,
          kind,
          action,
          session,
          422,
          err.fields,
          (body ?? {}) as Record<string, unknown>,
        );
      throw err;
    }
    const answers = Object.fromEntries(form.items.map((i) => [i.id, parsed[i.id] as number]));
    const comment = String(parsed[form.freeText.id] ?? '').trim() || null;
    await evaluations.submit(person, {
      kind,
      courseSessionId: session?.id ?? null,
      municipalityCode,
      answers,
      comment,
    });
    res.render('elearning/evaluation-done', { title: 'Tak for din evaluering', already: false, kind });
  };

  router.get(
    '/evaluering',
    codeGuard.check,
    handle(async (req, res) => {
      const code = typeof req.query.kode === 'string' ? req.query.kode.trim() : '';
      if (!code)
        return res.render('elearning/evaluation-code', { title: 'Evaluer et kursus', code: '', error: null });
      const s = await evaluations.sessionByCode(code);
      if (s) return res.redirect(303, `/evaluering/kursus/${s.id}`);
      await codeGuard.fail(req, res);
      res.status(404).render('elearning/evaluation-code', {
        title: 'Evaluer et kursus',
        code,
        error: 'Koden findes ikke. Tjek, at du har skrevet den rigtigt.',
      });
    }),
  );

  router.get(
    '/evaluering/e-laering',
    elearningPerson,
    handle(async (req, res) => {
      const person = personOf(res);
      if (req.session.link?.purpose === 'evaluation' && req.session.link.courseSessionId)
        throw new Forbidden('Dit link gælder evalueringen af tilstedeværelseskurset.');
      if (await evaluations.hasEvaluated(person, 'elearning', null))
        return res.render('elearning/evaluation-done', {
          title: 'Tak for din evaluering',
          already: true,
          kind: 'elearning',
        });
      renderForm(res, 'elearning', '/evaluering/e-laering', null);
    }),
  );

  router.post(
    '/evaluering/e-laering',
    elearningPerson,
    handle(async (req, res) => {
      if (req.session.link?.purpose === 'evaluation' && req.session.link.courseSessionId)
        throw new Forbidden('Dit link gælder evalueringen af tilstedeværelseskurset.');
      await handleSubmit(res, req.body, 'elearning', null, '/evaluering/e-laering');
    }),
  );

  const sessionOf = async (
    req: Parameters<Parameters<typeof handle>[0]>[0],
    res: Response,
  ): Promise<CourseSession> => {
    const id = Number(param(req, 'id'));
    if (!Number.isInteger(id) || id < 1) throw new NotFound('Kurset findes ikke.');
    const link = req.session.link;
    if (link?.purpose === 'evaluation' && link.courseSessionId && link.courseSessionId !== id)
      throw new Forbidden('Dit link gælder et andet kursus.');
    return evaluations.sessionFor(personOf(res), id);
  };

  router.get(
    '/evaluering/kursus/:id',
    classroomPerson,
    handle(async (req, res) => {
      const session = await sessionOf(req, res);
      if (await evaluations.hasEvaluated(personOf(res), 'classroom', session.id))
        return res.render('elearning/evaluation-done', {
          title: 'Tak for din evaluering',
          already: true,
          kind: 'classroom',
        });
      renderForm(res, 'classroom', `/evaluering/kursus/${session.id}`, session);
    }),
  );

  router.post(
    '/evaluering/kursus/:id',
    classroomPerson,
    handle(async (req, res) => {
      const session = await sessionOf(req, res);
      await handleSubmit(res, req.body, 'classroom', session, `/evaluering/kursus/${session.id}`);
    }),
  );

  const renderCourses = async (
    res: Response,
    municipalityCode: number,
    status = 200,
    errors: Record<string, string> = {},
    values: Record<string, unknown> = {},
    flash?: string,
  ) => {
    const sessions = await evaluations.sessionsOf(municipalityCode);
    const reports = await Promise.all(
      sessions.map(async (s) => ({
        session: { ...s, heldOnText: formatDanishDate(s.heldOn) },
        report: await evaluations.sessionReport(s),
      })),
    );
    res.status(status).render('elearning/courses', {
      title: 'Kurser og kursusevalueringer',
      reports,
      elearningReport: await evaluations.elearningReport(municipalityCode),
      k: evaluations.k,
      errors,
      values,
      flash,
      publicUrl,
      formatDecimal,
    });
  };

  router.get(
    '/kommune/kurser',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      if (!user.municipalityCode) throw new Forbidden();
      const flash = takeFlash(req);
      await renderCourses(res, user.municipalityCode, 200, {}, {}, flash ?? undefined);
    }),
  );

  router.post(
    '/kommune/kurser',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      if (!user.municipalityCode) throw new Forbidden();
      let input: z.infer<typeof sessionSchema>;
      try {
        input = parseInput(sessionSchema, req.body);
      } catch (err) {
        if (err instanceof ValidationError)
          return renderCourses(
            res,
            user.municipalityCode,
            422,
            err.fields,
            (req.body ?? {}) as Record<string, unknown>,
          );
        throw err;
      }
      const s = await evaluations.createSession({
        municipalityCode: user.municipalityCode,
        ...input,
        userId: user.id,
      });
      req.session.flash = `Kurset er oprettet. Deltagerne evaluerer med koden ${s.code}.`;
      res.redirect(303, '/kommune/kurser');
    }),
  );

  return router;
}
