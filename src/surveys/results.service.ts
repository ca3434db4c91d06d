import type { Db, DbOrTrx } from '../db/knex.js';
import { NotFound } from '../shared/errors.js';
import { ELEMENTS, SURVEY_GROUPS, SURVEY_GROUP_LABELS, type ElementKey, type SurveyGroup } from './groups.js';
import { publishComments } from '../shared/k-anonymity.js';
import type { Publication, PublishedCell } from './anonymity.js';
import type { AggregateStore } from './aggregates.js';
import { responseRate, trend } from './scoring.js';
import { roundsRepository, type Round } from './rounds.repository.js';
import { ratesFor } from './rates.js';

export type GroupRate = {
  group: SurveyGroup;
  label: string;
  invited: number;
  answered: number;
  rate: number | null;
};
export type RoundResults = {
  round: Round;
  publication: Publication;
  rates: GroupRate[];
  totalRate: { invited: number; answered: number; rate: number | null };
  trend: Array<{ cell: PublishedCell; base: PublishedCell; delta: Record<ElementKey, number | null> }>;
  comments: string[];
};

/** A round's results as the project leader sees them, through the one scoring and anonymity modules. */
export function createResultsService({ db, store }: { db: Db; store: AggregateStore }) {
  /** The one published form of a round: stored once when closed, computed for an open one. */
  async function publicationOf(round: Round, dbx: DbOrTrx = db): Promise<Publication> {
    return (await store.forRound(round, dbx)).publication;
  }

  return {
    publicationOf,

    /** `dbx` reads inside a caller's transaction (SQLite has one connection; a close must be visible). */
    async forRound(municipalityCode: number, roundId: number, dbx: DbOrTrx = db): Promise<RoundResults> {
      const round = await roundsRepository.byId(dbx, roundId);
      if (!round || round.municipalityCode !== municipalityCode) throw new NotFound('Runden findes ikke.');
      const publication = await publicationOf(round, dbx);
      const frozen = (await ratesFor(dbx, [round])).get(round.id)!;
      const rates = SURVEY_GROUPS.map((g) => ({
        group: g,
        label: SURVEY_GROUP_LABELS[g],
        invited: frozen[g].invited,
        answered: frozen[g].answered,
        rate: responseRate(frozen[g].answered, frozen[g].invited),
      }));
      const totalInvited = rates.reduce((s, r) => s + r.invited, 0);
      const totalAnswered = rates.reduce((s, r) => s + r.answered, 0);

      const trendRows: RoundResults['trend'] = [];
      if (round.roundNo > 1 && !publication.belowK) {
        const first = (await roundsRepository.forMunicipality(dbx, municipalityCode)).find(
          (r) => r.roundNo === 1 && r.state === 'closed',
        );
        if (first) {
          const base = await publicationOf(first, dbx);
          const baseCells = new Map(
            [...base.cells, ...(base.total ? [base.total] : [])].map((c) => [
              `${c.key}:${c.groups.join(',')}`,
              c,
            ]),
          );
          for (const cell of [...publication.cells, ...(publication.total ? [publication.total] : [])]) {
            const b = baseCells.get(`${cell.key}:${cell.groups.join(',')}`);
            if (!b) continue;
            const mean = (c: PublishedCell) =>
              Object.fromEntries(ELEMENTS.map((e) => [e, c.scores[e].mean])) as Record<
                ElementKey,
                number | null
              >;
            trendRows.push({ cell, base: b, delta: trend(mean(b), mean(cell)) });
          }
        }
      }

      const commentRows = await dbx('survey_responses')
        .where({ round_id: roundId })
        .whereNotNull('comment')
        .pluck('comment');
      const comments =
        round.state === 'closed'
          ? publishComments(commentRows as string[], publication.totalRespondents, publication.k)
          : [];
      return {
        round,
        publication,
        rates,
        totalRate: {
          invited: totalInvited,
          answered: totalAnswered,
          rate: responseRate(totalAnswered, totalInvited),
        },
        trend: trendRows,
        comments,
      };
    },
  };
}
export type ResultsService = ReturnType<typeof createResultsService>;
