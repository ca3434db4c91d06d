import { Router } from 'express';
import type { Db } from '../db/knex.js';
import { handle, param, rateLimited, type RateLimit } from '../web/http.js';
import { certificatesRepository, formatCode, normalizeCode } from './certificates.js';
import { danishDate } from './elearning.presenter.js';

/** Codes not found, per client address and window: plenty for people, useless for guessing ~49-bit codes. */
export const VERIFY_LIMIT: RateLimit = { windowMs: 10 * 60_000, limit: 30, failuresOnly: true };

/** The public certificate check: name, municipality and date, nothing more. */
export function certificateRoutes({ db }: { db: Db }): Router {
  const router = Router();
  const limiter = rateLimited(VERIFY_LIMIT, 'For mange opslag på kort tid. Vent et par minutter, og prøv igen.');

  router.get('/certifikat/verificer', (req, res) => {
    const raw = typeof req.query.kode === 'string' ? normalizeCode(req.query.kode) : '';
    if (raw) return res.redirect(303, `/certifikat/verificer/${encodeURIComponent(raw)}`);
    res.render('elearning/verify', { title: 'Kontrollér et kursusbevis', code: '', result: null, notFound: false });
  });

  router.get(
    '/certifikat/verificer/:code',
    limiter,
    handle(async (req, res) => {
      const code = normalizeCode(param(req, 'code')).slice(0, 20);
      const found = await certificatesRepository.verify(db, code);
      if (!found) {
        return res.status(404).render('elearning/verify', { title: 'Kontrollér et kursusbevis', code: formatCode(code), result: null, notFound: true });
      }
      res.render('elearning/verify', {
        title: 'Kontrollér et kursusbevis',
        code: formatCode(code),
        result: { name: found.name, municipalityName: found.municipalityName, passedOn: danishDate(found.passedOn) },
        notFound: false,
      });
    }),
  );
  return router;
}
