import crypto from 'node:crypto';
import express from 'express';
import session from 'express-session';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { csrfSync } from 'csrf-sync';
import type { Config } from './config.js';
import type { Db } from './db/knex.js';
import type { Logger } from './shared/logger.js';
import { sanitizeUrl } from './shared/logger.js';
import type { Clock } from './shared/clock.js';
import { publicDir, viewsDir } from './shared/paths.js';
import { ROLE_LABELS } from './auth/roles.js';
import { authRoutes } from './auth/auth.routes.js';
import { createLoginService } from './auth/login.service.js';
import { devIdpRoutes } from './auth/saml/dev-idp/dev-idp.routes.js';
import type { SpSettings } from './auth/saml/sp.js';
import type { IdpSource } from './auth/saml/idp-metadata.js';
import type { KeyPair } from './auth/saml/keys.js';
import { pageRoutes } from './web/pages.routes.js';
import { linkRoutes } from './links/links.routes.js';
import { createLinkService } from './links/links.service.js';
import { ELEARNING_CONTENT_DIR, elearningRoutes } from './elearning/elearning.routes.js';
import { loadElearningContent } from './elearning/content.loader.js';
import { reportingRoutes } from './reporting/reporting.routes.js';
import { createDashboardService } from './reporting/dashboard.service.js';
import { createAggregateStore } from './surveys/aggregates.js';
import { createLearningSource } from './reporting/learning.source.js';
import { effectiveK } from './surveys/anonymity.js';
import { surveysRoutes } from './surveys/surveys.routes.js';
import { roundsRoutes } from './surveys/rounds.routes.js';
import { mailRoutes } from './mail/mail.routes.js';
import { adminRoutes } from './admin/admin.routes.js';
import { createSurveyServices } from './surveys/surveys.services.js';
import type { Instrument } from './surveys/instrument.js';
import { errorHandler, notFoundHandler } from './web/errors.js';
import { SessionStore } from './web/session-store.js';
import type { RateLimiter } from './web/rate-limit.js';
import { metricsHandler, type Metrics } from './web/metrics.js';
import { readinessHandler, type Readiness } from './web/readiness.js';

export type AppDeps = {
  config: Config;
  db: Db;
  logger: Logger;
  clock: Clock;
  sessionSecret: string;
  rateLimits: RateLimiter;
  /** This app's Prometheus registry and counters. */
  metrics: Metrics;
  readiness: Readiness;
  instruments: Map<number, Instrument>;
  saml: { sp: SpSettings; idp: IdpSource; devIdp: { entityId: string; keys: KeyPair } | null };
};

/** Builds the Express app without listening; tests and server.ts both call it. */
export function createApp(deps: AppDeps): express.Express {
  const { config, db, logger } = deps;
  const app = express();
  app.set('view engine', 'ejs');
  app.set('views', viewsDir);
  app.disable('x-powered-by');
  if (config.secureCookies) app.set('trust proxy', 1);

  app.use(deps.metrics.http);
  app.use(
    pinoHttp({
      logger,
      genReqId: (req, res) => {
        const id = crypto.randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      serializers: {
        req: (req: { id: string; method: string; url: string }) => ({
          id: req.id,
          method: req.method,
          url: sanitizeUrl(req.url),
        }),
        res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      },
      autoLogging: { ignore: (req) => (req.url ?? '').startsWith('/public/') },
    }),
  );

  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: true,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          upgradeInsecureRequests: config.secureCookies ? [] : null,
        },
      },
      hsts: config.secureCookies,
      // Matches frame-ancestors 'none' for browsers that only read the older header.
      xFrameOptions: { action: 'deny' },
    }),
  );
  app.use('/public', express.static(publicDir, { maxAge: config.env === 'production' ? '1h' : 0 }));

  app.get('/healthz', async (_req, res) => {
    try {
      await db.raw('select 1');
      res.json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'fejl', database: 'utilgængelig' });
    }
  });
  // Probes and Prometheus get no session, cookie or CSRF check.
  app.get('/readyz', readinessHandler(deps.readiness));
  app.get(
    '/metrics',
    metricsHandler({ metrics: deps.metrics, allow: config.metrics.allow, token: config.metrics.token }),
  );

  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  // Sliding 8 hours; the stored expiry is extended at most once a minute per session, not on every request.
  const sessionStore = new SessionStore({
    db,
    cleanupInterval: config.env === 'test' ? 0 : 15 * 60_000,
    touchAfterMs: 60_000,
  });
  app.use(
    session({
      name: 'parat.sid',
      secret: deps.sessionSecret,
      store: sessionStore,
      resave: false,
      saveUninitialized: false,
      rolling: true,
      cookie: { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, maxAge: 8 * 3600_000 },
    }),
  );

  const { csrfSynchronisedProtection, generateToken } = csrfSync({
    // Multipart bodies are parsed after this check, so an upload form carries its token in the query.
    getTokenFromRequest: (req) =>
      (req.body?._csrf as string | undefined) ??
      (req.headers['x-csrf-token'] as string | undefined) ??
      (req.is('multipart/form-data') && typeof req.query._csrf === 'string' ? req.query._csrf : undefined),
  });
  app.use((req, res, next) => {
    res.locals.user = req.session.user ?? null;
    res.locals.roleLabels = ROLE_LABELS;
    res.locals.csrfToken = () => generateToken(req);
    res.locals.currentPath = req.path;
    res.locals.devIdp = Boolean(deps.saml.devIdp);
    next();
  });
  // The ACS is posted cross-site by the IdP; it is protected by the signed assertion and InResponseTo instead.
  app.use((req, res, next) =>
    req.path === '/saml/acs' ? next() : csrfSynchronisedProtection(req, res, next),
  );

  const loginService = createLoginService({
    db,
    clock: deps.clock,
    roleBase: config.saml.roleBase,
    kombitCvr: config.kombitCvr,
    onOutcome: deps.metrics.loginOutcome,
  });
  app.use(
    authRoutes({
      db,
      logger,
      clock: deps.clock,
      sp: deps.saml.sp,
      idp: deps.saml.idp,
      loginService,
      requireEncryptedAssertions: config.saml.requireEncryptedAssertions,
      sessionSecret: deps.sessionSecret,
      secureCookies: config.secureCookies,
      rateLimits: deps.rateLimits,
      destroySession: async (sid) => {
        await sessionStore.destroy(sid);
      },
    }),
  );
  if (deps.saml.devIdp) {
    if (config.env === 'production') throw new Error('Udviklings-IdP må ikke køre i produktion');
    app.use(
      devIdpRoutes({
        db,
        idpEntityId: deps.saml.devIdp.entityId,
        idpKeys: deps.saml.devIdp.keys,
        spEntityId: deps.saml.sp.entityId,
        spCert: deps.saml.sp.keys.cert,
        spEncCert: deps.saml.sp.encKeys.cert,
        acsUrl: deps.saml.sp.acsUrl,
        roleBase: config.saml.roleBase,
        kombitCvr: config.kombitCvr,
      }),
    );
  }
  const links = createLinkService({ db, clock: deps.clock, publicUrl: config.publicUrl });
  const surveys = createSurveyServices(deps);
  app.use(linkRoutes({ links, rateLimits: deps.rateLimits }));
  app.use(
    surveysRoutes({
      db,
      clock: deps.clock,
      instruments: deps.instruments,
      links,
      linkValidDays: 14,
      ...surveys,
    }),
  );
  const elearningContent = loadElearningContent(ELEARNING_CONTENT_DIR);
  const dashboards = createDashboardService({
    db,
    clock: deps.clock,
    store: createAggregateStore({
      db,
      instruments: deps.instruments,
      k: effectiveK(config.kThreshold),
      clock: deps.clock,
    }),
    learning: createLearningSource(db, elearningContent, deps.clock, config.kThreshold),
  });
  app.use(reportingRoutes({ ...deps, dashboards }));
  app.use(roundsRoutes({ db, rounds: surveys.rounds }));
  app.use(pageRoutes());
  app.use(elearningRoutes(deps, elearningContent));
  app.use(mailRoutes(deps));
  app.use(adminRoutes(deps));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
