import type { Request, RequestHandler } from 'express';
import { csrfSync } from 'csrf-sync';

/** Synchroniser-token CSRF protection on every state-changing request except the paths given. */
export function setUpCsrf(opts: { exceptPaths: string[] }): {
  protect: RequestHandler;
  tokenFor: (req: Request) => string;
} {
  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    // Multipart bodies are parsed after this check, so an upload form carries its token in the query.
    getTokenFromRequest: (req) =>
      (req.body?._csrf as string | undefined) ??
      (req.headers['x-csrf-token'] as string | undefined) ??
      (req.is('multipart/form-data') && typeof req.query._csrf === 'string' ? req.query._csrf : undefined),
  });
  const except = new Set(opts.exceptPaths);
  return {
    protect: (req, res, next) => (except.has(req.path) ? next() : csrfSynchronisedProtection(req, res, next)),
    tokenFor: (req) => generateToken(req),
  };
}
