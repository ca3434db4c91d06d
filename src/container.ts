import type { Config } from './config.js';
import { createDb, migrateLatest, type Db, type DbOrTrx } from './db/knex.js';
import type { Logger } from './shared/logger.js';
import { systemClock, type Clock } from './shared/clock.js';
import { ELEARNING_CONTENT_DIR } from './shared/paths.js';
import { effectiveK } from './shared/k-anonymity.js';
import { loadSamlSettings, type SamlSettings } from './auth/saml/settings.js';
import { createLoginService } from './auth/login.service.js';
import { createSamlSessionsService } from './auth/saml/saml-sessions.service.js';
import { createRequestCache } from './auth/saml/request-cache.js';
import { createMunicipalitiesService } from './municipalities/municipalities.service.js';
import { createAuditLogService } from './admin/audit-log.service.js';
import { outboxRepository } from './mail/outbox.repository.js';
import { roundsRepository } from './surveys/rounds.repository.js';
import { currentVersion, loadInstruments, type Instrument } from './surveys/instrument.js';
import { createAggregateStore } from './surveys/aggregates.js';
import { createAnsweringService } from './surveys/answering.service.js';
import { createParticipantsService } from './participants/participants.service.js';
import { createPersonalDataService } from './participants/personal-data.service.js';
import { createParticipantAccess } from './links/participant-access.js';
import { linksRepository } from './links/links.repository.js';
import { learnersRepository } from './elearning/index.js';
import { surveyPersonalData } from './surveys/personal-data.js';
import { createOverviewService } from './surveys/overview.service.js';
import { createResultsService } from './surveys/results.service.js';
import { createRoundsService, type RoundEvent } from './surveys/rounds.service.js';
import { createLinkService } from './links/links.service.js';
import { createMailAdminService, createMailService } from './mail/mail.service.js';
import { createMailWorker } from './mail/mail.worker.js';
import { createRoundInvitations } from './surveys/round-invitations.js';
import { createResultsMail } from './reporting/results-mail.js';
import { loadElearningContent } from './elearning/content.loader.js';
import { createElearningService } from './elearning/elearning.service.js';
import { createEvaluationsService } from './elearning/evaluations.service.js';
import { createQuizService } from './elearning/quiz.service.js';
import { secureRng } from './shared/random.js';
import { createLearnersService } from './elearning/learners.service.js';
import { createCertificatesService } from './elearning/certificates.service.js';
import { createElearningStats } from './elearning/elearning.stats.js';
import { createLearningSource } from './reporting/learning.source.js';
import { createDashboardService } from './reporting/dashboard.service.js';
import { createReportingService } from './reporting/reporting.service.js';
import { createRateLimiter, databaseRateLimitStore, memoryRateLimitStore } from './web/rate-limit.js';
import { createMetrics, type DatabaseFigures } from './web/metrics.js';
import { createReadiness } from './web/readiness.js';
import { sessionSecretOf } from './web/middleware/session.js';

/** What /metrics reads from the database when scraped, asked of each table's owner. */
function databaseFigures(db: Db): DatabaseFigures {
  return {
    outboxByStatus: () => outboxRepository.countByStatus(db),
    oldestPendingMailAt: () => outboxRepository.oldestPendingAt(db),
    roundsByState: () => roundsRepository.countByState(db),
  };
}

/** What every feature may be given: configuration, database, clock, log and the shared web pieces. */
function buildInfrastructure(config: Config, logger: Logger, db: Db, clock: Clock, saml: SamlSettings) {
  return {
    config,
    db,
    logger,
    clock,
    saml,
    instruments: loadInstruments() as Map<number, Instrument>,
    metrics: createMetrics({ db, clock, figures: databaseFigures(db) }),
    readiness: createReadiness({ db, clock }),
    sessionSecret: sessionSecretOf(config),
    // One instance on SQLite counts in memory; on PostgreSQL every instance shares the counters.
    rateLimits: createRateLimiter({
      store: config.database.client === 'pg' ? databaseRateLimitStore(db) : memoryRateLimitStore(),
      failureWindowMs: config.rateLimitWindowSeconds ? config.rateLimitWindowSeconds * 1000 : undefined,
    }),
  };
}
type Infrastructure = ReturnType<typeof buildInfrastructure>;

/** The survey feature: rounds (with their mail), answering, participants and results over one aggregate store. */
function buildSurveys(infra: Infrastructure) {
  const { db, clock, config, instruments } = infra;
  const k = effectiveK(config.kThreshold);
  const aggregates = createAggregateStore({ db, instruments, k, clock });
  const results = createResultsService({ db, store: aggregates });
  const links = createLinkService({ db, clock, publicUrl: config.publicUrl, roundOf: roundsRepository.byId });
  const mail = createMailService({ config, clock });
  const version = currentVersion(instruments);
  // Round events reach their subscribers inside the transaction that caused them.
  const subscribers = [
    createRoundInvitations({ config, clock, k, mail, links }),
    createResultsMail({ config, k, mail, results, aggregates }),
  ];
  const onEvent = async (trx: DbOrTrx, event: RoundEvent) => {
    for (const subscriber of subscribers) await subscriber(trx, event);
  };
  const rounds = createRoundsService({
    db,
    clock,
    windowDays: config.surveyWindowDays,
    instrumentVersion: version,
    onEvent,
    mailKeysWithPrefix: outboxRepository.keysWithPrefix,
  });
  const personalData = buildPersonalData(infra);
  return {
    aggregates,
    links,
    mail,
    participants: createParticipantsService({ db, clock }),
    personalData,
    participantAccess: createParticipantAccess({ db }),
    surveys: {
      rounds,
      answering: createAnsweringService({ db, instruments, currentVersion: version }),
      overview: createOverviewService({
        db,
        notInvited: rounds.notInvited,
        resultsForRound: (code, roundId) => results.forRound(code, roundId),
      }),
      // The scheduler purges participant lists through this (server.ts and tests hand it `surveys`).
      participants: personalData,
      results,
    },
  };
}

/** Export, erasure and purge of a person's data, asking each feature that keeps some (in one transaction). */
function buildPersonalData(infra: Infrastructure) {
  const { db, clock, config } = infra;
  return createPersonalDataService({
    db,
    clock,
    purgeAfterDays: config.purgeAfterDays,
    outbox: outboxRepository,
    links: linksRepository,
    elearning: learnersRepository,
    surveys: surveyPersonalData,
  });
}

/** E-learning: content loaded and validated once, learners, progress, the final test, certificates and evaluations. */
function buildElearning(infra: Infrastructure, mail: ReturnType<typeof createMailService>) {
  const { db, clock, config } = infra;
  const content = loadElearningContent(ELEARNING_CONTENT_DIR);
  const learners = createLearnersService({ db, clock });
  return {
    content,
    learners,
    progress: createElearningService({ db, clock, content }),
    evaluations: createEvaluationsService({ db, clock, content, kThreshold: config.kThreshold }),
    certificates: createCertificatesService({ db }),
    stats: createElearningStats({ db, content }),
    quiz: createQuizService({
      db,
      clock,
      content,
      passPercent: config.testPassPercent,
      reviewShowsKey: config.testReviewShowsKey,
      rng: secureRng,
      onFirstPass: async (trx, learner) => {
        const to = await learners.emailOf(trx, learner);
        if (to)
          await mail.enqueueTestPassed(trx, {
            to,
            name: learner.name,
            certificateUrl: `${config.publicUrl}/e-laering/certifikat`,
          });
      },
    }),
  };
}

/** Login and its SAML state, the municipalities and the audit log. */
function buildAuth(infra: Infrastructure) {
  const { db, clock, config } = infra;
  const municipalities = createMunicipalitiesService({ db, clock, kombitCvr: config.kombitCvr });
  return {
    municipalities,
    auditLog: createAuditLogService({ db }),
    samlSessions: createSamlSessionsService({ db, clock }),
    // node-saml judges request age by the wall clock, so the store must too (not the app's injectable clock).
    samlRequests: createRequestCache({ db, clock: systemClock, ttlMs: 10 * 60_000 }),
    login: createLoginService({
      db,
      clock,
      roleBase: config.saml.roleBase,
      kombitCvr: config.kombitCvr,
      municipalityByCvr: municipalities.byCvr,
      onOutcome: infra.metrics.loginOutcome,
    }),
  };
}

/** The only place that builds the app's services, stores and jobs, each once. */
export async function buildContainer(config: Config, logger: Logger, opts: { db?: Db; clock?: Clock } = {}) {
  const db = opts.db ?? createDb(config.database);
  await migrateLatest(db);
  const saml = await loadSamlSettings(config, logger);
  const infra = buildInfrastructure(config, logger, db, opts.clock ?? systemClock, saml);
  const { clock } = infra;
  const { aggregates, links, mail, participants, personalData, participantAccess, surveys } =
    buildSurveys(infra);
  const elearning = buildElearning(infra, mail);
  const learning = createLearningSource({
    stats: elearning.stats,
    content: elearning.content,
    evaluations: elearning.evaluations,
  });
  const dashboards = createDashboardService({ db, clock, store: aggregates, learning });
  return {
    ...infra,
    k: effectiveK(config.kThreshold),
    aggregates,
    links,
    mail,
    participants,
    personalData,
    participantAccess,
    mailAdmin: createMailAdminService({ db, clock }),
    surveys,
    elearning,
    dashboards,
    reporting: createReportingService({ db, clock, config, aggregates, dashboards }),
    ...buildAuth(infra),
    /** The outbox's sender; server.ts starts it, tests run it by hand. */
    mailWorker: createMailWorker(
      { db, clock, config, logger },
      { leaseMs: config.mail.leaseSeconds * 1000, onSendFailure: infra.metrics.mailSendFailure },
    ),
  };
}

/** Rounds whose events go nowhere: demo data and benchmarks open and close rounds in bulk without mail. */
export function buildQuietRounds(c: Pick<Container, 'db' | 'clock' | 'config' | 'instruments'>) {
  return createRoundsService({
    db: c.db,
    clock: c.clock,
    windowDays: c.config.surveyWindowDays,
    instrumentVersion: currentVersion(c.instruments),
  });
}

/** Everything the app and its jobs are built from. */
export type Container = Awaited<ReturnType<typeof buildContainer>>;
