import { Router } from 'express';
import { z } from 'zod';
import type { Config } from '../config.js';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { currentUser, handle, idParam, parseInput, requireRole, takeFlash } from '../web/http.js';
import { audit } from '../shared/audit.js';
import { NotFound, ValidationError } from '../shared/errors.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';

const cvrSchema = z.object({
  cvr: z
    .string()
    .trim()
    .regex(/^\d{8}$/, 'CVR-nummeret skal være 8 cifre'),
});
const auditFilter = z.object({ handling: z.string().max(100).optional().catch(undefined) });

/** The administrator's pages: municipalities' CVR numbers and the audit log. */
export function adminRoutes(deps: { db: Db; clock: Clock; config: Pick<Config, 'kombitCvr'> }): Router {
  const router = Router();
  const { db } = deps;

  router.get(
    '/admin/kommuner',
    requireRole('administrator'),
    handle(async (req, res) => {
      res.render('admin/municipalities', {
        title: 'Kommuner og CVR-numre',
        municipalities: await municipalitiesRepository.list(db),
        errors: {},
        notice: takeFlash(req),
        kombitCvr: deps.config.kombitCvr,
      });
    }),
  );

  router.post(
    '/admin/kommuner/:code/cvr',
    requireRole('administrator'),
    handle(async (req, res) => {
      const user = currentUser(req);
      const code = idParam(req, 'code');
      const m = await municipalitiesRepository.byCode(db, code);
      if (!m) throw new NotFound('Kommunen findes ikke.');
      let cvr: string;
      try {
        cvr = parseInput(cvrSchema, req.body, 'CVR-nummeret er ugyldigt.').cvr;
        if (cvr === deps.config.kombitCvr)
          throw new ValidationError('Det er KOMBITs eget CVR-nummer.', {
            cvr: 'KOMBITs CVR-nummer kan ikke bruges til en kommune',
          });
        const taken = await db('municipalities').where({ cvr }).whereNot({ code }).first('name');
        if (taken)
          throw new ValidationError(`CVR-nummeret bruges allerede af ${taken.name}.`, {
            cvr: `Bruges allerede af ${taken.name}`,
          });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        return res.status(422).render('admin/municipalities', {
          title: 'Kommuner og CVR-numre',
          municipalities: await municipalitiesRepository.list(db),
          errors: { [code]: Object.values(err.fields)[0] ?? err.message },
          notice: null,
          kombitCvr: deps.config.kombitCvr,
        });
      }
      await db.transaction(async (trx) => {
        await municipalitiesRepository.setCvr(trx, code, cvr);
        await audit(trx, {
          actorUserId: user.id,
          action: 'municipality.cvr',
          subject: `kommune:${code}`,
          details: { from: m.cvr, to: cvr },
          at: deps.clock.now(),
        });
      });
      req.session.flash = `CVR-nummeret for ${m.name} er gemt.`;
      res.redirect(303, '/admin/kommuner');
    }),
  );

  router.get(
    '/admin/audit',
    requireRole('administrator'),
    handle(async (req, res) => {
      const f = auditFilter.parse(req.query);
      const q = db('audit_log as a')
        .leftJoin('users as u', 'u.id', 'a.actor_user_id')
        .orderBy('a.id', 'desc')
        .limit(300)
        .select('a.id', 'a.at', 'a.action', 'a.subject', 'a.details', 'u.name as actor');
      if (f.handling) q.where('a.action', f.handling);
      const actions = (await db('audit_log').distinct('action').orderBy('action')).map((r) =>
        String(r.action),
      );
      res.render('admin/audit', { title: 'Audit-log', entries: await q, actions, filter: f.handling ?? '' });
    }),
  );

  return router;
}
