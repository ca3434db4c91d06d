import express, { type RequestHandler } from 'express';
import type { Container } from './container.js';
import { publicDir, viewsDir } from './shared/paths.js';
import { ROLE_LABELS } from './auth/roles.js';
import { navigationFor } from './auth/policy.js';
import { authRoutes } from './auth/auth.routes.js';
import { pageRoutes } from './auth/pages.routes.js';
import { devIdpRoutes } from './auth/saml/dev-idp/dev-idp.routes.js';
import { linkRoutes } from './links/links.routes.js';
import { answeringRoutes } from './surveys/answering.routes.js';
import { municipalityRoutes } from './surveys/municipality.routes.js';
import { participantsRoutes } from './participants/participants.routes.js';
import { roundsRoutes } from './surveys/rounds.routes.js';
import { elearningRoutes } from './elearning/elearning.routes.js';
import { reportingRoutes } from './reporting/reporting.routes.js';
import { mailRoutes } from './mail/mail.routes.js';
import { adminRoutes } from './admin/admin.routes.js';
import { errorHandler, notFoundHandler } from './web/errors.js';
import { metricsHandler } from './web/metrics.js';
import { readinessHandler } from './web/readiness.js';
import { setUpLogging } from './web/middleware/logging.js';
import { setUpSecurityHeaders } from './web/middleware/security.js';
import { setUpSession } from './web/middleware/session.js';
import { setUpCsrf } from './web/middleware/csrf.js';
import { healthHandler } from './web/middleware/health.js';

/** What every page template may use: the user, their navigation, the CSRF token and where they are. */
function setUpLocals(c: Container, tokenFor: (req: express.Request) => string): RequestHandler {
  const devIdp = Boolean(c.saml.devIdp);
  return (req, res, next) => {
    res.locals.user = req.session.user ?? null;
    res.locals.mainNav = navigationFor(req.session.user ?? null);
    res.locals.roleLabels = ROLE_LABELS;
    res.locals.csrfToken = () => tokenFor(req);
    res.locals.currentPath = req.path;
    res.locals.devIdp = devIdp;
    next();
  };
}

/** The SAML login and logout, and outside production the development IdP. */
function authentication(c: Container, destroySession: (sid: string) => Promise<void>): express.Router {
  const { config, saml } = c;
  const router = express.Router();
  router.use(
    authRoutes({
      logger: c.logger,
      sp: saml.sp,
      idp: saml.idp,
      loginService: c.login,
      requestCache: c.samlRequests,
      samlSessions: c.samlSessions,
      requireEncryptedAssertions: config.saml.requireEncryptedAssertions,
      sessionSecret: c.sessionSecret,
      secureCookies: config.secureCookies,
      rateLimits: c.rateLimits,
      destroySession,
    }),
  );
  if (saml.devIdp) {
    if (config.env === 'production') throw new Error('Udviklings-IdP må ikke køre i produktion');
    router.use(
      devIdpRoutes({
        municipalities: c.municipalities,
        idpEntityId: saml.devIdp.entityId,
        idpKeys: saml.devIdp.keys,
        spEntityId: saml.sp.entityId,
        spCert: saml.sp.keys.cert,
        spEncCert: saml.sp.encKeys.cert,
        acsUrl: saml.sp.acsUrl,
        roleBase: config.saml.roleBase,
        kombitCvr: config.kombitCvr,
      }),
    );
  }
  return router;
}

/** Builds the Express app from the container without listening; tests and server.ts both call it. */
export function createApp(c: Container): express.Express {
  const { config } = c;
  const app = express();
  app.set('view engine', 'ejs');
  app.set('views', viewsDir);
  app.disable('x-powered-by');
  if (config.secureCookies) app.set('trust proxy', 1);

  app.use(c.metrics.http);
  app.use(setUpLogging(c.logger));
  app.use(setUpSecurityHeaders(config));
  app.use('/public', express.static(publicDir, { maxAge: config.env === 'production' ? '1h' : 0 }));

  // Probes and Prometheus get no session, cookie or CSRF check.
  app.get('/healthz', healthHandler(c.db));
  app.get('/readyz', readinessHandler(c.readiness));
  app.get('/metrics', metricsHandler({ metrics: c.metrics, ...config.metrics }));

  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  const session = setUpSession({
    db: c.db,
    secret: c.sessionSecret,
    secureCookies: config.secureCookies,
    cleanupIntervalMs: config.env === 'test' ? 0 : 15 * 60_000,
  });
  app.use(session.middleware);
  // The ACS is posted cross-site by the IdP; it is protected by the signed assertion and InResponseTo instead.
  const csrf = setUpCsrf({ exceptPaths: ['/saml/acs'] });
  app.use(setUpLocals(c, csrf.tokenFor));
  app.use(csrf.protect);

  app.use(
    authentication(c, async (sid) => {
      await session.store.destroy(sid);
    }),
  );
  app.use(linkRoutes({ links: c.links, rateLimits: c.rateLimits }));
  app.use(answeringRoutes({ answering: c.surveys.answering, access: c.participantAccess }));
  app.use(municipalityRoutes({ overview: c.surveys.overview, rounds: c.surveys.rounds, links: c.links }));
  app.use(participantsRoutes({ participants: c.participants, personalData: c.personalData }));
  app.use(reportingRoutes(c));
  app.use(roundsRoutes({ rounds: c.surveys.rounds }));
  app.use(pageRoutes());
  app.use(elearningRoutes(c));
  app.use(mailRoutes(c));
  app.use(adminRoutes(c));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
