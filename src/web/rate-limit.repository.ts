import type { DbOrTrx } from '../db/knex.js';

/** A counter's value and when its window ends (ms). */
export type Count = { count: number; resetAt: number };

/** SQL for `rate_limits`: one counter per key and fixed window, shared by every instance. */
export const rateLimitsRepository = {
  /** The key's counter while its window lasts, or undefined. */
  async current(db: DbOrTrx, key: string, now: number): Promise<Count | undefined> {
    const row = await db('rate_limits')
      .where({ bucket: key })
      .andWhere('reset_at', '>', now)
      .first('count', 'reset_at');
    return row ? { count: Number(row.count), resetAt: Number(row.reset_at) } : undefined;
  },

  /** Forgets every counter whose window has ended. */
  async sweep(db: DbOrTrx, now: number): Promise<void> {
    await db('rate_limits').where('reset_at', '<=', now).delete();
  },

  /** Counts one for the key in one atomic upsert: a new window starts when the last has ended. */
  async hit(db: DbOrTrx, key: string, windowMs: number, now: number): Promise<Count> {
    const result = await db.raw(
      `insert into rate_limits (bucket, count, reset_at) values (?, 1, ?)
       on conflict (bucket) do update set
         count = case when rate_limits.reset_at <= ? then 1 else rate_limits.count + 1 end,
         reset_at = case when rate_limits.reset_at <= ? then excluded.reset_at else rate_limits.reset_at end
       returning count, reset_at`,
      [key, now + windowMs, now, now],
    );
    const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as Array<{
      count: number | string;
      reset_at: number | string;
    }>;
    return { count: Number(rows[0]!.count), resetAt: Number(rows[0]!.reset_at) };
  },
};
