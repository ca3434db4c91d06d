import type { DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { SURVEY_GROUPS, type SurveyGroup } from './groups.js';
import type { Instrument } from './instrument.js';
import { publishRound, type Publication } from './anonymity.js';
import { itemElementMap } from './instrument.js';
import { respondentScores, type Answer, type RespondentScores } from './scoring.js';
import type { Round } from './rounds.repository.js';
import { freezeRates } from './rates.js';
import { aggregatesRepository } from './aggregates.repository.js';
import { responsesRepository } from './responses.repository.js';

/** Respondent scores per group for one round, straight from the anonymous responses. */
export async function respondentsOfRound(
  db: DbOrTrx,
  round: Round,
  instruments: Map<number, Instrument>,
): Promise<Map<SurveyGroup, RespondentScores[]>> {
  const rows = await responsesRepository.responsesOf(db, round.id);
  const byGroup = new Map<SurveyGroup, RespondentScores[]>();
  const maps = new Map<number, ReturnType<typeof itemElementMap>>();
  for (const row of rows) {
    const version = row.instrumentVersion;
    if (!maps.has(version)) {
      const inst = instruments.get(version);
      if (!inst) continue;
      maps.set(version, itemElementMap(inst));
    }
    const group = row.surveyGroup as SurveyGroup;
    const list = byGroup.get(group) ?? [];
    list.push(respondentScores(JSON.parse(row.answers) as Record<string, Answer>, maps.get(version)!));
    byGroup.set(group, list);
  }
  return byGroup;
}

export type RoundAggregate = {
  roundId: number;
  k: number;
  respondents: number;
  groupCounts: Record<SurveyGroup, number>;
  publication: Publication;
};

/** Computes a round's publication from its anonymous responses. */
export async function computeAggregate(
  db: DbOrTrx,
  instruments: Map<number, Instrument>,
  k: number,
  round: Round,
): Promise<RoundAggregate> {
  const byGroup = await respondentsOfRound(db, round, instruments);
  const publication = publishRound(
    SURVEY_GROUPS.filter((g) => byGroup.has(g)).map((g) => ({ group: g, respondents: byGroup.get(g)! })),
    k,
  );
  const groupCounts = Object.fromEntries(
    SURVEY_GROUPS.map((g) => [g, byGroup.get(g)?.length ?? 0]),
  ) as Record<SurveyGroup, number>;
  return { roundId: round.id, k, respondents: publication.totalRespondents, groupCounts, publication };
}

/**
 * Published results per round; a closed round's are stored once (they cannot change), so dashboards
 * and exports over a million responses read small rows instead of every answer.
 */
export function createAggregateStore({
  db,
  instruments,
  k,
  clock,
}: {
  db: DbOrTrx;
  instruments: Map<number, Instrument>;
  k: number;
  clock: Clock;
}) {
  const home = db;
  return {
    /** `db` reads (and stores) inside a caller's transaction when given. */
    async forRound(round: Round, db: DbOrTrx = home): Promise<RoundAggregate> {
      if (round.state !== 'closed') return computeAggregate(db, instruments, k, round);
      const stored = await aggregatesRepository.aggregateOf(db, round.id);
      if (stored && stored.k === k) return stored as RoundAggregate;
      const agg = await computeAggregate(db, instruments, k, round);
      await aggregatesRepository.storeAggregate(db, agg, clock.now());
      await freezeRates(db, [round]);
      return agg;
    },

    /** Aggregates of many closed rounds at once: cached rows in one query, the rest computed and stored. */
    async forRounds(rounds: Round[], db: DbOrTrx = home): Promise<Map<number, RoundAggregate>> {
      const out = new Map<number, RoundAggregate>();
      const closed = rounds.filter((r) => r.state === 'closed');
      const stored = await aggregatesRepository.aggregatesOf(
        db,
        closed.map((r) => r.id),
        k,
      );
      for (const a of stored) out.set(a.roundId, a as RoundAggregate);
      for (const r of rounds) if (!out.has(r.id)) out.set(r.id, await this.forRound(r, db));
      return out;
    },
  };
}
export type AggregateStore = ReturnType<typeof createAggregateStore>;
