import type { Request, Response, Router } from 'express';
import type { Profile } from '@node-saml/node-saml';
import { safeError } from '../shared/logger.js';
import { handle } from '../web/http.js';
import { text, type AuthContext, type SamlSessionRef } from './auth.context.js';

/** The logged-out page; `notice` says when the IdP did not confirm its part. */
function loggedOut(res: Response, notice: string | null = null): void {
  res.clearCookie('parat.sid');
  res.render('auth/logged-out', { title: 'Du er logget ud', user: null, notice });
}

/** Ends this browser's session here; returns what single logout needs of it. */
async function endLocalSession(ctx: AuthContext, req: Request): Promise<SamlSessionRef | null> {
  const saml = req.session.saml ?? null;
  const sid = req.sessionID;
  await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
  await ctx.deps.samlSessions.forget([sid]);
  return saml;
}

/** GET and POST /saml/logout: the user logs out here, and at the IdP when it has single logout. */
function registerLogout(router: Router, ctx: AuthContext): void {
  // A bookmarked or old "Log ud" link asks first; logging out is a POST with the CSRF token.
  router.get('/saml/logout', (req, res) => {
    if (!req.session.user) return res.redirect(303, '/');
    res.render('auth/logout', { title: 'Log ud' });
  });

  router.post(
    '/saml/logout',
    handle(async (req, res) => {
      if (!req.session.user) return res.redirect(303, '/');
      const saml = await endLocalSession(ctx, req);
      const { idp, saml: node } = ctx.samlSp.current();
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
      ctx.deps.logger.info('logout sent to the IdP');
      res.redirect(303, url);
    }),
  );
}

/** A logout message that failed validation: a LogoutRequest ends nothing; after a LogoutResponse we are out anyway. */
async function refusedLogoutMessage(
  ctx: AuthContext,
  req: Request,
  res: Response,
  isRequest: boolean,
  err: unknown,
): Promise<void> {
  ctx.deps.logger.warn(
    { err: safeError(err), kind: isRequest ? 'LogoutRequest' : 'LogoutResponse' },
    'saml logout message refused',
  );
  if (isRequest) {
    await ctx.deps.loginService.refused(`logout-request: ${err instanceof Error ? err.message : 'invalid'}`);
    return res.status(400).render('auth/refused', {
      title: 'Log ud mislykkedes',
      message: 'Anmodningen om at logge ud kunne ikke godkendes, så ingen session er afsluttet.',
    });
  }
  if (req.session.user) await endLocalSession(ctx, req);
  loggedOut(
    res,
    'Du er logget ud af Parat, men identitetsudbyderen bekræftede ikke, at du også er logget ud dér. Luk browseren for at være sikker.',
  );
}

/** The IdP's own LogoutRequest: ends every session of that login, on any instance, and answers the IdP. */
async function answerLogoutRequest(
  ctx: AuthContext,
  res: Response,
  profile: Profile | null | undefined,
  relayState: string,
): Promise<void> {
  if (!profile?.nameID)
    return res.status(400).render('auth/refused', {
      title: 'Log ud mislykkedes',
      message: 'Anmodningen om at logge ud navngav ingen bruger.',
    });
  const sids = await ctx.deps.samlSessions.sessionsOf(profile.nameID, text(profile.sessionIndex));
  for (const sid of sids) await ctx.deps.destroySession(sid);
  await ctx.deps.samlSessions.forget(sids);
  ctx.deps.logger.info({ sessions: sids.length }, 'logout requested by the IdP');
  res.redirect(303, await ctx.samlSp.current().saml.getLogoutResponseUrlAsync(profile, relayState, {}, true));
}

/** GET /saml/slo, the IdP's end of single logout (HTTP-Redirect): its LogoutResponse to ours, or its own LogoutRequest. */
function registerSingleLogout(router: Router, ctx: AuthContext): void {
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
        result = await ctx.samlSp.current().saml.validateRedirectAsync(query as never, originalQuery);
      } catch (err) {
        return refusedLogoutMessage(ctx, req, res, isRequest, err);
      }
      if (!isRequest) {
        if (req.session.user) await endLocalSession(ctx, req);
        return loggedOut(res);
      }
      const relayState = typeof query.RelayState === 'string' ? query.RelayState : '';
      return answerLogoutRequest(ctx, res, result.profile, relayState);
    }),
  );
}

/** Logging out: here, at the IdP, and when the IdP asks. */
export function registerLogoutRoutes(router: Router, ctx: AuthContext): void {
  registerLogout(router, ctx);
  registerSingleLogout(router, ctx);
}
