/** Whether a database error is a unique-key violation (PostgreSQL 23505, SQLite's UNIQUE constraint), and nothing else. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return (
    e.code === '23505' ||
    (e.code === 'SQLITE_CONSTRAINT' && /UNIQUE|PRIMARY KEY/i.test(e.message ?? '')) ||
    /UNIQUE constraint failed/.test(e.message ?? '')
  );
}
