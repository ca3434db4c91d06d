import type { RequestHandler } from 'express';
import type { Db } from '../../db/knex.js';

/** Liveness with a database round trip: 503 while the database cannot answer. */
export function healthHandler(db: Db): RequestHandler {
  return async (_req, res) => {
    try {
      await db.raw('select 1');
      res.json({ status: 'ok', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'fejl', database: 'utilgængelig' });
    }
  };
}
