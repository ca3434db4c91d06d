import { Router } from 'express';
import { z } from 'zod';
import type { Db } from '../db/knex.js';
import { currentUser, handle, idParam, requireRole, takeFlash } from '../web/http.js';
import { policy } from '../auth/policy.js';
import { NotFound, ValidationError } from '../shared/errors.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';
import { parsePlanCsv } from '../municipalities/plan-import.js';
import type { RoundsService } from './rounds.service.js';
import { roundsRepository } from './rounds.repository.js';
import { upload, view } from './surveys.view.js';

/** KOMBIT's control of the rounds: waves and go-live (form and CSV), and opening, closing or extending by hand. */
export function roundsRoutes(deps: { db: Db; rounds: RoundsService }): Router {
  const router = Router();
  const { db } = deps;
  router.get(
    '/national/kommuner/:code',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      const m = await municipalitiesRepository.byCode(db, idParam(req, 'code'));
      if (!m) throw new NotFound('Kommunen findes ikke.');
      const rounds = await roundsRepository.forMunicipality(db, m.code);
      res.render('surveys/kombit-municipality', {
        title: `${m.name} Kommune`,
        municipality: m,
        rounds,
        values: { wave: m.wave ?? '', goLive: m.goLive ?? '' },
        errors: {},
        notice: takeFlash(req),
        ...view,
      });
    }),
  );

  router.get(
    '/national/plan',
    requireRole('kombit'),
    handle(async (req, res) => {
      policy.national(currentUser(req));
      res.render('surveys/plan-import', {
        title: 'Bølger og go-live fra CSV',
        problems: [],
        notice: takeFlash(req),
      });
    }),
  );

  router.post(
    '/national/plan',
    requireRole('kombit'),
    upload.single('fil'),
    handle(async (req, res) => {
      const user = currentUser(req);
      policy.national(user);
      const codes = new Set((await municipalitiesRepository.list(db)).map((m) => m.code));
      const text = req.file ? req.file.buffer.toString('utf8') : '';
      const { rows, problems } = text.trim()
        ? parsePlanCsv(text, codes)
        : { rows: [], problems: [{ line: 1, reason: 'Vælg en CSV-fil.' }] };
      if (problems.length)
        return res
          .status(422)
          .render('surveys/plan-import', { title: 'Bølger og go-live fra CSV', problems, notice: null });
      await deps.rounds.importPlans(rows, user.id);
      req.session.flash = `${rows.length} kommuner er opdateret.`;
      res.redirect(303, '/national/plan');
    }),
  );

  const planSchema = z.object({
    wave: z.union([
      z.literal(''),
      // One digit, as typed (surrounding spaces allowed); not "+1", "3.0" or "0x3".
      z
        .string()
        .trim()
        .regex(/^[1-8]$/, 'Bølge skal være 1–8')
        .transform(Number),
    ]),
    goLive: z.union([z.literal(''), z.iso.date('Skriv datoen som ÅÅÅÅ-MM-DD')]),
  });

  router.post(
    '/national/kommuner/:code/plan',
    requireRole('kombit'),
    handle(async (req, res) => {
      const user = currentUser(req);
      policy.national(user);
      const code = idParam(req, 'code');
      const m = await municipalitiesRepository.byCode(db, code);
      if (!m) throw new NotFound('Kommunen findes ikke.');
      const parsed = planSchema.safeParse(req.body ?? {});
      if (!parsed.success) {
        const errors = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0]), i.message]));
        const rounds = await roundsRepository.forMunicipality(db, code);
        return res.status(422).render('surveys/kombit-municipality', {
          title: `${m.name} Kommune`,
          municipality: m,
          rounds,
          values: req.body,
          errors,
          notice: null,
          ...view,
        });
      }
      await deps.rounds.setPlan(
        code,
        { wave: parsed.data.wave === '' ? null : parsed.data.wave, goLive: parsed.data.goLive || null },
        user.id,
      );
      req.session.flash = 'Bølge og go-live er gemt. Runder, der ikke er åbnet, er flyttet med.';
      res.redirect(303, `/national/kommuner/${code}`);
    }),
  );

  const roundAction = (
    path: string,
    run: (roundId: number, userId: number, body: Record<string, unknown>) => Promise<void>,
    done: string,
  ) =>
    router.post(
      path,
      requireRole('kombit'),
      handle(async (req, res) => {
        const user = currentUser(req);
        policy.national(user);
        const roundId = idParam(req, 'roundId');
        const round = await roundsRepository.byId(db, roundId);
        if (!round) throw new NotFound('Runden findes ikke.');
        await run(roundId, user.id, req.body ?? {});
        req.session.flash = done;
        res.redirect(303, `/national/kommuner/${round.municipalityCode}`);
      }),
    );
  roundAction(
    '/national/runder/:roundId/aabn',
    (id, uid) => deps.rounds.openNow(id, uid),
    'Runden er åbnet.',
  );
  roundAction(
    '/national/runder/:roundId/luk',
    (id, uid) => deps.rounds.closeNow(id, uid),
    'Runden er lukket.',
  );
  roundAction(
    '/national/runder/:roundId/forlaeng',
    (id, uid, body) => {
      const parsed = z.iso.date().safeParse(body.closesOn);
      if (!parsed.success)
        throw new ValidationError('Skriv den nye slutdato som ÅÅÅÅ-MM-DD.', { closesOn: 'Ugyldig dato' });
      return deps.rounds.extend(id, parsed.data, uid);
    },
    'Runden er forlænget.',
  );

  return router;
}
