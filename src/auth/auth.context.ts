import type { Request, Response } from 'express';
import { Passport } from 'passport';
import type { Profile } from '@node-saml/passport-saml';
import type { CacheProvider } from '@node-saml/node-saml';
import type { Logger } from '../shared/logger.js';
import type { RateLimit, RateLimiter } from '../web/rate-limit.js';
import { createSamlSp, type SpSettings } from './saml/sp.js';
import type { IdpSource } from './saml/idp-metadata.js';
import { createLoginBinding } from './saml/login-binding.js';
import { identityFromProfile } from './saml/attributes.js';
import type { SamlSessionsService } from './saml/saml-sessions.service.js';
import type { LoginService } from './login.service.js';

/** What a login keeps of the assertion for single logout. */
export type SamlSessionRef = {
  nameId: string;
  nameIdFormat: string | null;
  sessionIndex: string | null;
  nameQualifier: string | null;
  spNameQualifier: string | null;
};

declare module 'express-session' {
  interface SessionData {
    saml?: SamlSessionRef;
  }
}

/** What the SAML routes are given by the composition root. */
export type AuthDeps = {
  logger: Logger;
  sp: SpSettings;
  idp: IdpSource;
  loginService: Pick<LoginService, 'login' | 'refused'>;
  /** node-saml's InResponseTo cache (the AuthnRequests we sent). */
  requestCache: CacheProvider;
  samlSessions: SamlSessionsService;
  requireEncryptedAssertions: boolean;
  sessionSecret: string;
  secureCookies: boolean;
  rateLimits: RateLimiter;
  /** Ends a stored session by id (any instance's, since sessions live in the database). */
  destroySession: (sid: string) => Promise<void>;
};

/**
 * Starts of a login per client address and window (each stores a request id): a municipality's staff
 * share one address, so 200 people logging in within a minute pass.
 */
export const LOGIN_START_LIMIT: RateLimit = { windowMs: 60_000, limit: 300 };
/** Refused login responses per client address and window (each costs a signature check and a decryption); good ones are not counted. */
export const ACS_LIMIT: RateLimit = { windowMs: 10 * 60_000, limit: 30 };
/** The message of both login limits. */
export const LOGIN_LIMITED = 'For mange loginforsøg på kort tid.';

/** A path inside Parat to return to after login; anything else is ignored. */
export function safeReturnPath(value: unknown): string | null {
  return typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : null;
}

/** A non-empty string, or null (profile fields are loosely typed). */
export const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** Why a login response is refused: the message shown, and the reason for the audit log and the counters. */
export type Refusal = { message: string; reason: string };

/** Turns a validated assertion into the session's user (the login rules) and its single-logout reference. */
async function verify(loginService: AuthDeps['loginService'], profile: Profile): Promise<Express.User> {
  const user = await loginService.login(identityFromProfile(profile as unknown as Record<string, unknown>));
  const saml: SamlSessionRef = {
    nameId: profile.nameID,
    nameIdFormat: text(profile.nameIDFormat),
    sessionIndex: text(profile.sessionIndex),
    nameQualifier: text(profile.nameQualifier),
    spNameQualifier: text(profile.spNameQualifier),
  };
  return { user, saml } as unknown as Express.User;
}

/** What the SAML routes share: passport with the SP's strategy, the ACS's failure limit and the browser binding. */
export function createAuthContext(deps: AuthDeps) {
  const passport = new Passport();
  const acsGuard = deps.rateLimits.failures('saml-acs', ACS_LIMIT, LOGIN_LIMITED);
  const samlSp = createSamlSp({
    sp: deps.sp,
    idp: deps.idp,
    cacheProvider: deps.requestCache,
    verify: (profile) => verify(deps.loginService, profile),
  });
  /** Counts the failure, audits its reason and shows the refusal page. */
  const refuse = async (req: Request, res: Response, refusal: Refusal) => {
    await acsGuard.fail(req, res);
    deps.logger.warn({ reason: refusal.reason }, 'saml response refused');
    await deps.loginService.refused(refusal.reason);
    res.status(403).render('auth/refused', { title: 'Log ind mislykkedes', message: refusal.message });
  };
  return {
    deps,
    passport,
    acsGuard,
    samlSp,
    binding: createLoginBinding({ secret: deps.sessionSecret, secure: deps.secureCookies }),
    refuse,
  };
}
export type AuthContext = ReturnType<typeof createAuthContext>;
