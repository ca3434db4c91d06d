import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';

/** Ticks the scheduler may miss in a row before the instance stops calling itself ready. */
const MISSED_TICKS = 3;
/** A database that has not answered `select 1` in this long counts as unreachable. */
const DATABASE_TIMEOUT_MS = 3_000;

export type ReadinessAnswer = { ready: true } | { ready: false; reasons: string[] };

/**
 * Whether this instance should get traffic: its database answers, and, once the scheduler runs here,
 * the scheduler has ticked successfully within the last three intervals. (While it migrates, the
 * start-up listener below answers instead of the app.)
 */
export function createReadiness(deps: { db: Db; clock: Clock }) {
  const { db, clock } = deps;
  let scheduler: { intervalMs: number; since: number; lastOkAt: number | null } | null = null;

  async function databaseAnswers(): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), DATABASE_TIMEOUT_MS);
    });
    try {
      return await Promise.race([db.raw('select 1').then(() => true as const), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    /** The scheduler runs here every intervalSeconds from now on; a first tick is due within three intervals. */
    watchScheduler(intervalSeconds: number): void {
      if (intervalSeconds <= 0) return;
      scheduler = { intervalMs: intervalSeconds * 1000, since: clock.now().getTime(), lastOkAt: null };
    },

    schedulerTicked(outcome: 'ok' | 'error'): void {
      if (scheduler && outcome === 'ok') scheduler.lastOkAt = clock.now().getTime();
    },

    async check(): Promise<ReadinessAnswer> {
      const reasons: string[] = [];
      if (!(await databaseAnswers())) reasons.push('databasen svarer ikke');
      if (scheduler) {
        const quietMs = clock.now().getTime() - (scheduler.lastOkAt ?? scheduler.since);
        if (quietMs > MISSED_TICKS * scheduler.intervalMs)
          reasons.push(`planlæggeren har ikke kørt i ${Math.floor(quietMs / 1000)} sekunder`);
      }
      return reasons.length ? { ready: false, reasons } : { ready: true };
    },
  };
}
export type Readiness = ReturnType<typeof createReadiness>;

/** GET /readyz: 200 `{status:'klar'}`, or 503 with the reasons. */
export function readinessHandler(readiness: Readiness): RequestHandler {
  return async (_req, res) => {
    const answer = await readiness.check();
    res.setHeader('Cache-Control', 'no-store');
    if (answer.ready) res.json({ status: 'klar' });
    else res.status(503).json({ status: 'ikke klar', reasons: answer.reasons });
  };
}

/**
 * What the port answers while the app is being built (migrations, keys, content): alive on /healthz,
 * not ready on /readyz, and 503 for everything else. The same server is handed to the app afterwards.
 */
export function startupListener() {
  let phase = 'migrerer';
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  return {
    /** After the migrations: what /readyz names until the app takes over. */
    setPhase(next: string): void {
      phase = next;
    },
    listener(req: IncomingMessage, res: ServerResponse): void {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/healthz') return json(res, 200, { status: 'ok', phase });
      if (path === '/readyz') return json(res, 503, { status: 'ikke klar', reasons: [phase] });
      res.writeHead(503, {
        'Content-Type': 'text/plain; charset=utf-8',
        'Retry-After': '5',
        'Cache-Control': 'no-store',
      });
      res.end('Parat starter. Prøv igen om lidt.\n');
    },
  };
}
