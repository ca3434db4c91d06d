import { Router, type Request, type Response } from 'express';
import { Forbidden, NotFound } from '../shared/errors.js';
import { formHandler } from '../web/forms.js';
import { currentUser, handle, param, parseInput, requireRole, takeFlash } from '../web/http.js';
import type { RateLimit, RateLimiter } from '../web/rate-limit.js';
import { formatDanishDate, formatDecimal } from '../web/format.js';
import type { ElearningContent } from './content.loader.js';
import type { EvaluationKind } from './content.schemas.js';
import type { EvaluationsService } from './evaluations.service.js';
import type { CourseSession } from './evaluations.repository.js';
import { evaluationSchema, SCALE, sessionSchema } from './evaluations.schemas.js';
import { personOf, requirePerson } from './learner.gate.js';
import type { LearnersService } from './learners.service.js';

/** Course codes not found, per client address and window: a class typing its code is never slowed, guessing 6-character codes is. */
export const COURSE_CODE_LIMIT: RateLimit = { windowMs: 10 * 60_000, limit: 30 };

type Deps = {
  learners: LearnersService;
  evaluations: EvaluationsService;
  content: ElearningContent;
  publicUrl: string;
  rateLimits: RateLimiter;
};

/** Course evaluations (anonymous) and the project leader's course sessions with their k-protected results. */
export function evaluationRoutes(deps: Deps): Router {
  const router = Router();
  registerCodeEntry(router, deps);
  registerEvaluating(router, deps);
  registerCourses(router, deps);
  return router;
}

/** The form of one evaluation, empty or (status 422) with the errors and the values typed. */
function renderForm(
  res: Response,
  content: ElearningContent,
  kind: EvaluationKind,
  session: CourseSession | null,
  errors: Record<string, string> = {},
  values: Record<string, unknown> = {},
) {
  res.render('elearning/evaluation-form', {
    title: content.evaluations[kind].title,
    form: content.evaluations[kind],
    kind,
    action: session ? `/evaluering/kursus/${session.id}` : '/evaluering/e-laering',
    session: session ? { ...session, heldOnText: formatDanishDate(session.heldOn) } : null,
    scale: SCALE,
    errors,
    values,
  });
}

const renderDone = (res: Response, kind: EvaluationKind, already: boolean) =>
  res.render('elearning/evaluation-done', { title: 'Tak for din evaluering', already, kind });

/** The code a class types to find its course session. */
function registerCodeEntry(router: Router, { evaluations, rateLimits }: Deps): void {
  const codeGuard = rateLimits.failures(
    'course-code',
    COURSE_CODE_LIMIT,
    'For mange forkerte koder på kort tid.',
  );
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
}

/** The course session in the URL that this person (and their link, if any) may evaluate. */
async function sessionOf(
  evaluations: EvaluationsService,
  req: Request,
  res: Response,
): Promise<CourseSession> {
  const id = Number(param(req, 'id'));
  if (!Number.isInteger(id) || id < 1) throw new NotFound('Kurset findes ikke.');
  const link = req.session.link;
  if (link?.purpose === 'evaluation' && link.courseSessionId && link.courseSessionId !== id)
    throw new Forbidden('Dit link gælder et andet kursus.');
  return evaluations.sessionFor(personOf(res), id);
}

/** The e-learning's and a course session's evaluation: shown once per person, then submitted anonymously. */
function registerEvaluating(router: Router, { learners, evaluations, content }: Deps): void {
  const elearningPerson = requirePerson(learners, ['test', 'evaluation']);
  const classroomPerson = requirePerson(learners, ['evaluation']);
  const notForCourseLinks = (req: Request) => {
    if (req.session.link?.purpose === 'evaluation' && req.session.link.courseSessionId)
      throw new Forbidden('Dit link gælder evalueringen af tilstedeværelseskurset.');
  };
  const show = (
    kind: EvaluationKind,
    session: (req: Request, res: Response) => Promise<CourseSession | null>,
  ) =>
    handle(async (req, res) => {
      const s = await session(req, res);
      if (await evaluations.hasEvaluated(personOf(res), kind, s?.id ?? null))
        return renderDone(res, kind, true);
      renderForm(res, content, kind, s);
    });
  const submit = (
    kind: EvaluationKind,
    session: (req: Request, res: Response) => Promise<CourseSession | null>,
  ) =>
    formHandler(
      async (req, res) => {
        const s = await session(req, res);
        const person = personOf(res);
        const municipalityCode = s?.municipalityCode ?? person.municipalityCode;
        if (!municipalityCode) throw new Forbidden('Evalueringen kræver, at du hører til en kommune.');
        if (await evaluations.hasEvaluated(person, kind, s?.id ?? null))
          return renderDone(res.status(409), kind, true);
        const form = content.evaluations[kind];
        const parsed = parseInput(evaluationSchema(form), req.body, 'Svar på alle udsagn, før du sender.');
        await evaluations.submit(person, {
          kind,
          courseSessionId: s?.id ?? null,
          municipalityCode,
          answers: Object.fromEntries(form.items.map((i) => [i.id, parsed[i.id] as number])),
          comment: String(parsed[form.freeText.id] ?? '').trim() || null,
        });
        renderDone(res, kind, false);
      },
      async (req, res, err) =>
        renderForm(
          res,
          content,
          kind,
          await session(req, res),
          err.fields,
          (req.body ?? {}) as Record<string, unknown>,
        ),
    );
  const noSession = async (req: Request) => (notForCourseLinks(req), null);
  const courseSession = (req: Request, res: Response) => sessionOf(evaluations, req, res);

  router.get('/evaluering/e-laering', elearningPerson, show('elearning', noSession));
  router.post('/evaluering/e-laering', elearningPerson, submit('elearning', noSession));
  router.get('/evaluering/kursus/:id', classroomPerson, show('classroom', courseSession));
  router.post('/evaluering/kursus/:id', classroomPerson, submit('classroom', courseSession));
}

/** The course list with each session's k-protected report, and the e-learning's. */
async function renderCourses(
  { evaluations, publicUrl }: Deps,
  res: Response,
  municipalityCode: number,
  opts: { errors?: Record<string, string>; values?: Record<string, unknown>; flash?: string } = {},
) {
  const sessions = await evaluations.sessionsOf(municipalityCode);
  const reports = await Promise.all(
    sessions.map(async (s) => ({
      session: { ...s, heldOnText: formatDanishDate(s.heldOn) },
      report: await evaluations.sessionReport(s),
    })),
  );
  res.render('elearning/courses', {
    title: 'Kurser og kursusevalueringer',
    reports,
    elearningReport: await evaluations.elearningReport(municipalityCode),
    k: evaluations.k,
    errors: opts.errors ?? {},
    values: opts.values ?? {},
    flash: opts.flash,
    publicUrl,
    formatDecimal,
  });
}

/** The project leader's municipality. */
function municipalityOf(req: Request): number {
  const code = currentUser(req).municipalityCode;
  if (!code) throw new Forbidden();
  return code;
}

/** The project leader's course sessions, each with its evaluation under the k threshold. */
function registerCourses(router: Router, deps: Deps): void {
  const { evaluations } = deps;
  router.get(
    '/kommune/kurser',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const code = municipalityOf(req);
      await renderCourses(deps, res, code, { flash: takeFlash(req) ?? undefined });
    }),
  );

  router.post(
    '/kommune/kurser',
    requireRole('projektleder'),
    formHandler(
      async (req, res) => {
        const code = municipalityOf(req);
        const input = parseInput(sessionSchema, req.body);
        const s = await evaluations.createSession({
          municipalityCode: code,
          ...input,
          userId: currentUser(req).id,
        });
        req.session.flash = `Kurset er oprettet. Deltagerne evaluerer med koden ${s.code}.`;
        res.redirect(303, '/kommune/kurser');
      },
      (req, res, err) =>
        renderCourses(deps, res, municipalityOf(req), {
          errors: err.fields,
          values: (req.body ?? {}) as Record<string, unknown>,
        }),
    ),
  );
}
