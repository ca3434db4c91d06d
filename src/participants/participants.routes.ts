import { Router, type Request, type Response } from 'express';
import { currentUser, handle, idParam, requireRole, takeFlash } from '../web/http.js';
import { formHandler } from '../web/forms.js';
import { csvUpload } from '../web/upload.js';
import { ImportRejected, type ValidationError } from '../shared/errors.js';
import { policy } from '../auth/index.js';
import { SURVEY_GROUPS, SURVEY_GROUP_LABELS } from './survey-groups.js';
import type { ParticipantsService } from './participants.service.js';
import type { PersonalDataService } from './personal-data.service.js';
import { parseParticipantForm } from './participants.schemas.js';

type Deps = { participants: ParticipantsService; personalData: PersonalDataService };

/** The labels the participant views use. */
const view = { SURVEY_GROUPS, SURVEY_GROUP_LABELS };

/** The list page; after a refused form or import, with status 422 (set by formHandler) and what went wrong. */
async function renderList(
  deps: Deps,
  req: Request,
  res: Response,
  refused?: { err: ValidationError; values?: unknown; importing?: boolean },
) {
  const code = policy.municipalityManager(currentUser(req));
  const importing = Boolean(refused?.importing);
  res.render('surveys/participants', {
    title: 'Deltagere',
    participants: await deps.participants.list(code),
    values: refused?.values ?? {},
    errors: refused && !importing ? refused.err.fields : {},
    problems: refused?.err instanceof ImportRejected ? refused.err.problems : [],
    ...(importing ? { importError: refused!.err.message } : {}),
    notice: refused ? null : takeFlash(req),
    ...view,
  });
}

/** The list, adding one participant, and importing a CSV (all rows or none). */
function registerList(router: Router, deps: Deps): void {
  router.get(
    '/kommune/deltagere',
    requireRole('projektleder'),
    handle((req, res) => renderList(deps, req, res)),
  );
  router.post(
    '/kommune/deltagere',
    requireRole('projektleder'),
    formHandler(
      async (req, res) => {
        const user = currentUser(req);
        await deps.participants.add(
          policy.municipalityManager(user),
          parseParticipantForm(req.body),
          user.id,
        );
        req.session.flash = 'Deltageren er tilføjet.';
        res.redirect(303, '/kommune/deltagere');
      },
      (req, res, err) => renderList(deps, req, res, { err, values: req.body }),
    ),
  );
  router.post(
    '/kommune/deltagere/import',
    requireRole('projektleder'),
    csvUpload.single('fil'),
    formHandler(
      async (req, res) => {
        const user = currentUser(req);
        const code = policy.municipalityManager(user);
        const text = req.file
          ? req.file.buffer.toString('utf8')
          : typeof req.body?.csv === 'string'
            ? req.body.csv
            : '';
        const result = await deps.participants.importCsv(code, text, user.id);
        req.session.flash = `Importen lykkedes: ${result.created} nye og ${result.updated} opdaterede deltagere.`;
        res.redirect(303, '/kommune/deltagere');
      },
      (req, res, err) => renderList(deps, req, res, { err, importing: true }),
    ),
  );
}

/** The edit page of one participant; after a refused form, with what was typed and the errors. */
async function renderEdit(deps: Deps, req: Request, res: Response, err?: ValidationError) {
  const code = policy.municipalityManager(currentUser(req));
  const p = await deps.participants.get(code, idParam(req, 'id'));
  res.render('surveys/participant-edit', {
    title: `Ret deltager: ${p.name}`,
    participant: p,
    values: err ? req.body : { ...p, superuser: p.superuser ? 'ja' : '' },
    errors: err ? err.fields : {},
    ...view,
  });
}

/** Editing one participant. */
function registerEdit(router: Router, deps: Deps): void {
  router.get(
    '/kommune/deltagere/:id',
    requireRole('projektleder'),
    handle((req, res) => renderEdit(deps, req, res)),
  );
  router.post(
    '/kommune/deltagere/:id',
    requireRole('projektleder'),
    formHandler(
      async (req, res) => {
        const user = currentUser(req);
        const code = policy.municipalityManager(user);
        const id = idParam(req, 'id');
        // Someone else's participant is a 404 before the form is looked at.
        await deps.participants.get(code, id);
        await deps.participants.update(code, id, parseParticipantForm(req.body), user.id);
        req.session.flash = 'Deltageren er opdateret.';
        res.redirect(303, '/kommune/deltagere');
      },
      (req, res, err) => renderEdit(deps, req, res, err),
    ),
  );
}

/** A person's data: the export for a request of access, and erasure. */
function registerPersonalData(router: Router, deps: Deps): void {
  router.get(
    '/kommune/deltagere/:id/data',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const data = await deps.personalData.exportPerson(
        policy.municipalityManager(user),
        idParam(req, 'id'),
        user.id,
      );
      res.setHeader('Content-Disposition', 'attachment; filename="persondata.json"');
      res.setHeader('Cache-Control', 'no-store');
      res.type('application/json').send(JSON.stringify(data, null, 2));
    }),
  );
  router.post(
    '/kommune/deltagere/:id/slet',
    requireRole('projektleder'),
    handle(async (req, res) => {
      const user = currentUser(req);
      await deps.personalData.remove(policy.municipalityManager(user), idParam(req, 'id'), user.id);
      req.session.flash = 'Deltageren er fjernet.';
      res.redirect(303, '/kommune/deltagere');
    }),
  );
}

/** The project leader's participant list: import, add, edit, export and erase a person's data. */
export function participantsRoutes(deps: Deps): Router {
  const router = Router();
  registerList(router, deps);
  registerEdit(router, deps);
  registerPersonalData(router, deps);
  return router;
}
