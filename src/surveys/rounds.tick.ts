import type { Db, DbOrTrx } from '../db/knex.js';
import { addDays, isoDay, type Clock } from '../shared/clock.js';
import { municipalitiesRepository } from '../municipalities/index.js';
import { roundsRepository } from './rounds.repository.js';
import { REMINDER_DAYS, ROUND_NUMBERS, plannedDates, type RoundEvent } from './round-calendar.js';

/** What the rounds service is built from. */
export type RoundsDeps = {
  db: Db;
  clock: Clock;
  windowDays: number;
  instrumentVersion: number;
  /** Called inside the tick's transaction for each state change, so mail goes out with it. */
  onEvent?: (trx: DbOrTrx, event: RoundEvent) => Promise<void>;
  /** The outbox's idempotency keys starting with a prefix (mail is a leaf, so the container hands this in). */
  mailKeysWithPrefix?: (trx: DbOrTrx, prefix: string) => Promise<string[]>;
};

/** Tells the subscribers of a round event, inside the caller's transaction. */
export const emit = async (deps: RoundsDeps, trx: DbOrTrx, e: RoundEvent): Promise<void> =>
  deps.onEvent?.(trx, e);

/** Plans the three rounds of every municipality with a go-live that lacks them. */
export async function ensureRounds(deps: RoundsDeps, trx: DbOrTrx): Promise<void> {
  const municipalities = (await municipalitiesRepository.list(trx)).filter((m) => m.goLive);
  const existing = await roundsRepository.keys(trx);
  const rows = municipalities.flatMap((m) =>
    ROUND_NUMBERS.filter((n) => !existing.has(`${m.code}:${n}`)).map((n) => {
      const d = plannedDates(m.goLive!, n, deps.windowDays);
      return { municipality_code: m.code, round_no: n, opens_on: d.opensOn, closes_on: d.closesOn };
    }),
  );
  await roundsRepository.insertMissing(trx, rows);
}

const eventOf = (type: RoundEvent['type'], r: { id: number; municipalityCode: number; roundNo: number }) => ({
  type,
  roundId: r.id,
  municipalityCode: r.municipalityCode,
  roundNo: r.roundNo,
});

/** Opens the planned rounds that are due; each conditional update wins on one instance only. */
async function openDue(deps: RoundsDeps, trx: DbOrTrx, now: Date, today: string): Promise<RoundEvent[]> {
  const events: RoundEvent[] = [];
  for (const r of await roundsRepository.inState(trx, 'planned', today)) {
    if (
      await roundsRepository.openIfPlanned(trx, r.id, { at: now, instrumentVersion: deps.instrumentVersion })
    )
      events.push(eventOf('opened', r));
  }
  return events;
}

/** Closes open rounds whose day has come, and counts the reminders that are due in the others. */
async function closeOrRemind(trx: DbOrTrx, now: Date, today: string): Promise<RoundEvent[]> {
  const events: RoundEvent[] = [];
  for (const r of await roundsRepository.inState(trx, 'open')) {
    if (r.closesOn <= today) {
      if (await roundsRepository.closeIfOpen(trx, r.id, { at: now })) events.push(eventOf('closed', r));
      continue;
    }
    const sent = r.remindersSent;
    const dueReminder = REMINDER_DAYS.filter((d) => addDays(r.opensOn, d) <= today).length;
    if (dueReminder > sent && (await roundsRepository.countReminder(trx, r.id, sent)))
      events.push({ ...eventOf('reminder', r), reminderNo: sent + 1 });
  }
  return events;
}

/** One scheduler step; running it twice, or on two instances at once, changes nothing more. */
export async function tick(deps: RoundsDeps): Promise<RoundEvent[]> {
  const now = deps.clock.now();
  const today = isoDay(now);
  return deps.db.transaction(async (trx) => {
    await ensureRounds(deps, trx);
    const events = [...(await openDue(deps, trx, now, today)), ...(await closeOrRemind(trx, now, today))];
    for (const e of events) await emit(deps, trx, e);
    return events;
  });
}
