import http from 'node:http';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, safeError, type Logger } from './shared/logger.js';
import { buildContainer, type Container } from './container.js';
import { createApp } from './app.js';
import { startScheduler } from './surveys/scheduler.js';
import { startupListener } from './web/readiness.js';

/** The configuration, or the list of what is wrong with it and exit code 1. */
function configOrExit(): Config {
  try {
    return loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

/** Listens at once: probes get an answer (alive, not ready) however long the migrations take. */
async function listen(config: Config, logger: Logger) {
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
  return { server, startup };
}

/** The round scheduler and the mail worker; returns what stops them. */
function startJobs(c: Container): () => void {
  const { config, logger } = c;
  c.readiness.watchScheduler(config.schedulerIntervalSeconds);
  const stopScheduler = startScheduler(
    c.surveys,
    logger,
    config.schedulerIntervalSeconds,
    // A closed round's published aggregate is computed once now, not on the first dashboard view.
    async (roundId) => {
      await c.aggregates.forRound(await c.surveys.rounds.round(roundId));
    },
    (outcome) => {
      c.metrics.schedulerTick(outcome);
      c.readiness.schedulerTicked(outcome);
    },
  );
  // Every instance may run a worker: claims are leased, so each message goes out once.
  const stopMailWorker = c.mailWorker.start(config.mail.workerIntervalSeconds * 1000);
  if (!config.mail.smtpUrl)
    logger.info('SMTP_URL er ikke sat: e-mails holdes i udbakken (se /dev/postkasse)');
  return () => {
    stopScheduler();
    stopMailWorker();
  };
}

async function main(): Promise<void> {
  const config = configOrExit();
  const logger = createLogger(config.logLevel);
  const { server, startup } = await listen(config, logger);
  const c = await buildContainer(config, logger);
  startup.setPhase('starter');
  if (config.demoData) {
    const { seedDemoData } = await import('./demo/demo.seed.js');
    await seedDemoData(c);
  }
  const app = createApp(c);
  const stopJobs = startJobs(c);
  server.removeAllListeners('request');
  server.on('request', app);
  logger.info({ port: config.port, url: config.publicUrl, database: config.database.client }, 'Parat kører');
  const shutdown = (signal: string) => {
    logger.info({ signal }, 'lukker ned');
    stopJobs();
    c.saml.idp.stop();
    server.close(() => {
      void c.db.destroy().finally(() => process.exit(0));
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
