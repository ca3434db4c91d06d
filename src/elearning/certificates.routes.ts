import { Router } from 'express';
import { handle, param } from '../web/http.js';
import type { RateLimit, RateLimiter } from '../web/rate-limit.js';
import type { CertificatesService } from './certificates.service.js';
import { formatCode, normalizeCode } from './certificates.js';
import { formatDanishDate } from '../web/format.js';

/** Codes not found, per client address and window: plenty for people, useless for guessing ~49-bit codes. */
export const VERIFY_LIMIT: RateLimit = { windowMs: 10 * 60_000, limit: 30 };

/** The public certificate check: name, municipality and date, nothing more. */
export function certificateRoutes({
  certificates,
  rateLimits,
}: {
  certificates: CertificatesService;
  rateLimits: RateLimiter;
}): Router {
  const router = Router();
  const guard = rateLimits.failures(
    'certificate',
    VERIFY_LIMIT,
    'For mange opslag på kort tid af koder, der ikke findes.',
  );

  router.get('/certifikat/verificer', (req, res) => {
    const raw = typeof req.query.kode === 'string' ? normalizeCode(req.query.kode) : '';
    if (raw) return res.redirect(303, `/certifikat/verificer/${encodeURIComponent(raw)}`);
    res.render('elearning/verify', {
      title: 'Kontrollér et kursusbevis',
      code: '',
      result: null,
      notFound: false,
    });
  });

  router.get(
    '/certifikat/verificer/:code',
    guard.check,
    handle(async (req, res) => {
      const code = normalizeCode(param(req, 'code')).slice(0, 20);
      const found = await certificates.verify(code);
      if (!found) {
        await guard.fail(req, res);
        return res.status(404).render('elearning/verify', {
          title: 'Kontrollér et kursusbevis',
          code: formatCode(code),
          result: null,
          notFound: true,
        });
      }
      res.render('elearning/verify', {
        title: 'Kontrollér et kursusbevis',
        code: formatCode(code),
        result: {
          name: found.name,
          municipalityName: found.municipalityName,
          passedOn: formatDanishDate(found.passedOn),
        },
        notFound: false,
      });
    }),
  );
  return router;
}
