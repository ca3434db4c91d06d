import type { DbOrTrx } from '../db/knex.js';
import { participantsRepository } from '../participants/index.js';
import { SURVEY_GROUPS, isSurveyGroup, type SurveyGroup } from './groups.js';
import { aggregatesRepository } from './aggregates.repository.js';
import { responsesRepository } from './responses.repository.js';
import { roundsRepository } from './rounds.repository.js';

/** Invited and answered per survey group for one round. */
export type RoundRates = Record<SurveyGroup, { invited: number; answered: number }>;
type RoundRef = { id: number; municipalityCode: number; state: string };

const empty = (): RoundRates =>
  Object.fromEntries(SURVEY_GROUPS.map((g) => [g, { invited: 0, answered: 0 }])) as RoundRates;

/** Invited and answered summed over the groups. */
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
  const invited = await participantsRepository.countPerMunicipalityAndGroup(db, codes);
  const answered = await responsesRepository.answeredPerGroup(
    db,
    rounds.map((r) => r.id),
  );
  for (const r of answered)
    if (isSurveyGroup(r.surveyGroup)) out.get(r.roundId)![r.surveyGroup].answered = r.n;
  for (const r of rounds)
    for (const g of SURVEY_GROUPS) out.get(r.id)![g].invited = invited.get(`${r.municipalityCode}:${g}`) ?? 0;
  return out;
}

async function storedRates(db: DbOrTrx, ids: number[]): Promise<Map<number, RoundRates>> {
  const out = new Map<number, RoundRates>();
  for (const r of await aggregatesRepository.ratesOf(db, ids)) {
    if (!isSurveyGroup(r.surveyGroup)) continue;
    if (!out.has(r.roundId)) out.set(r.roundId, empty());
    out.get(r.roundId)![r.surveyGroup] = { invited: r.invited, answered: r.answered };
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
  await aggregatesRepository.insertRates(
    db,
    missing.flatMap((r) =>
      SURVEY_GROUPS.map((g) => ({ roundId: r.id, surveyGroup: g, ...live.get(r.id)![g] })),
    ),
  );
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
  await freezeRates(trx, await roundsRepository.closed(trx, { municipalityCode: code }));
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
