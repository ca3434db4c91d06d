import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { safeError } from '../shared/logger.js';
import { AppError, NotFound, Unauthenticated } from '../shared/errors.js';
import { isDatabaseUnavailable } from '../db/errors.js';
import { RateLimited } from './rate-limit.js';

/** Seconds a client is asked to wait when the database is briefly out of reach. */
export const RETRY_AFTER_SECONDS = 5;

/** Every unmatched request is a 404 page. */
export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new NotFound());

/** "10 minutter", "1 minut", "45 sekunder": how long a limited client waits, in Danish. */
export function waitText(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 sekund' : `${seconds} sekunder`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minut' : `${minutes} minutter`;
}

/** What the error page says: status, message, and for a limit the hint and the wait. */
type ErrorPage = { status: number; message: string; hint: string | null; retryAfterSeconds?: number };

type LooseError = { code?: string; status?: number; type?: string; name?: string; expose?: boolean };

const UNREADABLE = 'Det indsendte kunne ikke læses.';
const TOO_LARGE = 'Det indsendte er for stort.';

/** A request Express or its parsers refused (CSRF, body, upload), or null when the error is not one. */
function refusedRequest(err: unknown, req: Request): { status: number; message: string } | null {
  const e = err as LooseError;
  if (
    e.code === 'EBADCSRFTOKEN' ||
    e.code === 'ERR_BAD_CSRF_TOKEN' ||
    (e.status === 403 && /csrf/i.test(String(err)))
  )
    return {
      status: 403,
      message: 'Formularen er udløbet eller ugyldig. Gå tilbage, genindlæs siden, og prøv igen.',
    };
  if (e.type === 'entity.too.large') return { status: 413, message: TOO_LARGE };
  if (e.type === 'entity.parse.failed') return { status: 400, message: UNREADABLE };
  if (e.name === 'MulterError') {
    // An upload with more files, other fields or larger files than the form has.
    return e.code === 'LIMIT_FILE_SIZE'
      ? { status: 413, message: 'Filen er for stor.' }
      : { status: 400, message: 'Upload én CSV-fil i formularens felt til filen.' };
  }
  if (
    req.is('multipart/form-data') &&
    /^(Unexpected end of form|Multipart: |Malformed part header)/.test(String((err as Error).message))
  )
    return { status: 400, message: UNREADABLE };
  // The body parser's other refusals (too many fields, unsupported charset, aborted request).
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500 && e.expose)
    return { status: e.status, message: e.status === 413 ? TOO_LARGE : UNREADABLE };
  return null;
}

/** Maps an error to its page; anything unknown is a 500. */
function pageFor(err: unknown, req: Request): ErrorPage {
  if (err instanceof RateLimited)
    return {
      status: 429,
      message: `${err.message} Du kan prøve igen om ${waitText(err.retryAfterSeconds)}.`,
      hint: err.hint,
    };
  if (err instanceof AppError) return { status: err.status, message: err.message, hint: null };
  const refused = refusedRequest(err, req);
  if (refused) return { ...refused, hint: null };
  if (isDatabaseUnavailable(err))
    return {
      status: 503,
      message: 'Parat kan ikke nå sin database lige nu. Vent et øjeblik, og prøv igen.',
      hint: null,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
    };
  return { status: 500, message: 'Der opstod en uventet fejl. Prøv igen om lidt.', hint: null };
}

/** The page's heading by status. */
function titleFor(page: ErrorPage): string {
  if (page.retryAfterSeconds !== undefined) return 'Parat er midlertidigt utilgængelig';
  if (page.status === 404) return 'Siden findes ikke';
  if (page.status === 403) return 'Ingen adgang';
  if (page.status === 401) return 'Log ind';
  if (page.status === 422) return 'Der er fejl i det indsendte';
  if (page.status < 500) return 'Forespørgslen kunne ikke gennemføres';
  return 'Der opstod en fejl';
}

/**
 * Maps typed errors to Danish pages; a database that is briefly out of reach (restarting, or busy with
 * another writer beyond our retries) is a 503 with Retry-After; anything else is a logged 500 with the request id.
 */
export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  if (res.headersSent) {
    // The answer is out already (e.g. the session's expiry could not be extended after it was written):
    // a complete response stands and its connection stays usable; a half-sent one is cut off.
    req.log?.warn({ err: safeError(err) }, 'error after the response was sent');
    if (!res.writableEnded) res.destroy();
    return;
  }
  if (err instanceof Unauthenticated && req.method === 'GET') {
    return res.redirect(303, `/?naeste=${encodeURIComponent(req.originalUrl)}`);
  }
  const page = pageFor(err, req);
  if (page.retryAfterSeconds !== undefined) {
    res.setHeader('Retry-After', String(page.retryAfterSeconds));
    req.log?.warn({ err: safeError(err) }, 'database unavailable');
  } else if (page.status >= 500) req.log?.error({ err: safeError(err) }, 'unhandled error');
  // Errors before the locals middleware (a body the parser refused) still render the page's frame.
  res.locals.user ??= req.session?.user ?? null;
  res.locals.roleLabels ??= {};
  res.locals.currentPath ??= req.path;
  res.status(page.status);
  res.render('errors/error', {
    title: titleFor(page),
    message: page.message,
    status: page.status,
    requestId: req.id,
    hint: page.hint,
    fields:
      err instanceof AppError && 'fields' in err ? (err as { fields: Record<string, string> }).fields : {},
  });
};
