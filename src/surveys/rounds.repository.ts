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

/** SQL for survey rounds. */
export const roundsRepository = {
  async byId(db: DbOrTrx, id: number): Promise<Round | undefined> {
    const row = await db<Row>('survey_rounds').where({ id }).first();
    return row ? toRound(row) : undefined;
  },
  async forMunicipality(db: DbOrTrx, code: number): Promise<Round[]> {
    return (await db<Row>('survey_rounds').where({ municipality_code: code }).orderBy('round_no')).map(
      toRound,
    );
  },
  async all(db: DbOrTrx): Promise<Round[]> {
    return (await db<Row>('survey_rounds').orderBy(['municipality_code', 'round_no'])).map(toRound);
  },
  async countByState(db: DbOrTrx): Promise<Record<RoundState, number>> {
    const rows = (await db('survey_rounds').groupBy('state').select('state').count({ n: '*' })) as Array<{
      state: RoundState;
      n: number | string;
    }>;
    const counts: Record<RoundState, number> = { planned: 0, open: 0, closed: 0 };
    for (const r of rows) counts[r.state] = Number(r.n);
    return counts;
  },
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
};
