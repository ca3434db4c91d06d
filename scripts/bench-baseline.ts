/**
 * Baseline server for `npm run bench`: a bare Express "hello" endpoint and a raw Knex insert endpoint
 * on a SQLite file opened by Parat's own createDb (WAL, the same pool and PRAGMAs as the app).
 * Usage (started by scripts/bench.ts): tsx scripts/bench-baseline.ts <port> <sqlite file>
 */
import crypto from 'node:crypto';
import express from 'express';
import { createDb } from '../src/db/knex.js';

async function main() {
  const port = Number(process.argv[2]);
  const filename = process.argv[3];
  if (!port || !filename) throw new Error('usage: bench-baseline.ts <port> <sqlite file>');
  const db = createDb({ client: 'sqlite3', filename });
  await db.schema.createTable('bench_rows', (t) => {
    t.string('id').primary();
    t.integer('round_id').notNullable();
    t.text('answers').notNullable();
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/hello', (_req, res) => {
    res.send('hello');
  });
  app.use(express.urlencoded({ extended: true, limit: '1mb' }));
  app.post('/insert', (req, res, next) => {
    db('bench_rows')
      .insert({ id: crypto.randomUUID(), round_id: 1, answers: JSON.stringify(req.body ?? {}) })
      .then(() => res.status(201).send('ok'))
      .catch(next);
  });
  const server = app.listen(port, '127.0.0.1', () => process.send?.('ready'));
  process.on('SIGTERM', () => {
    server.close();
    process.exit(0);
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
