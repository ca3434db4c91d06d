import crypto from 'node:crypto';
import net from 'node:net';
import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { Forbidden } from '../shared/errors.js';
import { outboxRepository, type OutboxStatus } from '../mail/outbox.repository.js';
import { roundsRepository } from '../surveys/rounds.repository.js';

const OUTBOX_STATES: OutboxStatus[] = ['held', 'pending', 'sending', 'sent', 'failed'];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** What the pool of a Knex client (tarn) tells about itself; absent once the database is destroyed. */
type TarnPool = {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
};

function poolOf(db: Db): TarnPool | null {
  const pool = (db.client as { pool?: Partial<TarnPool> }).pool;
  return pool && typeof pool.numUsed === 'function' ? (pool as TarnPool) : null;
}

/**
 * The route a request matched, as its pattern (`/l/:token`), never the URL: paths carry personal link
 * tokens and ids. Routers are mounted without a path here; one mounted at a path with parameters would
 * put their values in `baseUrl`, so mount routers at fixed paths only.
 */
export function routeLabel(req: Request): string {
  const path = req.route?.path as unknown;
  if (typeof path === 'string') return `${req.baseUrl}${path}` || '/';
  if (path !== undefined) return `${req.baseUrl}${String(path)}`;
  return req.originalUrl.startsWith('/public/') ? '/public' : 'unmatched';
}

/** The part of a refusal reason before its free text (`bpp: …` → `bpp`), so the label has few values. */
export function reasonLabel(reason: string): string {
  const head = reason.split(':')[0]!.trim().toLowerCase();
  return /^[a-z0-9-]{1,40}$/.test(head) ? head : 'other';
}

/**
 * The app's Prometheus series, in a registry of its own (several apps in one process never share one).
 * Figures that live in the database (outbox, rounds) are read when scraped, so every instance reports
 * the same totals; counters are this instance's.
 */
export function createMetrics(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpLabels = ['route', 'method', 'status'] as const;
  const httpRequests = new Counter({
    name: 'parat_http_requests_total',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: httpLabels,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'parat_http_request_duration_seconds',
    help: 'HTTP request latency in seconds, until the response is written, by route pattern, method and status',
    labelNames: httpLabels,
    registers,
  });
  const loginsAccepted = new Counter({
    name: 'parat_logins_accepted_total',
    help: 'Logins accepted',
    registers,
  });
  const loginsRefused = new Counter({
    name: 'parat_logins_refused_total',
    help: 'Logins (and IdP logout requests) refused, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const mailFailures = new Counter({
    name: 'parat_mail_send_failures_total',
    help: 'Mail sends that failed: temporary (tried again later) or permanent (message given up)',
    labelNames: ['type'] as const,
    registers,
  });
  const schedulerTicks = new Counter({
    name: 'parat_scheduler_ticks_total',
    help: 'Scheduler ticks run by this instance, by outcome',
    labelNames: ['outcome'] as const,
    registers,
  });
  const schedulerLastSuccess = new Gauge({
    name: 'parat_scheduler_last_success_timestamp_seconds',
    help: "Unix time of this instance's last successful scheduler tick (0 before the first)",
    registers,
  });
  for (const type of ['temporary', 'permanent']) mailFailures.inc({ type }, 0);
  for (const outcome of ['ok', 'error']) schedulerTicks.inc({ outcome }, 0);
  schedulerLastSuccess.set(0);

  // One read of the database per scrape, shared by the series that need it.
  type Snapshot = {
    outbox: Record<string, number>;
    oldestPendingAt: Date | null;
    rounds: Record<string, number>;
  };
  const read = async (): Promise<Snapshot | null> => {
    try {
      const [outbox, oldestPendingAt, rounds] = await Promise.all([
        outboxRepository.countByStatus(db),
        outboxRepository.oldestPendingAt(db),
        roundsRepository.countByState(db),
      ]);
      return { outbox, oldestPendingAt, rounds };
    } catch {
      return null;
    }
  };
  let reading: Promise<Snapshot | null> | null = null;
  const snapshot = (): Promise<Snapshot | null> =>
    (reading ??= read().finally(() => {
      reading = null;
    }));

  new Gauge({
    name: 'parat_database_up',
    help: 'Whether the database answered this scrape (1) or not (0); the database series are left out when not',
    registers,
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'parat_outbox_messages',
    help: 'Outbox messages by state (held, pending, sending, sent, failed)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) for (const state of OUTBOX_STATES) this.set({ state }, s.outbox[state] ?? 0);
    },
  });
  new Gauge({
    name: 'parat_outbox_oldest_pending_age_seconds',
    help: 'Age in seconds of the oldest message waiting to go out (pending or being sent); 0 when none',
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      const at = s.oldestPendingAt;
      this.set(at ? Math.max(0, (clock.now().getTime() - at.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'parat_rounds',
    help: 'Survey rounds by state (planned, open, closed)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) for (const [state, n] of Object.entries(s.rounds)) this.set({ state }, n);
    },
  });

  new Gauge({
    name: 'parat_db_pool_connections',
    help: 'Database pool connections in use or idle (SQLite has one connection)',
    labelNames: ['state'] as const,
    registers,
    collect() {
      const pool = poolOf(db);
      this.reset();
      if (!pool) return;
      this.set({ state: 'used' }, pool.numUsed());
      this.set({ state: 'free' }, pool.numFree());
    },
  });
  new Gauge({
    name: 'parat_db_pool_max_connections',
    help: 'Largest number of connections the database pool opens',
    registers,
    collect() {
      const pool = poolOf(db);
      this.reset();
      if (pool) this.set(pool.max);
    },
  });
  new Gauge({
    name: 'parat_db_pool_pending_acquires',
    help: 'Queries waiting for a database connection',
    registers,
    collect() {
      const pool = poolOf(db);
      this.reset();
      if (pool) this.set(pool.numPendingAcquires());
    },
  });
  new Gauge({
    name: 'parat_db_pool_pending_creates',
    help: 'Database connections being opened',
    registers,
    collect() {
      const pool = poolOf(db);
      this.reset();
      if (pool) this.set(pool.numPendingCreates());
    },
  });

  /** Counts and times every request once its response is written. */
  const http: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = {
        route: routeLabel(req),
        method: METHODS.has(req.method) ? req.method : 'other',
        status: String(res.statusCode),
      };
      httpRequests.inc(labels);
      httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  return {
    registry,
    http,
    loginOutcome(outcome: 'accepted' | 'refused', reason?: string): void {
      if (outcome === 'accepted') loginsAccepted.inc();
      else loginsRefused.inc({ reason: reasonLabel(reason ?? '') });
    },
    mailSendFailure(type: 'temporary' | 'permanent'): void {
      mailFailures.inc({ type });
    },
    schedulerTick(outcome: 'ok' | 'error'): void {
      schedulerTicks.inc({ outcome });
      if (outcome === 'ok') schedulerLastSuccess.set(clock.now().getTime() / 1000);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** Whether a bearer token matches, in time independent of where (or whether) it differs. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const digest = (s: string) => crypto.createHash('sha256').update(s).digest();
  return crypto.timingSafeEqual(digest(m[1]!), digest(token));
}

/** Addresses a forwarding proxy says the request came from (X-Forwarded-For, X-Real-IP, Forwarded). */
function forwardedAddresses(req: Request): string[] {
  const out: string[] = [];
  const xff = req.headers['x-forwarded-for'];
  for (const v of ([] as string[]).concat(xff ?? [])) out.push(...v.split(','));
  const real = req.headers['x-real-ip'];
  if (typeof real === 'string') out.push(real);
  const fwd = req.headers.forwarded;
  if (typeof fwd === 'string')
    for (const m of fwd.matchAll(/for=("?)\[?([^\]";,]+)\]?(?::\d+)?\1/gi)) out.push(m[2]!);
  return out.map((a) => a.trim());
}

/**
 * GET /metrics for Prometheus: from an allowed address (the connection's, and every address a proxy
 * names, so a proxy on this host cannot pass the internet on as loopback), or with the bearer token.
 */
export function metricsHandler(deps: {
  metrics: Metrics;
  allow: string[];
  token: string | undefined;
}): RequestHandler {
  const allowed = new net.BlockList();
  for (const entry of deps.allow) {
    const [address = '', prefix] = entry.split('/');
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (prefix === undefined) allowed.addAddress(address, type);
    else allowed.addSubnet(address, Number(prefix), type);
  }
  const isAllowed = (address: string | undefined): boolean => {
    if (!address || !net.isIP(address)) return false;
    return allowed.check(address, net.isIPv6(address) ? 'ipv6' : 'ipv4');
  };
  return async (req, res) => {
    const byToken = deps.token !== undefined && tokenMatches(req.headers.authorization, deps.token);
    const byAddress = [req.socket.remoteAddress, ...forwardedAddresses(req)].every(isAllowed);
    if (!byToken && !byAddress) throw new Forbidden();
    const body = await deps.metrics.registry.metrics();
    res.setHeader('Cache-Control', 'no-store');
    res.type(deps.metrics.registry.contentType).send(body);
  };
}
