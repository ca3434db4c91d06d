import { Router } from 'express';
import { startPageFor } from './policy.js';
import { safeReturnPath } from './auth.context.js';
import { requireRole } from '../web/http.js';

/** The start pages and static pages. */
export function pageRoutes(): Router {
  const router = Router();

  router.get('/', (req, res) => {
    if (req.session.user) return res.redirect(303, startPageFor(req.session.user));
    const next = safeReturnPath(req.query.naeste);
    res.render('pages/home', {
      title: 'Log ind',
      loginUrl: next ? `/saml/login?naeste=${encodeURIComponent(next)}` : '/saml/login',
    });
  });

  router.get('/tilgaengelighed', (_req, res) =>
    res.render('pages/accessibility', { title: 'Tilgængelighedserklæring' }),
  );

  router.get('/admin', requireRole('administrator'), (_req, res) => {
    res.render('pages/admin', { title: 'Administration' });
  });

  return router;
}
