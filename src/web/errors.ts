import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ROLE_LABELS } from '../auth/roles.js';
import { safeError } from '../shared/logger.js';
import { AppError, NotFound, Unauthenticated } from '../shared/errors.js';
import { isDatabaseUnavailable } from '../db/retry.js';
import { RateLimited } from './rate-limit.js';

/** Seconds a client is asked to wait when the database is briefly out of reach. */
export const RETRY_AFTER_SECONDS = 5;

export const notFoundHandler: RequestHandler = (_req, _res, next) => next(new NotFound());

/**
 * Maps typed errors to Danish pages; a database that is briefly out of reach (restarting, or busy with
 * another writer beyond our retries) is a 503 with Retry-After; anything else is a logged 500 with the request id.
 */
/** "10 minutter", "1 minut", "45 sekunder": how long a limited client waits, in Danish. */
export function waitText(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 sekund' : `${seconds} sekunder`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minut' : `${minutes} minutter`;
}

export const errorHandler: ErrorRequestHandler = (err, req, res, _next) => {
  const e = err as { code?: string; status?: number; type?: string };
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
  let status = 500;
  let message = 'Der opstod en uventet fejl. Prøv igen om lidt.';
  let title = 'Der opstod en fejl';
  let hint: string | null = null;
  if (err instanceof RateLimited) {
    status = 429;
    title = 'Vent lidt, før du prøver igen';
    message = `${err.message} Du kan prøve igen om ${waitText(err.retryAfterSeconds)}.`;
    hint = err.hint;
  } else if (err instanceof AppError) {
    status = err.status;
    message = err.message;
  } else if (
    e.code === 'EBADCSRFTOKEN' ||
    e.code === 'ERR_BAD_CSRF_TOKEN' ||
    (e.status === 403 && /csrf/i.test(String(err)))
  ) {
    status = 403;
    message = 'Formularen er udløbet eller ugyldig. Gå tilbage, genindlæs siden, og prøv igen.';
  } else if (e.type === 'entity.too.large') {
    status = 413;
    message = 'Det indsendte er for stort.';
  } else if (e.type === 'entity.parse.failed') {
    status = 400;
    message = 'Det indsendte kunne ikke læses.';
  } else if ((err as { name?: string }).name === 'MulterError') {
    // An upload with more files, other fields or larger files than the form has.
    status = e.code === 'LIMIT_FILE_SIZE' ? 413 : 400;
    message =
      e.code === 'LIMIT_FILE_SIZE' ? 'Filen er for stor.' : 'Upload én CSV-fil i formularens felt til filen.';
  } else if (
    req.is('multipart/form-data') &&
    /^(Unexpected end of form|Multipart: |Malformed part header)/.test(String((err as Error).message))
  ) {
    status = 400;
    message = 'Det indsendte kunne ikke læses.';
  } else if (
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 500 &&
    (err as { expose?: boolean }).expose
  ) {
    // The body parser's other refusals (too many fields, unsupported charset, aborted request).
    status = e.status;
    message = e.status === 413 ? 'Det indsendte er for stort.' : 'Det indsendte kunne ikke læses.';
  } else if (isDatabaseUnavailable(err)) {
    status = 503;
    title = 'Parat er midlertidigt utilgængelig';
    message = 'Parat kan ikke nå sin database lige nu. Vent et øjeblik, og prøv igen.';
    res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  }
  if (status === 503) req.log?.warn({ err: safeError(err) }, 'database unavailable');
  else if (status === 404) title = 'Siden findes ikke';
  else if (status === 403) title = 'Ingen adgang';
  else if (status === 401) title = 'Log ind';
  else if (status === 422) title = 'Der er fejl i det indsendte';
  else if (status < 500) title = 'Forespørgslen kunne ikke gennemføres';
  if (status >= 500 && status !== 503) req.log?.error({ err: safeError(err) }, 'unhandled error');
  res.locals.user ??= req.session?.user ?? null;
  res.locals.roleLabels ??= ROLE_LABELS;
  res.locals.currentPath ??= req.path;
  res.status(status);
  res.render('errors/error', {
    title,
    message,
    status,
    requestId: req.id,
    hint,
    fields:
      err instanceof AppError && 'fields' in err ? (err as { fields: Record<string, string> }).fields : {},
  });
};
