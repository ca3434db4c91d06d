import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';

export type RoundState = 'planned' | 'open' | 'closed';
export type Round = {
  id: number;
  municipalityCode: number;
  roundNo: 1 | 2 | 3;
  state: RoundState;
  opensOn: string;
  closesOn: string;
  instrumentVersion: number | null;
  remindersSent: number;
  manual: boolean;
};

type Row = {
  id: number;
  municipality_code: number;
  round_no: number;
  state: RoundState;
  opens_on: string;
  closes_on: string;
  instrument_version: number | null;
  reminders_sent: number;
  manual: boolean | number;
};

/** Reads a survey_rounds row (also one selected as `r.*` in a join). */
export const toRound = (r: Row): Round => ({
  id: Number(r.id),
  municipalityCode: Number(r.municipality_code),
  roundNo: Number(r.round_no) as 1 | 2 | 3,
  state: r.state,
  opensOn: r.opens_on,
  closesOn: r.closes_on,
  instrumentVersion: r.instrument_version === null ? null : Number(r.instrument_version),
  remindersSent: Number(r.reminders_sent),
  manual: Boolean(r.manual),
});

/** SQL for the `survey_rounds` table; the only file that names it. Callers own the transaction. */
export const roundsRepository = {
  /** One round by id. */
  async byId(db: DbOrTrx, id: number): Promise<Round | undefined> {
    const row = await db<Row>('survey_rounds').where({ id }).first();
    return row ? toRound(row) : undefined;
  },
  /** A municipality's rounds in order. */
  async forMunicipality(db: DbOrTrx, code: number): Promise<Round[]> {
    return (await db<Row>('survey_rounds').where({ municipality_code: code }).orderBy('round_no')).map(
      toRound,
    );
  },
  /** Every round, by municipality and number. */
  async all(db: DbOrTrx): Promise<Round[]> {
    return (await db<Row>('survey_rounds').orderBy(['municipality_code', 'round_no'])).map(toRound);
  },
  /** How many rounds are in each state. */
  async countByState(db: DbOrTrx): Promise<Record<RoundState, number>> {
    const rows = (await db('survey_rounds').groupBy('state').select('state').count({ n: '*' })) as Array<{
      state: RoundState;
      n: number | string;
    }>;
    const counts: Record<RoundState, number> = { planned: 0, open: 0, closed: 0 };
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  },
  /** Plans the given rounds; one that exists already is left as it is. */
  async insertMissing(
    db: DbOrTrx,
    rows: Array<{ municipality_code: number; round_no: number; opens_on: string; closes_on: string }>,
  ): Promise<void> {
    if (!rows.length) return;
    for (let i = 0; i < rows.length; i += 100) {
      await db('survey_rounds')
        .insert(rows.slice(i, i + 100).map((r) => ({ ...r, state: 'planned' })))
        .onConflict(['municipality_code', 'round_no'])
        .ignore();
    }
  },

  /** "code:roundNo" of every round there is. */
  async keys(db: DbOrTrx): Promise<Set<string>> {
    const rows = await db('survey_rounds').select('municipality_code', 'round_no');
    return new Set(rows.map((r) => `${r.municipality_code}:${r.round_no}`));
  },

  /** Rounds in a state, optionally only those opening on or before a day. */
  async inState(db: DbOrTrx, state: RoundState, opensBy?: string): Promise<Round[]> {
    const q = db<Row>('survey_rounds').where({ state });
    if (opensBy !== undefined) q.andWhere('opens_on', '<=', opensBy);
    return (await q.orderBy('id')).map(toRound);
  },

  /** Opens a round that is still planned; returns whether this call did it (another instance may have). */
  async openIfPlanned(
    db: DbOrTrx,
    id: number,
    open: { at: Date; instrumentVersion: number; dates?: { opensOn: string; closesOn: string } },
  ): Promise<boolean> {
    const n = await db('survey_rounds')
      .where({ id, state: 'planned' })
      .update({
        state: 'open',
        opened_at: open.at,
        instrument_version: open.instrumentVersion,
        ...(open.dates ? { opens_on: open.dates.opensOn, closes_on: open.dates.closesOn, manual: true } : {}),
      });
    return n > 0;
  },

  /** Closes a round that is still open (by hand: today becomes its closing day); returns whether this call did. */
  async closeIfOpen(db: DbOrTrx, id: number, close: { at: Date; byHandOn?: string }): Promise<boolean> {
    const n = await db('survey_rounds')
      .where({ id, state: 'open' })
      .update({
        state: 'closed',
        closed_at: close.at,
        ...(close.byHandOn ? { closes_on: close.byHandOn, manual: true } : {}),
      });
    return n > 0;
  },

  /** Counts one more reminder, unless another instance already did (`sent` is what the caller read). */
  async countReminder(db: DbOrTrx, id: number, sent: number): Promise<boolean> {
    const n = await db('survey_rounds')
      .where({ id, state: 'open', reminders_sent: sent })
      .update({ reminders_sent: sent + 1 });
    return n > 0;
  },

  /** Moves an open round's closing day (by hand); returns whether the round was open. */
  async extendIfOpen(db: DbOrTrx, id: number, closesOn: string): Promise<boolean> {
    const n = await db('survey_rounds')
      .where({ id, state: 'open' })
      .update({ closes_on: closesOn, manual: true });
    return n > 0;
  },

  /** Moves a planned round to new dates, or deletes it (no go-live any more); open and closed ones stay. */
  async replan(db: DbOrTrx, id: number, dates: { opensOn: string; closesOn: string } | null): Promise<void> {
    const q = db('survey_rounds').where({ id, state: 'planned' });
    if (dates) await q.update({ opens_on: dates.opensOn, closes_on: dates.closesOn });
    else await q.delete();
  },

  /** Closed rounds, all or of one municipality or round number, by municipality and number. */
  async closed(db: DbOrTrx, filter: { municipalityCode?: number; roundNo?: number } = {}): Promise<Round[]> {
    const q = db<Row>('survey_rounds').where({ state: 'closed' }).orderBy(['municipality_code', 'round_no']);
    if (filter.municipalityCode !== undefined) q.andWhere({ municipality_code: filter.municipalityCode });
    if (filter.roundNo !== undefined) q.andWhere({ round_no: filter.roundNo });
    return (await q).map(toRound);
  },

  /** Municipalities whose round 3/3 closed at or before `cutoff`. */
  async finalRoundClosedBy(db: DbOrTrx, cutoff: Date): Promise<number[]> {
    const codes = await db('survey_rounds')
      .where({ round_no: 3, state: 'closed' })
      .andWhere('closed_at', '<=', cutoff)
      .pluck('municipality_code');
    return codes.map(Number);
  },

  /** Builder of the one round `id` (all columns), for other repositories to join as a sub-query. */
  oneAsBuilder(db: DbOrTrx, id: number): Knex.QueryBuilder {
    return db('survey_rounds').where({ id });
  },

  /** Builder of every round (id, round_no, opens_on, closes_on), for other repositories to join. */
  datesBuilder(db: DbOrTrx): Knex.QueryBuilder {
    return db('survey_rounds').select('id', 'round_no', 'opens_on', 'closes_on');
  },
};
