import type { Db } from '../db/knex.js';

type Entry = { token: string; value: Promise<unknown> };

export type UnchangedCache = {
  /** The value stored under `key` if the database has not changed since it was computed; else `compute()`. */
  get<T>(key: string, compute: () => Promise<T>): Promise<T>;
};

/**
 * Values computed from the database (the dashboards' figures), reused for as long as the database is
 * unchanged, so a page that many people reload reads it once per change instead of once per view.
 *
 * On SQLite with its single connection the check is one statement: total_changes() counts every row the
 * connection has inserted, updated or deleted, and data_version changes whenever another connection (another
 * process on the same file) commits. A new connection starts a new generation. Any write anywhere therefore
 * makes the next read compute afresh; nothing is ever served from before a change. PostgreSQL has no such
 * cheap check, so there (and with more than one SQLite connection) every read computes.
 */
export function createUnchangedCache(db: Db, maxEntries = 128): UnchangedCache {
  const client = db.client as {
    config: { client?: string; pool?: { max?: number } };
    pool?: { on(event: 'createSuccess', fn: () => void): void };
  };
  if (client.config.client !== 'sqlite3' || client.config.pool?.max !== 1 || !client.pool)
    return { get: (_key, compute) => compute() };
  let generation = 0;
  client.pool.on('createSuccess', () => generation++);
  const entries = new Map<string, Entry>();

  async function token(): Promise<string> {
    const rows: Array<{ changes: number; version: number }> = await db.raw(
      'select total_changes() as changes, data_version as version from pragma_data_version()',
    );
    return `${generation}:${rows[0]!.changes}:${rows[0]!.version}`;
  }

  return {
    async get<T>(key: string, compute: () => Promise<T>): Promise<T> {
      // Read before computing: a write during the computation makes the next read compute again.
      const now = await token();
      const hit = entries.get(key);
      if (hit && hit.token === now) return hit.value as Promise<T>;
      const value = compute();
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      const entry = { token: now, value };
      entries.set(key, entry);
      value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return value;
    },
  };
}
