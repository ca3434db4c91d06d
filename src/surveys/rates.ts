import type { DbOrTrx } from '../db/knex.js';
import { SURVEY_GROUPS, isSurveyGroup, type SurveyGroup } from './groups.js';

/** Invited and answered per survey group for one round. */
export type RoundRates = Record<SurveyGroup, { invited: number; answered: number }>;
type RoundRef = { id: number; municipalityCode: number; state: string };

const CHUNK = 500;
const empty = (): RoundRates =>
  Object.fromEntries(SURVEY_GROUPS.map((g) => [g, { invited: 0, answered: 0 }])) as RoundRates;

export function totals(r: RoundRates): { invited: number; answered: number } {
  return SURVEY_GROUPS.reduce(
    (s, g) => ({ invited: s.invited + r[g].invited, answered: s.answered + r[g].answered }),
    { invited: 0, answered: 0 },
  );
}

/** Counts from the participant list as it is now: invited = the municipality's participants, answered = those who submitted. */
async function liveRates(db: DbOrTrx, rounds: RoundRef[]): Promise<Map<number, RoundRates>> {
  const out = new Map<number, RoundRates>(rounds.map((r) => [r.id, empty()]));
  const codes = [...new Set(rounds.map((r) => r.municipalityCode))];
  const invited = new Map<string, number>();
  for (let i = 0; i < codes.length; i += CHUNK) {
    const rows = await db('participants')
      .whereIn('municipality_code', codes.slice(i, i + CHUNK))
      .groupBy('municipality_code', 'survey_group')
      .select('municipality_code', 'survey_group')
      .count<{ municipality_code: number; survey_group: string; n: number }[]>({ n: '*' });
    for (const r of rows) invited.set(`${Number(r.municipality_code)}:${r.survey_group}`, Number(r.n));
  }
  const ids = rounds.map((r) => r.id);
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows = await db('survey_participation as sp')
      .join('participants as p', 'p.id', 'sp.participant_id')
      .whereIn('sp.round_id', ids.slice(i, i + CHUNK))
      .andWhere('sp.submitted', true)
      .groupBy('sp.round_id', 'p.survey_group')
      .select('sp.round_id', 'p.survey_group')
      .count<{ round_id: number; survey_group: string; n: number }[]>({ n: '*' });
    for (const r of rows)
      if (isSurveyGroup(r.survey_group)) out.get(Number(r.round_id))![r.survey_group].answered = Number(r.n);
  }
  for (const r of rounds)
    for (const g of SURVEY_GROUPS) out.get(r.id)![g].invited = invited.get(`${r.municipalityCode}:${g}`) ?? 0;
  return out;
}

async function storedRates(db: DbOrTrx, ids: number[]): Promise<Map<number, RoundRates>> {
  const out = new Map<number, RoundRates>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const rows: Array<{ round_id: number; survey_group: string; invited: number; answered: number }> =
      await db('round_rates')
        .whereIn('round_id', ids.slice(i, i + CHUNK))
        .select('round_id', 'survey_group', 'invited', 'answered');
    for (const r of rows) {
      if (!isSurveyGroup(r.survey_group)) continue;
      const id = Number(r.round_id);
      if (!out.has(id)) out.set(id, empty());
      out.get(id)![r.survey_group] = { invited: Number(r.invited), answered: Number(r.answered) };
    }
  }
  return out;
}

/**
 * Freezes the rates of closed rounds that have none yet, as the published aggregate is frozen: when the round's
 * result is first stored or read, and before any of its people are erased or purged. From then on a closed round's
 * response rates never change. Returns the frozen rates of the given closed rounds.
 */
export async function freezeRates(db: DbOrTrx, rounds: RoundRef[]): Promise<Map<number, RoundRates>> {
  const closed = rounds.filter((r) => r.state === 'closed');
  if (!closed.length) return new Map();
  const stored = await storedRates(
    db,
    closed.map((r) => r.id),
  );
  const missing = closed.filter((r) => !stored.has(r.id));
  if (!missing.length) return stored;
  const live = await liveRates(db, missing);
  const rows = missing.flatMap((r) =>
    SURVEY_GROUPS.map((g) => ({ round_id: r.id, survey_group: g, ...live.get(r.id)![g] })),
  );
  for (let i = 0; i < rows.length; i += 100)
    await db('round_rates')
      .insert(rows.slice(i, i + 100))
      .onConflict(['round_id', 'survey_group'])
      .ignore();
  // Another instance may have frozen the same round a moment earlier: what is stored is what counts.
  for (const [id, r] of await storedRates(
    db,
    missing.map((r) => r.id),
  ))
    stored.set(id, r);
  return stored;
}

/** Freezes the rates of every closed round of a municipality (before its people are erased). */
export async function freezeMunicipalityRates(trx: DbOrTrx, code: number): Promise<void> {
  const rounds = await trx('survey_rounds')
    .where({ municipality_code: code, state: 'closed' })
    .select('id', 'municipality_code', 'state');
  await freezeRates(
    trx,
    rounds.map((r) => ({
      id: Number(r.id),
      municipalityCode: Number(r.municipality_code),
      state: String(r.state),
    })),
  );
}

/** Rates per round: frozen figures for closed rounds, the live participant list for open and planned ones. */
export async function ratesFor(db: DbOrTrx, rounds: RoundRef[]): Promise<Map<number, RoundRates>> {
  const frozen = await freezeRates(db, rounds);
  const live = await liveRates(
    db,
    rounds.filter((r) => !frozen.has(r.id)),
  );
  return new Map(rounds.map((r) => [r.id, frozen.get(r.id) ?? live.get(r.id)!]));
}
