import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ZodType } from 'zod';
import { Forbidden, NotFound, Unauthenticated, ValidationError } from '../shared/errors.js';
import type { Role, SessionUser } from '../shared/session-user.js';

declare module 'express-session' {
  interface SessionData {
    user?: SessionUser;
    flash?: string;
  }
}

/** Wraps an async handler so a rejection reaches the error handler. */
export const handle =
  (fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler =>
  (req, res, next) => {
    fn(req, res, next).catch(next);
  };

/** The logged-in user, or a 401 that sends the browser to the login page. */
export function currentUser(req: Request): SessionUser {
  const user = req.session?.user;
  if (!user) throw new Unauthenticated();
  return user;
}

/** Requires a login and at least one of the given roles. */
export function requireRole(...roles: Role[]): RequestHandler {
  return (req, _res, next) => {
    const user = req.session?.user;
    if (!user) return next(new Unauthenticated());
    if (roles.length && !user.roles.some((r) => roles.includes(r))) return next(new Forbidden());
    next();
  };
}

/** Parses input with a zod schema; failures become a Danish 422 naming each field. */
export function parseInput<T>(
  schema: ZodType<T>,
  input: unknown,
  message = 'Formularen indeholder fejl.',
): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields: Record<string, string> = {};
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || '_';
    fields[key] ??= issue.message;
  }
  throw new ValidationError(message, fields);
}

/** The one-time notice set by the previous POST (then removed from the session). */
export function takeFlash(req: Request): string | null {
  const flash = req.session?.flash ?? null;
  if (req.session) delete req.session.flash;
  return flash;
}

/** Reads one value of a route parameter (Express 5 types allow arrays). */
export function param(req: Request, name: string): string {
  const v = (req.params as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
}

/** A positive integer route parameter (an id); anything else is a 404. */
export function idParam(req: Request, name: string): number {
  const n = Number(param(req, name));
  if (!Number.isInteger(n) || n <= 0) throw new NotFound();
  return n;
}
