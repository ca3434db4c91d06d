import net from 'node:net';
import path from 'node:path';
import { z } from 'zod';

/** Thrown when the environment is invalid; lists every bad variable at once. */
export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Ugyldig konfiguration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** An IPv4 or IPv6 address, or a CIDR net of either (`10.0.0.0/8`, `fd00::/8`). */
export function isIpOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = net.isIP(address);
  if (!family || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

const ipList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .superRefine((entries, ctx) => {
    if (!entries.length)
      ctx.addIssue({ code: 'custom', message: 'skal nævne mindst én IP-adresse eller ét CIDR-net' });
    for (const e of entries.filter((x) => !isIpOrCidr(x)))
      ctx.addIssue({
        code: 'custom',
        message: `"${e}" er hverken en IP-adresse eller et CIDR-net (fx 10.0.0.0/8)`,
      });
  });

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  PUBLIC_URL: z.url().optional(),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'skal være en postgres://-URL')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'skal være et skemanavn (små bogstaver, cifre og _)')
    .optional(),
  SQLITE_FILE: z.string().min(1).default('var/parat.sqlite'),
  SESSION_SECRET: z.string().min(32, 'skal være mindst 32 tegn').optional(),
  SAML_IDP_METADATA: z.string().min(1).optional(),
  SAML_IDP_METADATA_REFRESH_MINUTES: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 24 * 60)
    .default(60),
  SAML_SP_KEY: z.string().min(1).optional(),
  SAML_SP_CERT: z.string().min(1).optional(),
  SAML_SP_ENC_KEY: z.string().min(1).optional(),
  SAML_SP_ENC_CERT: z.string().min(1).optional(),
  SAML_SP_ORGANIZATION: z.string().min(1).max(200).default('Parat'),
  SAML_SP_CONTACT_NAME: z.string().min(1).max(200).optional(),
  SAML_SP_CONTACT_EMAIL: z.email('skal være en e-mailadresse').optional(),
  SAML_SP_ENTITY_ID: z.string().min(1).optional(),
  SAML_ROLE_BASE: z.string().min(1).default('http://parat.kombit.dk/roles/usersystemrole'),
  SAML_REQUIRE_ENCRYPTED: boolish.optional(),
  KOMBIT_CVR: z
    .string()
    .regex(/^\d{8}$/, 'skal være 8 cifre')
    .default('19435075'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DEMO_DATA: boolish.optional(),
  VAR_DIR: z.string().min(1).default('var'),
  K_THRESHOLD: z.coerce.number().int().min(3, 'må aldrig være under 3').default(5),
  SURVEY_WINDOW_DAYS: z.coerce.number().int().min(1).max(120).default(21),
  SCHEDULER_INTERVAL_SECONDS: z.coerce.number().int().min(0).default(60),
  PURGE_AFTER_DAYS: z.coerce.number().int().min(1).default(180),
  TEST_PASS_PERCENT: z.coerce.number().int().min(1).max(100).default(80),
  TEST_REVIEW_SHOWS_KEY: z
    .enum(['never', 'after-pass', 'always'], 'skal være never, after-pass eller always')
    .default('after-pass'),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'skal være en smtp://- eller smtps://-URL')
    .optional(),
  MAIL_FROM: z.string().min(3).default('Parat <noreply@parat.example.dk>'),
  KOMBIT_EMAIL: z.email('skal være en e-mailadresse').optional(),
  MAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(8),
  MAIL_WORKER_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).optional(),
  MAIL_LEASE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  METRICS_ALLOW: ipList.default(['127.0.0.1', '::1', '::ffff:127.0.0.1']),
  METRICS_TOKEN: z.string().min(32, 'skal være mindst 32 tegn').optional(),
});

export type Config = {
  env: 'development' | 'production' | 'test';
  port: number;
  publicUrl: string;
  secureCookies: boolean;
  database: { client: 'pg'; url: string; searchPath?: string } | { client: 'sqlite3'; filename: string };
  sessionSecret: string | undefined;
  varDir: string;
  saml: {
    /** The IdP's metadata: a file path or a URL (re-read every idpMetadataRefreshMinutes). */
    idpMetadata: string | undefined;
    idpMetadataRefreshMinutes: number;
    spKeyPath: string | undefined;
    spCertPath: string | undefined;
    /** A separate encryption key pair; the signing pair when not set. */
    spEncKeyPath: string | undefined;
    spEncCertPath: string | undefined;
    organization: string;
    contactName: string | undefined;
    contactEmail: string | undefined;
    spEntityId: string;
    roleBase: string;
    requireEncryptedAssertions: boolean;
    devIdpEnabled: boolean;
  };
  kombitCvr: string;
  /** Overrides the window of the failure limits (links, certificate and course codes, login responses). */
  rateLimitWindowSeconds: number | undefined;
  logLevel: string;
  demoData: boolean;
  kThreshold: number;
  surveyWindowDays: number;
  schedulerIntervalSeconds: number;
  purgeAfterDays: number;
  /** Final test: share of correct answers (in %) needed to pass. */
  testPassPercent: number;
  /** Whether the review of a submitted attempt shows the correct options: never, once the learner has passed, or always. */
  testReviewShowsKey: 'never' | 'after-pass' | 'always';
  /** Outbox and SMTP; no smtpUrl means mail is held in the outbox (development mailbox). */
  mail: {
    smtpUrl: string | undefined;
    from: string;
    kombitEmail: string | undefined;
    maxAttempts: number;
    /** How often each instance's worker looks for due messages. */
    workerIntervalSeconds: number;
    /** How long a claimed message is the claiming worker's before another may take it over. */
    leaseSeconds: number;
  };
  /** Who may read /metrics: these addresses and nets, or anyone with the bearer token. */
  metrics: { allow: string[]; token: string | undefined };
};

type Env = z.infer<typeof schema>;

/** The schema's parse of the environment; empty variables count as unset, so a blank line in .env means the default. */
function parseEnv(env: NodeJS.ProcessEnv): Env {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  return parsed.data;
}

/** The rules across variables that the schema cannot state: what production needs, and pairs set together. */
function crossChecks(e: Env, production: boolean): string[] {
  const problems: string[] = [];
  if (production) {
    if (!e.SESSION_SECRET) problems.push('SESSION_SECRET: skal sættes i produktion');
    if (!e.SAML_SP_KEY) problems.push('SAML_SP_KEY: skal sættes i produktion (sti til PEM-nøgle)');
    if (!e.SAML_SP_CERT) problems.push('SAML_SP_CERT: skal sættes i produktion (sti til PEM-certifikat)');
    if (!e.SAML_IDP_METADATA)
      problems.push('SAML_IDP_METADATA: skal sættes i produktion (sti eller https-URL til IdP-metadata)');
    if (!e.PUBLIC_URL) problems.push('PUBLIC_URL: skal sættes i produktion');
  }
  if (Boolean(e.SAML_SP_ENC_KEY) !== Boolean(e.SAML_SP_ENC_CERT)) {
    problems.push('SAML_SP_ENC_KEY/SAML_SP_ENC_CERT: sæt begge eller ingen af dem');
  }
  return problems;
}

/** PostgreSQL when DATABASE_URL is set, otherwise the SQLite file. */
function databaseOf(e: Env): Config['database'] {
  return e.DATABASE_URL
    ? { client: 'pg', url: e.DATABASE_URL, ...(e.DATABASE_SCHEMA ? { searchPath: e.DATABASE_SCHEMA } : {}) }
    : { client: 'sqlite3', filename: path.resolve(e.SQLITE_FILE) };
}

/** The SAML settings; without IdP metadata outside production, the development IdP stands in. */
function samlOf(e: Env, publicUrl: string, production: boolean): Config['saml'] {
  return {
    idpMetadata: e.SAML_IDP_METADATA,
    idpMetadataRefreshMinutes: e.SAML_IDP_METADATA_REFRESH_MINUTES,
    spKeyPath: e.SAML_SP_KEY,
    spCertPath: e.SAML_SP_CERT,
    spEncKeyPath: e.SAML_SP_ENC_KEY,
    spEncCertPath: e.SAML_SP_ENC_CERT,
    organization: e.SAML_SP_ORGANIZATION,
    contactName: e.SAML_SP_CONTACT_NAME,
    contactEmail: e.SAML_SP_CONTACT_EMAIL,
    spEntityId: e.SAML_SP_ENTITY_ID ?? `${publicUrl}/saml/metadata`,
    roleBase: e.SAML_ROLE_BASE.replace(/\/$/, ''),
    requireEncryptedAssertions: e.SAML_REQUIRE_ENCRYPTED ?? production,
    devIdpEnabled: !e.SAML_IDP_METADATA && !production,
  };
}

function mailOf(e: Env): Config['mail'] {
  return {
    smtpUrl: e.SMTP_URL,
    from: e.MAIL_FROM,
    kombitEmail: e.KOMBIT_EMAIL,
    maxAttempts: e.MAIL_MAX_ATTEMPTS,
    workerIntervalSeconds: e.MAIL_WORKER_INTERVAL_SECONDS,
    leaseSeconds: e.MAIL_LEASE_SECONDS,
  };
}

/** Parses the environment into a typed config, or throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const e = parseEnv(env);
  const production = e.NODE_ENV === 'production';
  const problems = crossChecks(e, production);
  if (problems.length) throw new ConfigError(problems);
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/$/, '');
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    publicUrl,
    secureCookies: publicUrl.startsWith('https://'),
    database: databaseOf(e),
    sessionSecret: e.SESSION_SECRET,
    varDir: path.resolve(e.VAR_DIR),
    saml: samlOf(e, publicUrl, production),
    kombitCvr: e.KOMBIT_CVR,
    rateLimitWindowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
    logLevel: e.LOG_LEVEL,
    demoData: e.DEMO_DATA ?? !production,
    kThreshold: e.K_THRESHOLD,
    surveyWindowDays: e.SURVEY_WINDOW_DAYS,
    schedulerIntervalSeconds: e.SCHEDULER_INTERVAL_SECONDS,
    purgeAfterDays: e.PURGE_AFTER_DAYS,
    testPassPercent: e.TEST_PASS_PERCENT,
    testReviewShowsKey: e.TEST_REVIEW_SHOWS_KEY,
    mail: mailOf(e),
    metrics: { allow: e.METRICS_ALLOW, token: e.METRICS_TOKEN },
  };
}
