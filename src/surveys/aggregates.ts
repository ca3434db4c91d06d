import type { DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { SURVEY_GROUPS, type SurveyGroup } from './groups.js';
import type { Instrument } from './instrument.js';
import { publishRound, type Publication } from './anonymity.js';
import { itemElementMap } from './instrument.js';
import { respondentScores, type Answer, type RespondentScores } from './scoring.js';
import type { Round } from './rounds.repository.js';
import { freezeRates } from './rates.js';

/** Respondent scores per group for one round, straight from the anonymous responses. */
export async function respondentsOfRound(
  db: DbOrTrx,
  round: Round,
  instruments: Map<number, Instrument>,
): Promise<Map<SurveyGroup, RespondentScores[]>> {
  const rows = await db('survey_responses')
    .where({ round_id: round.id })
    .select('survey_group', 'answers', 'instrument_version');
  const byGroup = new Map<SurveyGroup, RespondentScores[]>();
  const maps = new Map<number, ReturnType<typeof itemElementMap>>();
  for (const row of rows) {
    const version = Number(row.instrument_version);
    if (!maps.has(version)) {
      const inst = instruments.get(version);
      if (!inst) continue;
      maps.set(version, itemElementMap(inst));
    }
    const group = row.survey_group as SurveyGroup;
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
      const row = await db('round_aggregates').where({ round_id: round.id }).first();
      if (row && Number(row.k) === k) {
        return {
          roundId: round.id,
          k,
          respondents: Number(row.respondents),
          groupCounts: JSON.parse(row.group_counts),
          publication: JSON.parse(row.publication),
        };
      }
      const agg = await computeAggregate(db, instruments, k, round);
      const fields = {
        k,
        respondents: agg.respondents,
        group_counts: JSON.stringify(agg.groupCounts),
        publication: JSON.stringify(agg.publication),
        computed_at: clock.now(),
      };
      await db('round_aggregates')
        .insert({ round_id: round.id, ...fields })
        .onConflict('round_id')
        .merge(fields);
      await freezeRates(db, [round]);
      return agg;
    },

    /** Aggregates of many closed rounds at once: cached rows in one query, the rest computed and stored. */
    async forRounds(rounds: Round[], db: DbOrTrx = home): Promise<Map<number, RoundAggregate>> {
      const out = new Map<number, RoundAggregate>();
      const closed = rounds.filter((r) => r.state === 'closed');
      for (let i = 0; i < closed.length; i += 500) {
        const ids = closed.slice(i, i + 500).map((r) => r.id);
        const rows = await db('round_aggregates').whereIn('round_id', ids).andWhere({ k });
        for (const row of rows) {
          out.set(Number(row.round_id), {
            roundId: Number(row.round_id),
            k,
            respondents: Number(row.respondents),
            groupCounts: JSON.parse(row.group_counts),
            publication: JSON.parse(row.publication),
          });
        }
      }
      for (const r of rounds) if (!out.has(r.id)) out.set(r.id, await this.forRound(r, db));
      return out;
    },
  };
}
export type AggregateStore = ReturnType<typeof createAggregateStore>;
