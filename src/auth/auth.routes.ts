import { Router } from 'express';
import type { AuthenticateOptions } from 'passport';
import { newSamlId, withRequestId } from './saml/sp.js';
import { spMetadataXml } from './saml/sp-metadata.js';
import {
  createAuthContext,
  LOGIN_LIMITED,
  LOGIN_START_LIMIT,
  safeReturnPath,
  type AuthContext,
  type AuthDeps,
} from './auth.context.js';
import { registerAcs } from './acs.routes.js';
import { registerLogoutRoutes } from './logout.routes.js';

export { ACS_LIMIT, LOGIN_START_LIMIT, safeReturnPath, type SamlSessionRef } from './auth.context.js';

/** GET /saml/metadata and /saml/login: the SP's metadata, and the start of a login at the IdP. */
function registerLogin(router: Router, ctx: AuthContext): void {
  router.get('/saml/metadata', (_req, res) => {
    res.type('application/samlmetadata+xml').send(spMetadataXml(ctx.deps.sp));
  });

  router.get(
    '/saml/login',
    ctx.deps.rateLimits.every('saml-login', LOGIN_START_LIMIT, LOGIN_LIMITED),
    (req, res, next) => {
      const returnTo = safeReturnPath(req.query.naeste);
      const options = {
        session: false,
        additionalParams: returnTo ? { RelayState: returnTo } : {},
      } as AuthenticateOptions;
      // The request's id is chosen here, so the browser that starts the login can be bound to its answer.
      const requestId = newSamlId();
      ctx.binding.remember(req, res, requestId);
      withRequestId(requestId, () =>
        ctx.passport.authenticate(ctx.samlSp.current().strategy, options)(req, res, next),
      );
    },
  );
}

/** SAML SP routes: metadata, login, ACS, single logout. */
export function authRoutes(deps: AuthDeps): Router {
  const ctx = createAuthContext(deps);
  const router = Router();
  router.use(ctx.passport.initialize());
  registerLogin(router, ctx);
  registerAcs(router, ctx);
  registerLogoutRoutes(router, ctx);
  return router;
}
