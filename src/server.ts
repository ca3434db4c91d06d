import http from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './shared/logger.js';
import { buildDeps } from './container.js';
import { createApp } from './app.js';
import { createSurveyServices } from './surveys/surveys.services.js';
import { startScheduler } from './surveys/scheduler.js';
import { createAggregateStore } from './surveys/aggregates.js';
import { effectiveK } from './surveys/anonymity.js';
import { roundsRepository } from './surveys/rounds.repository.js';
import { createMailWorker } from './mail/mail.worker.js';
import { safeError } from './shared/logger.js';
import { startupListener } from './web/readiness.js';

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);
  // Listening before migrating: probes get an answer (alive, not ready) however long the migrations take.
  const startup = startupListener();
  const server = http.createServer(startup.listener);
  await new Promise<void>((resolve) => {
    const failed = (err: Error) => {
      logger.fatal({ err: safeError(err) }, 'kunne ikke lytte på porten');
      process.exit(1);
    };
    server.once('error', failed);
    server.listen(config.port, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const deps = await buildDeps(config, logger);
  startup.setPhase('starter');
  if (config.demoData) {
    const { seedDemoData } = await import('./demo/demo.seed.js');
    await seedDemoData(deps);
  }
  const app = createApp(deps);
  const aggregates = createAggregateStore({
    db: deps.db,
    instruments: deps.instruments,
    k: effectiveK(config.kThreshold),
    clock: deps.clock,
  });
  deps.readiness.watchScheduler(config.schedulerIntervalSeconds);
  const stopScheduler = startScheduler(
    createSurveyServices(deps),
    logger,
    config.schedulerIntervalSeconds,
    async (roundId) => {
      const round = await roundsRepository.byId(deps.db, roundId);
      if (round) await aggregates.forRound(round);
    },
    (outcome) => {
      deps.metrics.schedulerTick(outcome);
      deps.readiness.schedulerTicked(outcome);
    },
  );
  // Every instance may run a worker: claims are leased, so each message goes out once.
  const stopMailWorker = createMailWorker(deps, {
    leaseMs: config.mail.leaseSeconds * 1000,
    onSendFailure: deps.metrics.mailSendFailure,
  }).start(config.mail.workerIntervalSeconds * 1000);
  if (!config.mail.smtpUrl)
    logger.info('SMTP_URL er ikke sat: e-mails holdes i udbakken (se /dev/postkasse)');
  server.removeAllListeners('request');
  server.on('request', app);
  logger.info({ port: config.port, url: config.publicUrl, database: config.database.client }, 'Parat kører');
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'lukker ned');
    stopScheduler();
    stopMailWorker();
    deps.saml.idp.stop();
    server.close(() => {
      void deps.db.destroy().finally(() => process.exit(0));
    });
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  console.error('Parat kunne ikke starte:', err instanceof Error ? err.message : err);
  process.exit(1);
});
