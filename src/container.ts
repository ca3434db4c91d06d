import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import { createDb, migrateLatest, type Db } from './db/knex.js';
import type { Logger } from './shared/logger.js';
import { systemClock, type Clock } from './shared/clock.js';
import { loadOrCreateKeyPair } from './auth/saml/keys.js';
import { loadIdpSource, staticIdpSource, type IdpSource } from './auth/saml/idp-metadata.js';
import { certBody } from './auth/saml/keys.js';
import type { AppDeps } from './app.js';
import { loadInstruments } from './surveys/instrument.js';
import { createRateLimiter, databaseRateLimitStore, memoryRateLimitStore } from './web/rate-limit.js';
import { createMetrics } from './web/metrics.js';
import { createReadiness } from './web/readiness.js';

/** Development session secret, kept under var/ so sessions survive a restart; production must set one. */
function devSessionSecret(varDir: string): string {
  const file = path.join(varDir, 'session-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(varDir, { recursive: true });
  const secret = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** The only place that builds the app's dependencies from config. */
export async function buildDeps(
  config: Config,
  logger: Logger,
  opts: { db?: Db; clock?: Clock } = {},
): Promise<AppDeps> {
  const db = opts.db ?? createDb(config.database);
  await migrateLatest(db);
  const production = config.env === 'production';
  const spKeys = await loadOrCreateKeyPair({
    keyPath: config.saml.spKeyPath,
    certPath: config.saml.spCertPath,
    varDir: config.varDir,
    name: 'saml-sp',
    allowGenerate: !production,
  });
  const spEncKeys = config.saml.spEncKeyPath
    ? await loadOrCreateKeyPair({
        keyPath: config.saml.spEncKeyPath,
        certPath: config.saml.spEncCertPath,
        varDir: config.varDir,
        name: 'saml-sp-enc',
        allowGenerate: false,
      })
    : spKeys;
  let devIdp: AppDeps['saml']['devIdp'] = null;
  let idp: IdpSource;
  if (config.saml.idpMetadata) {
    idp = await loadIdpSource({
      location: config.saml.idpMetadata,
      refreshMinutes: config.saml.idpMetadataRefreshMinutes,
      logger,
    });
  } else {
    if (production) throw new Error('SAML_IDP_METADATA mangler, og udviklings-IdP må ikke køre i produktion');
    const keys = await loadOrCreateKeyPair({
      keyPath: undefined,
      certPath: undefined,
      varDir: config.varDir,
      name: 'dev-idp',
      allowGenerate: true,
    });
    const entityId = `${config.publicUrl}/dev-idp`;
    devIdp = { entityId, keys };
    idp = staticIdpSource({
      entityId,
      ssoUrl: `${config.publicUrl}/dev-idp/sso`,
      sloUrl: null,
      signingCerts: [certBody(keys.cert)],
      validUntil: null,
    });
  }
  const instruments = loadInstruments();
  const clock = opts.clock ?? systemClock;
  return {
    instruments,
    config,
    db,
    logger,
    clock,
    metrics: createMetrics({ db, clock }),
    readiness: createReadiness({ db, clock }),
    sessionSecret: config.sessionSecret ?? devSessionSecret(config.varDir),
    // One instance on SQLite counts in memory; on PostgreSQL every instance shares the counters.
    rateLimits: createRateLimiter({
      store: config.database.client === 'pg' ? databaseRateLimitStore(db) : memoryRateLimitStore(),
      failureWindowMs: config.rateLimitWindowSeconds ? config.rateLimitWindowSeconds * 1000 : undefined,
    }),
    saml: {
      sp: {
        entityId: config.saml.spEntityId,
        acsUrl: `${config.publicUrl}/saml/acs`,
        sloUrl: `${config.publicUrl}/saml/slo`,
        keys: spKeys,
        encKeys: spEncKeys,
        organization: { name: config.saml.organization, displayName: 'Parat', url: config.publicUrl },
        contact: {
          company: config.saml.organization,
          name: config.saml.contactName ?? null,
          email: config.saml.contactEmail ?? null,
        },
      },
      idp,
      devIdp,
    },
  };
}
