import crypto from 'node:crypto';
import net from 'node:net';
import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { Forbidden } from '../shared/errors.js';
import { databaseGauges, poolGauges, type DatabaseFigures } from './metrics.gauges.js';

export type { DatabaseFigures } from './metrics.gauges.js';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

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

type Registers = Registry[];

/** Request counts and latencies by route pattern; `http` times every request once its response is written. */
function httpMetrics(registers: Registers): RequestHandler {
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
  return (req, res, next) => {
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
}

/** Counters of what happened in this instance: logins, failed mail sends and scheduler ticks. */
function eventMetrics(registers: Registers, clock: Clock) {
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
  return {
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

/**
 * The app's Prometheus series, in a registry of its own (several apps in one process never share one).
 * Figures that live in the database (outbox, rounds) are read when scraped, so every instance reports
 * the same totals; counters are this instance's.
 */
export function createMetrics(deps: { db: Db; clock: Clock; figures: DatabaseFigures }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const http = httpMetrics(registers);
  const events = eventMetrics(registers, deps.clock);
  databaseGauges(registers, deps.figures, deps.clock);
  poolGauges(registers, deps.db);
  return { registry, http, ...events };
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
