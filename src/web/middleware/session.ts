import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
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

/** Development session secret, kept under var/ so sessions survive a restart; production must set one. */
function devSessionSecret(varDir: string): string {
  const file = path.join(varDir, 'session-secret');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(varDir, { recursive: true });
  const secret = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, secret, { mode: 0o600 });
  return secret;
}

/** The configured session secret; outside production a generated one kept under var/. */
export function sessionSecretOf(config: { sessionSecret?: string; varDir: string }): string {
  return config.sessionSecret ?? devSessionSecret(config.varDir);
}
