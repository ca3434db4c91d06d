/**
 * What a database error means, on both engines: a unique key refused the row, the transaction may simply
 * be run again, or the database is not reachable right now (a 503, not a 500).
 */

type DbError = Error & { code?: string; errno?: number };

const asDbError = (err: unknown): DbError | null => (err instanceof Error ? (err as DbError) : null);

/** Whether a database error is a unique-key violation (PostgreSQL 23505, SQLite's UNIQUE constraint), and nothing else. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e.code === '23505' ||
    (e.code === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/i.test(e.message ?? '')) ||
    /UNIQUE constraint failed/.test(e.message ?? '')
  );
}

/**
 * The transaction was rolled back as a whole and running it again may succeed: SQLite BUSY/LOCKED (another
 * process holds the write lock, or our read snapshot went stale before we could write), PostgreSQL
 * serialization failure (40001) and deadlock (40P01). Nothing of the failed attempt was committed.
 */
export function isRetryableTransactionError(err: unknown): boolean {
  const e = asDbError(err);
  if (!e) return false;
  if (e.code === 'SQLITE_BUSY' || e.code === 'SQLITE_LOCKED') return true;
  if (e.code === '40001' || e.code === '40P01') return true;
  return /SQLITE_(BUSY|LOCKED)/.test(e.message);
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  // PostgreSQL: admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections, connection exceptions.
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '40001',
  '40P01',
]);

const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /Client has encountered a connection error/i,
  /Timeout acquiring a connection/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /terminating connection due to administrator command/i,
  /SQLITE_(BUSY|LOCKED)/,
];

/** The database could not serve the request just now; the request may be repeated in a moment. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = asDbError(err);
  if (!e) return false;
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  if (UNAVAILABLE_MESSAGES.some((re) => re.test(e.message))) return true;
  const cause = (e as { cause?: unknown }).cause;
  return cause !== undefined && cause !== err && isDatabaseUnavailable(cause);
}
