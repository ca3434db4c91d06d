import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';

// The gauges /metrics reads when scraped: database figures (the same on every instance) and the pool.

/** The outbox's states, each reported (0 when none) so a dashboard's series never vanish. */
const OUTBOX_STATES = ['held', 'pending', 'sending', 'sent', 'failed'];

/** The figures that live in the database, asked of their owners once per scrape. */
export type DatabaseFigures = {
  outboxByStatus(): Promise<Record<string, number>>;
  /** Creation time of the oldest message still to go out; null when none. */
  oldestPendingMailAt(): Promise<Date | null>;
  roundsByState(): Promise<Record<string, number>>;
};

type Registers = Registry[];

/** What the pool of a Knex client (tarn) tells about itself; absent once the database is destroyed. */
type TarnPool = {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
  max: number;
};

/** The Knex client's pool, or null once the database is destroyed. */
function poolOf(db: Db): TarnPool | null {
  const pool = (db.client as { pool?: Partial<TarnPool> }).pool;
  return pool && typeof pool.numUsed === 'function' ? (pool as TarnPool) : null;
}

type Snapshot = {
  outbox: Record<string, number>;
  oldestPendingAt: Date | null;
  rounds: Record<string, number>;
};

/** One read of the database per scrape, shared by the series that need it; null when the database is away. */
function snapshots(figures: DatabaseFigures): () => Promise<Snapshot | null> {
  const read = async (): Promise<Snapshot | null> => {
    try {
      const [outbox, oldestPendingAt, rounds] = await Promise.all([
        figures.outboxByStatus(),
        figures.oldestPendingMailAt(),
        figures.roundsByState(),
      ]);
      return { outbox, oldestPendingAt, rounds };
    } catch {
      return null;
    }
  };
  let reading: Promise<Snapshot | null> | null = null;
  return () =>
    (reading ??= read().finally(() => {
      reading = null;
    }));
}

/** Gauges read from the database when scraped, so every instance reports the same totals. */
export function databaseGauges(registers: Registers, figures: DatabaseFigures, clock: Clock): void {
  const snapshot = snapshots(figures);
  new Gauge({
    name: 'parat_database_up',
    help: 'Whether the database answered this scrape (1) or not (0); the database series are left out when not',
    registers,
    async collect() {
      this.set((await snapshot()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'parat_outbox_messages',
    help: 'Outbox messages by state (held, pending, sending, sent, failed)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) for (const state of OUTBOX_STATES) this.set({ state }, s.outbox[state] ?? 0);
    },
  });
  new Gauge({
    name: 'parat_outbox_oldest_pending_age_seconds',
    help: 'Age in seconds of the oldest message waiting to go out (pending or being sent); 0 when none',
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (!s) return;
      const at = s.oldestPendingAt;
      this.set(at ? Math.max(0, (clock.now().getTime() - at.getTime()) / 1000) : 0);
    },
  });
  new Gauge({
    name: 'parat_rounds',
    help: 'Survey rounds by state (planned, open, closed)',
    labelNames: ['state'] as const,
    registers,
    async collect() {
      const s = await snapshot();
      this.reset();
      if (s) for (const [state, n] of Object.entries(s.rounds)) this.set({ state }, n);
    },
  });
}

/** A gauge of the database pool, left empty once the database is destroyed. */
function poolGauge(
  registers: Registers,
  db: Db,
  spec: { name: string; help: string; labelNames?: readonly string[] },
  read: (pool: TarnPool, gauge: Gauge) => void,
): void {
  new Gauge({
    ...spec,
    registers,
    collect() {
      const pool = poolOf(db);
      this.reset();
      if (pool) read(pool, this);
    },
  });
}

/** The database pool: connections in use and idle, its size, and what waits for it. */
export function poolGauges(registers: Registers, db: Db): void {
  poolGauge(
    registers,
    db,
    {
      name: 'parat_db_pool_connections',
      help: 'Database pool connections in use or idle (SQLite has one connection)',
      labelNames: ['state'],
    },
    (pool, g) => {
      g.set({ state: 'used' }, pool.numUsed());
      g.set({ state: 'free' }, pool.numFree());
    },
  );
  const single = (name: string, help: string, value: (pool: TarnPool) => number) =>
    poolGauge(registers, db, { name, help }, (pool, g) => g.set(value(pool)));
  single(
    'parat_db_pool_max_connections',
    'Largest number of connections the database pool opens',
    (p) => p.max,
  );
  single('parat_db_pool_pending_acquires', 'Queries waiting for a database connection', (p) =>
    p.numPendingAcquires(),
  );
  single('parat_db_pool_pending_creates', 'Database connections being opened', (p) => p.numPendingCreates());
}
