import crypto from 'node:crypto';
import type { Request, Response } from 'express';

export const LOGIN_COOKIE = 'parat.login';
/** At most this many logins started in one browser are remembered at once (several tabs). */
const MAX_PENDING = 5;
const MAX_AGE_MS = 10 * 60_000;

function readCookie(req: Request, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}

/**
 * Binds a login to the browser that started it: the ids of its AuthnRequests travel in a short-lived
 * HMAC-signed cookie, and the ACS accepts a response only when its InResponseTo is among them. The
 * IdP posts the response cross-site, so over https the cookie is SameSite=None; Secure.
 */
export function createLoginBinding(opts: { secret: string; secure: boolean }) {
  const mac = (value: string) =>
    crypto.createHmac('sha256', `${opts.secret}:saml-login`).update(value).digest('base64url');

  function pending(req: Request): string[] {
    const raw = readCookie(req, LOGIN_COOKIE);
    if (!raw) return [];
    const dot = raw.lastIndexOf('.');
    if (dot < 0) return [];
    const value = raw.slice(0, dot);
    const given = Buffer.from(raw.slice(dot + 1));
    const expected = Buffer.from(mac(value));
    if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return [];
    return value.split('~').filter((id) => /^[A-Za-z_][\w.-]{0,199}$/.test(id));
  }

  function write(res: Response, ids: string[]): void {
    const options = {
      httpOnly: true,
      secure: opts.secure,
      sameSite: opts.secure ? ('none' as const) : ('lax' as const),
      path: '/saml',
    };
    if (!ids.length) {
      res.clearCookie(LOGIN_COOKIE, options);
      return;
    }
    const value = ids.join('~');
    res.cookie(LOGIN_COOKIE, `${value}.${mac(value)}`, { ...options, maxAge: MAX_AGE_MS });
  }

  return {
    /** Remembers a request id in the browser that starts the login. */
    remember(req: Request, res: Response, requestId: string): void {
      write(res, [...pending(req).filter((id) => id !== requestId), requestId].slice(-MAX_PENDING));
    },
    /** Whether this browser started the login the response answers. */
    startedHere(req: Request, inResponseTo: string | null): boolean {
      return Boolean(inResponseTo) && pending(req).includes(inResponseTo!);
    },
    /** Forgets a request id once its response has been used. */
    forget(req: Request, res: Response, requestId: string): void {
      write(
        res,
        pending(req).filter((id) => id !== requestId),
      );
    },
  };
}
export type LoginBinding = ReturnType<typeof createLoginBinding>;
