import { Router, type Request, type Response } from 'express';
import { Passport, type AuthenticateOptions, type Strategy } from 'passport';
import type { Profile } from '@node-saml/passport-saml';
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { Db } from '../db/knex.js';
import type { Logger } from '../shared/logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { createSamlStrategy, type SpSettings } from './saml/sp.js';
import type { IdpSettings } from './saml/idp-metadata.js';
import { createRequestStore } from './saml/request-store.js';
import { identityFromProfile } from './saml/attributes.js';
import { LoginRefused, type LoginService } from './login.service.js';
import { startPageFor, type SessionUser } from './roles.js';
import { handle, rateLimited, type RateLimit } from '../web/http.js';

type Deps = {
  db: Db;
  logger: Logger;
  clock: Clock;
  sp: SpSettings;
  idp: IdpSettings;
  loginService: LoginService;
  requireEncryptedAssertions: boolean;
};

/** Starts of a login per client address and window (each stores a request id); a municipality's staff share one address. */
export const LOGIN_START_LIMIT: RateLimit = { windowMs: 60_000, limit: 60 };
/** Refused login responses per client address and window (each costs a signature check and a decryption); good ones are not counted. */
export const ACS_LIMIT: RateLimit = { windowMs: 10 * 60_000, limit: 30, failuresOnly: true };
const LOGIN_LIMITED = 'For mange loginforsøg på kort tid. Vent et par minutter, og prøv igen.';

/** A path inside Parat to return to after login; anything else is ignored. */
export function safeReturnPath(value: unknown): string | null {
  return typeof value === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(value) ? value : null;
}

/** Reads the Response's InResponseTo and whether the assertion came encrypted, without trusting either. */
function inspectResponse(samlResponse: string): { inResponseTo: string | null; encrypted: boolean } {
  try {
    const xml = Buffer.from(samlResponse, 'base64').toString('utf8');
    if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return { inResponseTo: null, encrypted: false };
    const doc = new DOMParser({ onError: () => undefined }).parseFromString(xml, 'text/xml');
    const root = doc.documentElement;
    if (!root) return { inResponseTo: null, encrypted: false };
    const encrypted = Array.from(root.childNodes).some((n) => (n as unknown as Element).localName === 'EncryptedAssertion');
    return { inResponseTo: root.getAttribute('InResponseTo'), encrypted };
  } catch {
    return { inResponseTo: null, encrypted: false };
  }
}

/** SAML SP routes: metadata, login, ACS, logout. */
export function authRoutes(deps: Deps): Router {
  const router = Router();
  const passport = new Passport();
  const strategy = createSamlStrategy({
    sp: deps.sp,
    idp: deps.idp,
    // node-saml judges request age by the wall clock, so the store must too (not the app's injectable clock).
    cacheProvider: createRequestStore(deps.db, systemClock, 10 * 60_000),
    verify: (profile: Profile) => deps.loginService.login(identityFromProfile(profile as unknown as Record<string, unknown>)),
  });
  passport.use('saml', strategy as unknown as Strategy);
  router.use(passport.initialize());

  router.get('/saml/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(strategy.generateServiceProviderMetadata(deps.sp.keys.cert, deps.sp.keys.cert));
  });

  router.get('/saml/login', rateLimited(LOGIN_START_LIMIT, LOGIN_LIMITED), (req, res, next) => {
    const returnTo = safeReturnPath(req.query.naeste);
    const options = { session: false, additionalParams: returnTo ? { RelayState: returnTo } : {} } as AuthenticateOptions;
    passport.authenticate('saml', options)(req, res, next);
  });

  const refuse = (res: Response, message: string) =>
    res.status(403).render('auth/refused', { title: 'Log ind mislykkedes', message });

  router.post(
    '/saml/acs',
    rateLimited(ACS_LIMIT, LOGIN_LIMITED),
    handle(async (req: Request, res: Response) => {
      const samlResponse = typeof req.body?.SAMLResponse === 'string' ? req.body.SAMLResponse : '';
      if (!samlResponse) return refuse(res, 'Der blev ikke modtaget et login-svar.');
      const inspected = inspectResponse(samlResponse);
      if (deps.requireEncryptedAssertions && !inspected.encrypted) {
        deps.logger.warn({ reason: 'unencrypted' }, 'saml response refused');
        return refuse(res, 'Login-svaret var ikke krypteret, som det skal være.');
      }
      const outcome = await new Promise<{ user?: SessionUser; error?: unknown }>((resolve) => {
        passport.authenticate('saml', { session: false }, (error: unknown, user: SessionUser | false) =>
          resolve({ user: user || undefined, error }),
        )(req, res, (error: unknown) => resolve({ error }));
      });
      if (outcome.error || !outcome.user) {
        const reason = outcome.error instanceof Error ? outcome.error.message : 'no user';
        deps.logger.warn({ reason }, 'saml response refused');
        if (outcome.error instanceof LoginRefused) return refuse(res, outcome.error.message);
        return refuse(res, 'Login-svaret fra identitetsudbyderen kunne ikke godkendes. Prøv at logge ind igen.');
      }
      // A response is good once: two racing posts of the same response cannot both log in.
      if (inspected.inResponseTo) {
        try {
          await deps.db('saml_used_responses').insert({ in_response_to: inspected.inResponseTo, used_at: deps.clock.now().getTime() });
        } catch {
          return refuse(res, 'Login-svaret er allerede brugt. Log ind igen.');
        }
      }
      const user = outcome.user;
      await new Promise<void>((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
      req.session.user = user;
      await new Promise<void>((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
      deps.logger.info({ userId: user.id, roles: user.roles, municipality: user.municipalityCode }, 'login');
      res.redirect(303, safeReturnPath(req.body?.RelayState) ?? startPageFor(user));
    }),
  );

  router.get('/saml/logout', (req, res, next) => {
    if (!req.session.user) return res.redirect(303, '/');
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie('parat.sid');
      res.render('auth/logged-out', { title: 'Du er logget ud', user: null });
    });
  });

  return router;
}
