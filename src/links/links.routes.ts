import { Router } from 'express';
import { handle, param } from '../web/http.js';
import type { RateLimit, RateLimiter } from '../web/rate-limit.js';
import { NotFound } from '../shared/errors.js';
import type { LinkService, ResolvedLink } from './links.service.js';

declare module 'express-session' {
  interface SessionData {
    link?: ResolvedLink;
  }
}

/** Where a link of each purpose leads. */
export function linkTarget(link: ResolvedLink): string {
  if (link.purpose === 'survey') return `/undersoegelse/${link.roundId}`;
  if (link.purpose === 'test') return '/e-laering';
  return link.courseSessionId ? `/evaluering/kursus/${link.courseSessionId}` : '/evaluering/e-laering';
}

/** Unknown, expired or revoked tokens per client address and window; opening a good link is never counted. */
export const LINK_LIMIT: RateLimit = { windowMs: 10 * 60_000, limit: 20 };

/** GET /l/:token — opens a personal link: the session gets access to that purpose only. */
export function linkRoutes({ links, rateLimits }: { links: LinkService; rateLimits: RateLimiter }): Router {
  const router = Router();
  const guard = rateLimits.failures(
    'link',
    LINK_LIMIT,
    'For mange forsøg med ugyldige links fra din netværksadresse på kort tid.',
    'Er dit link udløbet eller virker det ikke, så bed din KSD-projektleder om et nyt.',
  );
  router.get(
    '/l/:token',
    guard.check,
    handle(async (req, res) => {
      const link = await links.resolve(param(req, 'token'));
      if (!link) await guard.fail(req, res);
      if (!link)
        throw new NotFound(
          'Linket er ugyldigt, udløbet eller tilbagekaldt. Kontakt din KSD-projektleder for et nyt.',
        );
      await new Promise<void>((resolve, reject) =>
        req.session.regenerate((err) => (err ? reject(err) : resolve())),
      );
      req.session.link = link;
      // Saved before the redirect: if the database is gone, the respondent gets a 503, not a page without access.
      await new Promise<void>((resolve, reject) =>
        req.session.save((err) => (err ? reject(err) : resolve())),
      );
      res.redirect(303, linkTarget(link));
    }),
  );
  return router;
}
