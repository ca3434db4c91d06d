import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { migrationSource } from '../../migrations/index.js';
import { withTransactionRetry } from './retry.js';

export type Db = Knex;
export type DbOrTrx = Knex | Knex.Transaction;

export type DatabaseConfig =
  { client: 'pg'; url: string; searchPath?: string } | { client: 'sqlite3'; filename: string };

/**
 * Opens the database: SQLite (WAL, foreign keys) by default, PostgreSQL when a URL is given. Every
 * `db.transaction(fn)` is run again (a few times) when it fails only because of a concurrent writer.
 */
export function createDb(cfg: DatabaseConfig): Db {
  return retryingTransactions(openDb(cfg));
}

function openDb(cfg: DatabaseConfig): Db {
  if (cfg.client === 'pg') {
    return knexFactory({
      client: 'pg',
      connection: cfg.url,
      searchPath: cfg.searchPath ? [cfg.searchPath] : undefined,
      // While the server is unreachable a request fails within seconds (a 503), instead of queueing for a minute.
      acquireConnectionTimeout: 10_000,
      pool: { min: 0, max: 10, idleTimeoutMillis: 30_000 },
    });
  }
  fs.mkdirSync(path.dirname(cfg.filename), { recursive: true });
  return knexFactory({
    client: 'sqlite3',
    connection: { filename: cfg.filename },
    useNullAsDefault: true,
    pool: {
      min: 1,
      max: 1,
      // synchronous = NORMAL under WAL: a commit is not fsynced, the WAL is at checkpoints. The database
      // stays consistent and loses nothing when the process crashes; only a power loss or OS crash can
      // roll back the last commits (SQLite's documented trade-off for WAL). Default FULL fsyncs every commit.
      afterCreate: (
        conn: { run: (sql: string, cb: (err: Error | null) => void) => void },
        done: (err: Error | null, conn: unknown) => void,
      ) => {
        const pragmas = [
          'PRAGMA journal_mode = WAL',
          'PRAGMA synchronous = NORMAL',
          'PRAGMA foreign_keys = ON',
          'PRAGMA busy_timeout = 5000',
        ];
        const next = (i: number): void => {
          if (i === pragmas.length) return done(null, conn);
          conn.run(pragmas[i]!, (err) => (err ? done(err, conn) : next(i + 1)));
        };
        next(0);
      },
    },
  });
}

/**
 * Wraps `db.transaction(fn)`: when the transaction fails with SQLite BUSY/LOCKED or a PostgreSQL
 * serialization failure or deadlock, it was rolled back as a whole, so `fn` is run again from the start.
 * Transactions inside a transaction (savepoints) are not wrapped; the outermost one is retried.
 */
function retryingTransactions(db: Db): Db {
  const original = db.transaction.bind(db) as (container?: unknown, config?: unknown) => unknown;
  const transaction = (container?: unknown, config?: unknown) =>
    typeof container === 'function'
      ? withTransactionRetry(() => original(container, config) as Promise<unknown>)
      : original(container, config);
  Object.defineProperty(db, 'transaction', { value: transaction, configurable: true });
  return db;
}

/**
 * Applies every pending migration. Several instances may start at once: the one holding knex's
 * migration lock migrates, the others wait for it (and then find nothing left to do).
 */
export async function migrateLatest(db: Db): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.migrate.latest({ migrationSource });
      return;
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      const raced =
        e.name === 'MigrationLocked' ||
        e.code === '23505' ||
        e.code === '42P07' ||
        /already exists|UNIQUE constraint failed/i.test(e.message ?? '');
      if (!raced || attempt >= 60) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/** Rolls back every migration (used by the migration round-trip test). */
export async function migrateRollbackAll(db: Db): Promise<void> {
  await db.migrate.rollback({ migrationSource }, true);
}

export function isPostgres(db: DbOrTrx): boolean {
  return db.client.config.client === 'pg';
}
