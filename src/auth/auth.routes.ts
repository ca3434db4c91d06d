import { Router, type Request, type Response } from 'express';
import { Passport, type AuthenticateOptions } from 'passport';
import type { Profile } from '@node-saml/passport-saml';
import { DOMParser, type Element } from '@xmldom/xmldom';
import type { Db } from '../db/knex.js';
import type { Logger } from '../shared/logger.js';
import { safeError } from '../shared/logger.js';
import { systemClock, type Clock } from '../shared/clock.js';
import { createSamlSp, newSamlId, withRequestId, type SpSettings } from './saml/sp.js';
import { spMetadataXml } from './saml/sp-metadata.js';
import type { IdpSource } from './saml/idp-metadata.js';
import { createRequestStore, usedResponsesRepository } from './saml/request-store.js';
import { samlSessionsRepository } from './saml/saml-sessions.repository.js';
import { createLoginBinding } from './saml/login-binding.js';
import { identityFromProfile } from './saml/attributes.js';
import { LoginRefused, type LoginService } from './login.service.js';
import type { SessionUser } from './roles.js';
import { startPageFor } from './policy.js';
import { handle } from '../web/http.js';
import type { RateLimit, RateLimiter } from '../web/rate-limit.js';

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

type Deps = {
  db: Db;
  logger: Logger;
  clock: Clock;
  sp: SpSettings;
  idp: IdpSource;
  loginService: LoginService;
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
const LOGIN_LIMITED = 'For mange loginforsøg på kort tid.';
/** A SAML session row is forgotten this long after login (sessions themselves last 8 hours of inactivity). */
const SAML_SESSION_MEMORY_MS = 7 * 24 * 3600_000;

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
    const encrypted = Array.from(root.childNodes).some(
      (n) => (n as unknown as Element).localName === 'EncryptedAssertion',
    );
    return { inResponseTo: root.getAttribute('InResponseTo'), encrypted };
  } catch {
    return { inResponseTo: null, encrypted: false };
  }
}

const text = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);

/** SAML SP routes: metadata, login, ACS, single logout. */
export function authRoutes(deps: Deps): Router {
  const router = Router();
  const passport = new Passport();
  const acsGuard = deps.rateLimits.failures('saml-acs', ACS_LIMIT, LOGIN_LIMITED);
  const binding = createLoginBinding({ secret: deps.sessionSecret, secure: deps.secureCookies });
  const samlSp = createSamlSp({
    sp: deps.sp,
    idp: deps.idp,
    // node-saml judges request age by the wall clock, so the store must too (not the app's injectable clock).
    cacheProvider: createRequestStore(deps.db, systemClock, 10 * 60_000),
    verify: async (profile: Profile) => {
      const user = await deps.loginService.login(
        identityFromProfile(profile as unknown as Record<string, unknown>),
      );
      const saml: SamlSessionRef = {
        nameId: profile.nameID,
        nameIdFormat: text(profile.nameIDFormat),
        sessionIndex: text(profile.sessionIndex),
        nameQualifier: text(profile.nameQualifier),
        spNameQualifier: text(profile.spNameQualifier),
      };
      return { user, saml } as unknown as Express.User;
    },
  });
  router.use(passport.initialize());

  router.get('/saml/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(spMetadataXml(deps.sp));
  });

  router.get(
    '/saml/login',
    deps.rateLimits.every('saml-login', LOGIN_START_LIMIT, LOGIN_LIMITED),
    (req, res, next) => {
      const returnTo = safeReturnPath(req.query.naeste);
      const options = {
        session: false,
        additionalParams: returnTo ? { RelayState: returnTo } : {},
      } as AuthenticateOptions;
      const requestId = newSamlId();
      binding.remember(req, res, requestId);
      withRequestId(requestId, () =>
        passport.authenticate(samlSp.current().strategy, options)(req, res, next),
      );
    },
  );

  const refuse = async (req: Request, res: Response, message: string, reason: string) => {
    await acsGuard.fail(req, res);
    deps.logger.warn({ reason }, 'saml response refused');
    await deps.loginService.refused(reason);
    res.status(403).render('auth/refused', { title: 'Log ind mislykkedes', message });
  };

  router.post(
    '/saml/acs',
    acsGuard.check,
    handle(async (req: Request, res: Response) => {
      const samlResponse = typeof req.body?.SAMLResponse === 'string' ? req.body.SAMLResponse : '';
      if (!samlResponse) return refuse(req, res, 'Der blev ikke modtaget et login-svar.', 'no-response');
      const inspected = inspectResponse(samlResponse);
      if (deps.requireEncryptedAssertions && !inspected.encrypted) {
        return refuse(req, res, 'Login-svaret var ikke krypteret, som det skal være.', 'unencrypted');
      }
      if (!binding.startedHere(req, inspected.inResponseTo)) {
        return refuse(
          req,
          res,
          'Login-svaret hører til et login, der ikke blev startet i denne browser. Log ind igen.',
          'other-browser',
        );
      }
      const outcome = await new Promise<{
        result?: { user: SessionUser; saml: SamlSessionRef };
        error?: unknown;
      }>((resolve) => {
        passport.authenticate(
          samlSp.current().strategy,
          { session: false },
          (error: unknown, result: unknown) =>
            resolve({
              result: (result || undefined) as { user: SessionUser; saml: SamlSessionRef } | undefined,
              error,
            }),
        )(req, res, (error: unknown) => resolve({ error }));
      });
      if (outcome.error instanceof LoginRefused)
        return refuse(req, res, outcome.error.message, outcome.error.reason);
      if (outcome.error || !outcome.result) {
        const reason = outcome.error instanceof Error ? outcome.error.message : 'no user';
        return refuse(
          req,
          res,
          'Login-svaret fra identitetsudbyderen kunne ikke godkendes. Prøv at logge ind igen.',
          `invalid: ${reason}`,
        );
      }
      // A response is good once: two racing posts of the same response cannot both log in.
      if (
        inspected.inResponseTo &&
        !(await usedResponsesRepository.markUsed(deps.db, inspected.inResponseTo, deps.clock.now().getTime()))
      ) {
        return refuse(req, res, 'Login-svaret er allerede brugt. Log ind igen.', 'replayed');
      }
      binding.forget(req, res, inspected.inResponseTo!);
      const { user, saml } = outcome.result;
      await new Promise<void>((resolve, reject) =>
        req.session.regenerate((err) => (err ? reject(err) : resolve())),
      );
      req.session.user = user;
      req.session.saml = saml;
      // Every page's "Log ud" form carries the CSRF token: made now, so the session is written once at login, not again on the first page.
      (res.locals.csrfToken as () => string)();
      await new Promise<void>((resolve, reject) =>
        req.session.save((err) => (err ? reject(err) : resolve())),
      );
      const at = Date.now();
      await samlSessionsRepository.add(deps.db, {
        sid: req.sessionID,
        nameId: saml.nameId,
        sessionIndex: saml.sessionIndex,
        at,
        forgetBefore: at - SAML_SESSION_MEMORY_MS,
      });
      deps.logger.info({ userId: user.id, roles: user.roles, municipality: user.municipalityCode }, 'login');
      res.redirect(303, safeReturnPath(req.body?.RelayState) ?? startPageFor(user));
    }),
  );

  const loggedOut = (res: Response, notice: string | null = null) => {
    res.clearCookie('parat.sid');
    res.render('auth/logged-out', { title: 'Du er logget ud', user: null, notice });
  };

  /** Ends this browser's session here; returns what single logout needs of it. */
  const endLocalSession = async (req: Request): Promise<SamlSessionRef | null> => {
    const saml = req.session.saml ?? null;
    const sid = req.sessionID;
    await new Promise<void>((resolve, reject) =>
      req.session.destroy((err) => (err ? reject(err) : resolve())),
    );
    await samlSessionsRepository.remove(deps.db, [sid]);
    return saml;
  };

  // A bookmarked or old "Log ud" link asks first; logging out is a POST with the CSRF token.
  router.get('/saml/logout', (req, res) => {
    if (!req.session.user) return res.redirect(303, '/');
    res.render('auth/logout', { title: 'Log ud' });
  });

  router.post(
    '/saml/logout',
    handle(async (req, res) => {
      if (!req.session.user) return res.redirect(303, '/');
      const saml = await endLocalSession(req);
      const { idp, saml: node } = samlSp.current();
      if (!idp.sloUrl || !saml) return loggedOut(res);
      const url = await node.getLogoutUrlAsync(
        {
          issuer: idp.entityId,
          nameID: saml.nameId,
          nameIDFormat: saml.nameIdFormat ?? 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent',
          sessionIndex: saml.sessionIndex ?? undefined,
          nameQualifier: saml.nameQualifier ?? undefined,
          spNameQualifier: saml.spNameQualifier ?? undefined,
        },
        '',
        {},
      );
      deps.logger.info('logout sent to the IdP');
      res.redirect(303, url);
    }),
  );

  // The IdP's end of single logout (HTTP-Redirect): its LogoutResponse to our request, or its own LogoutRequest.
  router.get(
    '/saml/slo',
    handle(async (req, res) => {
      const query = req.query as Record<string, unknown>;
      const originalQuery = req.originalUrl.split('?')[1] ?? '';
      const isRequest = typeof query.SAMLRequest === 'string';
      if (!isRequest && typeof query.SAMLResponse !== 'string') return res.redirect(303, '/');
      // node-saml accepts an unsigned redirect message; a logout message must be signed by the IdP.
      const signed = typeof query.Signature === 'string' && typeof query.SigAlg === 'string';
      let result;
      try {
        if (!signed) throw new Error('unsigned logout message');
        result = await samlSp.current().saml.validateRedirectAsync(query as never, originalQuery);
      } catch (err) {
        deps.logger.warn(
          { err: safeError(err), kind: isRequest ? 'LogoutRequest' : 'LogoutResponse' },
          'saml logout message refused',
        );
        if (isRequest) {
          await deps.loginService.refused(
            `logout-request: ${err instanceof Error ? err.message : 'invalid'}`,
          );
          return res.status(400).render('auth/refused', {
            title: 'Log ud mislykkedes',
            message: 'Anmodningen om at logge ud kunne ikke godkendes, så ingen session er afsluttet.',
          });
        }
        if (req.session.user) await endLocalSession(req);
        return loggedOut(
          res,
          'Du er logget ud af Parat, men identitetsudbyderen bekræftede ikke, at du også er logget ud dér. Luk browseren for at være sikker.',
        );
      }
      if (!isRequest) {
        if (req.session.user) await endLocalSession(req);
        return loggedOut(res);
      }
      const profile = result.profile;
      if (!profile?.nameID)
        return res.status(400).render('auth/refused', {
          title: 'Log ud mislykkedes',
          message: 'Anmodningen om at logge ud navngav ingen bruger.',
        });
      const sids = await samlSessionsRepository.sids(deps.db, profile.nameID, text(profile.sessionIndex));
      for (const sid of sids) await deps.destroySession(sid);
      await samlSessionsRepository.remove(deps.db, sids);
      deps.logger.info({ sessions: sids.length }, 'logout requested by the IdP');
      const relayState = typeof query.RelayState === 'string' ? query.RelayState : '';
      res.redirect(303, await samlSp.current().saml.getLogoutResponseUrlAsync(profile, relayState, {}, true));
    }),
  );

  return router;
}
