import type { DbOrTrx } from '../db/knex.js';

/** A stored round aggregate with its JSON columns parsed (their shapes are the aggregate store's). */
export type StoredAggregate = {
  roundId: number;
  k: number;
  respondents: number;
  groupCounts: unknown;
  publication: unknown;
};

/** Invited and answered of one group in a closed round, as frozen. */
export type StoredRate = { roundId: number; surveyGroup: string; invited: number; answered: number };

// SQLite allows 999 bound parameters per statement in old builds; 500 keeps every engine safe.
const CHUNK = 500;

const toAggregate = (row: Record<string, unknown>): StoredAggregate => ({
  roundId: Number(row.round_id),
  k: Number(row.k),
  respondents: Number(row.respondents),
  groupCounts: JSON.parse(String(row.group_counts)),
  publication: JSON.parse(String(row.publication)),
});

/**
 * SQL for what is frozen when a round closes: `round_aggregates` (the published result) and `round_rates`
 * (invited and answered per group); the only file that names them.
 */
export const aggregatesRepository = {
  /** The stored aggregate of a round, whatever its k. */
  async aggregateOf(db: DbOrTrx, roundId: number): Promise<StoredAggregate | undefined> {
    const row = await db('round_aggregates').where({ round_id: roundId }).first();
    return row ? toAggregate(row) : undefined;
  },

  /** The stored aggregates of these rounds computed with this k. */
  async aggregatesOf(db: DbOrTrx, roundIds: readonly number[], k: number): Promise<StoredAggregate[]> {
    const out: StoredAggregate[] = [];
    for (let i = 0; i < roundIds.length; i += CHUNK) {
      const rows = await db('round_aggregates')
        .whereIn('round_id', roundIds.slice(i, i + CHUNK))
        .andWhere({ k });
      out.push(...rows.map(toAggregate));
    }
    return out;
  },

  /** Stores (or replaces) a round's aggregate. */
  async storeAggregate(
    db: DbOrTrx,
    a: { roundId: number; k: number; respondents: number; groupCounts: unknown; publication: unknown },
    at: Date,
  ): Promise<void> {
    const fields = {
      k: a.k,
      respondents: a.respondents,
      group_counts: JSON.stringify(a.groupCounts),
      publication: JSON.stringify(a.publication),
      computed_at: at,
    };
    await db('round_aggregates')
      .insert({ round_id: a.roundId, ...fields })
      .onConflict('round_id')
      .merge(fields);
  },

  /** The frozen rates of these rounds (rounds not frozen yet have none). */
  async ratesOf(db: DbOrTrx, roundIds: readonly number[]): Promise<StoredRate[]> {
    const out: StoredRate[] = [];
    for (let i = 0; i < roundIds.length; i += CHUNK) {
      const rows = await db('round_rates')
        .whereIn('round_id', roundIds.slice(i, i + CHUNK))
        .select('round_id', 'survey_group', 'invited', 'answered');
      for (const r of rows)
        out.push({
          roundId: Number(r.round_id),
          surveyGroup: String(r.survey_group),
          invited: Number(r.invited),
          answered: Number(r.answered),
        });
    }
    return out;
  },

  /** Freezes rates; a round-group already frozen (by another instance, say) keeps what it has. */
  async insertRates(db: DbOrTrx, rates: readonly StoredRate[]): Promise<void> {
    const rows = rates.map((r) => ({
      round_id: r.roundId,
      survey_group: r.surveyGroup,
      invited: r.invited,
      answered: r.answered,
    }));
    for (let i = 0; i < rows.length; i += 100)
      await db('round_rates')
        .insert(rows.slice(i, i + 100))
        .onConflict(['round_id', 'survey_group'])
        .ignore();
  },
};
