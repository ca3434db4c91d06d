import type { RequestHandler } from 'express';
import session from 'express-session';
import type { Db } from '../../db/knex.js';
import { SessionStore } from '../session-store.js';

/** Sessions in the database, sliding 8 hours; the stored expiry moves at most once a minute per session. */
export function setUpSession(opts: {
  db: Db;
  secret: string;
  secureCookies: boolean;
  cleanupIntervalMs: number;
}): { middleware: RequestHandler; store: SessionStore } {
  const store = new SessionStore({
    db: opts.db,
    cleanupInterval: opts.cleanupIntervalMs,
    touchAfterMs: 60_000,
  });
  const middleware = session({
    name: 'parat.sid',
    secret: opts.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: true,
    cookie: { httpOnly: true, sameSite: 'lax', secure: opts.secureCookies, maxAge: 8 * 3600_000 },
  });
  return { middleware, store };
}
