import type { Request, RequestHandler, Response } from 'express';
import type { Db } from '../db/knex.js';
import { TooManyRequests } from '../shared/errors.js';
import { rateLimitsRepository, type Count } from './rate-limit.repository.js';

/** How many requests a client address may make in one window. */
export type RateLimit = {
  windowMs: number;
  limit: number;
};

/** Counters per key and fixed window: in memory (one instance), or in the database (shared by every instance). */
export type RateLimitStore = {
  /** What is counted for the key in its current window (0 when the window has passed). */
  peek(key: string, now: number): Promise<Count>;
  /** Counts one for the key: a new window starts when the last has passed. */
  hit(key: string, windowMs: number, now: number): Promise<Count>;
};

/** Counters of this process only: enough for one instance (SQLite). */
export function memoryRateLimitStore(maxKeys = 100_000): RateLimitStore {
  const counts = new Map<string, Count>();
  const prune = (now: number) => {
    for (const [key, c] of counts) if (c.resetAt <= now) counts.delete(key);
    // Still full of live keys (an address sweep): forget the oldest first rather than grow without bound.
    for (const key of counts.keys()) {
      if (counts.size < maxKeys) break;
      counts.delete(key);
    }
  };
  return {
    async peek(key, now) {
      const c = counts.get(key);
      return c && c.resetAt > now ? { ...c } : { count: 0, resetAt: now };
    },
    async hit(key, windowMs, now) {
      const c = counts.get(key);
      if (c && c.resetAt > now) {
        c.count += 1;
        return { ...c };
      }
      if (counts.size >= maxKeys) prune(now);
      const fresh = { count: 1, resetAt: now + windowMs };
      counts.set(key, fresh);
      return { ...fresh };
    },
  };
}

/** Counters in the `rate_limits` table, one atomic upsert per hit, so every instance enforces one limit. */
export function databaseRateLimitStore(db: Db): RateLimitStore {
  let lastSweep = 0;
  return {
    async peek(key, now) {
      return (await rateLimitsRepository.current(db, key, now)) ?? { count: 0, resetAt: now };
    },
    async hit(key, windowMs, now) {
      if (now - lastSweep > 60_000) {
        lastSweep = now;
        await rateLimitsRepository.sweep(db, now);
      }
      return rateLimitsRepository.hit(db, key, windowMs, now);
    },
  };
}

/** A 429 with the seconds to wait, for the error page and the Retry-After header. */
export class RateLimited extends TooManyRequests {
  constructor(
    message: string,
    public readonly retryAfterSeconds: number,
    public readonly hint: string | null,
  ) {
    super(message);
  }
}

/** The client's address as the limits see it (req.ip: behind the trusted proxy, the client's own). */
const clientKey = (name: string, req: Request) => `${name}:${req.ip ?? req.socket.remoteAddress ?? 'ukendt'}`;

function setHeaders(res: Response, limit: RateLimit, windowMs: number, c: Count, now: number): void {
  const reset = Math.max(0, Math.ceil((c.resetAt - now) / 1000));
  res.setHeader('RateLimit-Policy', `${limit.limit};w=${Math.round(windowMs / 1000)}`);
  res.setHeader(
    'RateLimit',
    `limit=${limit.limit}, remaining=${Math.max(0, limit.limit - c.count)}, reset=${reset}`,
  );
}

type LimiterOptions = { store: RateLimitStore; now: () => number; failureWindowMs?: number };

/** The 429 for a client over its limit, with Retry-After set to when its window ends. */
function refuse(
  res: Response,
  message: string,
  hint: string | null,
  resetAt: number,
  t: number,
): RateLimited {
  const seconds = Math.max(1, Math.ceil((resetAt - t) / 1000));
  res.setHeader('Retry-After', String(seconds));
  return new RateLimited(message, seconds, hint);
}

/** A limit on failures: `check` refuses once the failures counted reach the limit; `fail` counts one. */
function failures(
  opts: LimiterOptions,
  name: string,
  limit: RateLimit,
  message: string,
  hint: string | null,
) {
  const windowMs = opts.failureWindowMs ?? limit.windowMs;
  const check: RequestHandler = (req, res, next) => {
    const t = opts.now();
    opts.store.peek(clientKey(name, req), t).then((c) => {
      setHeaders(res, limit, windowMs, c, t);
      if (c.count >= limit.limit) return next(refuse(res, message, hint, c.resetAt, t));
      next();
    }, next);
  };
  /** Counts one failure for the request's address; call it before answering the failure. */
  const fail = async (req: Request, res: Response): Promise<void> => {
    const t = opts.now();
    const c = await opts.store.hit(clientKey(name, req), windowMs, t);
    setHeaders(res, limit, windowMs, c, t);
  };
  return { check, fail };
}

/** A limit on every request: each is counted, and those over the limit are refused. */
function every(opts: LimiterOptions, name: string, limit: RateLimit, message: string): RequestHandler {
  return (req, res, next) => {
    const t = opts.now();
    opts.store.hit(clientKey(name, req), limit.windowMs, t).then((c) => {
      setHeaders(res, limit, limit.windowMs, c, t);
      if (c.count > limit.limit) return next(refuse(res, message, null, c.resetAt, t));
      next();
    }, next);
  };
}

/**
 * Limits per client address. `failures` counts only what has failed (the route says so, before it
 * answers), and refuses once the failures already counted reach the limit: no number of concurrent
 * successes can produce a 429, and during a lockout nothing is looked up. `every` counts each request.
 */
export function createRateLimiter(opts: {
  store: RateLimitStore;
  now?: () => number;
  failureWindowMs?: number;
}) {
  const options: LimiterOptions = { ...opts, now: opts.now ?? Date.now };
  return {
    failures: (name: string, limit: RateLimit, message: string, hint: string | null = null) =>
      failures(options, name, limit, message, hint),
    every: (name: string, limit: RateLimit, message: string): RequestHandler =>
      every(options, name, limit, message),
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
