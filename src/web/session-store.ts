import { ConnectSessionKnexStore } from 'connect-session-knex';
import type { SessionData } from 'express-session';
import type { Db } from '../db/knex.js';

/** How many recently written sessions are remembered (oldest forgotten first). */
const MAX_REMEMBERED = 50_000;

type Options = { db: Db; cleanupInterval: number; touchAfterMs: number; now?: () => number };

/**
 * Sessions in the database. This class is the one owner of the `sessions` table: connect-session-knex
 * issues its SQL, and nothing else in src/ reads or writes the table, so it needs no repository of its
 * own. A failure goes to express-session's callback only (never an unhandled rejection), and the stored
 * expiry is extended at most once per `touchAfterMs` per session.
 */
export class SessionStore extends ConnectSessionKnexStore {
  private readonly written = new Map<string, number>();
  private readonly touchAfterMs: number;
  private readonly now: () => number;

  constructor(opts: Options) {
    super({
      knex: opts.db,
      tableName: 'sessions',
      createTable: false,
      cleanupInterval: opts.cleanupInterval,
    });
    this.touchAfterMs = opts.touchAfterMs;
    this.now = opts.now ?? Date.now;
  }

  override async get(
    sid: string,
    callback: (err: unknown, session?: SessionData | null) => void,
  ): Promise<SessionData | null> {
    return super.get(sid, callback).catch(() => null);
  }

  override async set(sid: string, session: SessionData, callback?: (err?: unknown) => void): Promise<void> {
    this.remember(sid);
    await super.set(sid, session, callback).catch(() => this.written.delete(sid));
  }

  override async touch(sid: string, session: SessionData, callback?: (err?: unknown) => void): Promise<void> {
    const last = this.written.get(sid);
    if (last !== undefined && this.now() - last < this.touchAfterMs) return callback?.();
    this.remember(sid);
    try {
      await super.touch(sid, session);
    } catch (err) {
      this.written.delete(sid);
      return callback?.(err);
    }
    callback?.();
  }

  override async destroy(sid: string, callback?: (err?: unknown) => void): Promise<number> {
    this.written.delete(sid);
    return super.destroy(sid, callback).catch(() => 0);
  }

  private remember(sid: string): void {
    const now = this.now();
    if (this.written.size >= MAX_REMEMBERED) {
      for (const [key, at] of this.written) {
        if (now - at < this.touchAfterMs && this.written.size < MAX_REMEMBERED) break;
        this.written.delete(key);
      }
    }
    this.written.delete(sid);
    this.written.set(sid, now);
  }
}
