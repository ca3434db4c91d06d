import type { Db, DbOrTrx } from '../db/knex.js';
import { NotFound } from '../shared/errors.js';
import { ELEMENTS, SURVEY_GROUPS, SURVEY_GROUP_LABELS, type ElementKey, type SurveyGroup } from './groups.js';
import { publishComments } from '../shared/k-anonymity.js';
import type { Publication, PublishedCell } from './anonymity.js';
import type { AggregateStore } from './aggregates.js';
import { responseRate, trend } from './scoring.js';
import { roundsRepository, type Round } from './rounds.repository.js';
import { ratesFor } from './rates.js';
import { responsesRepository } from './responses.repository.js';

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

type Deps = { db: Db; store: AggregateStore };

/** The one published form of a round: stored once when closed, computed for an open one. */
async function publicationOf(deps: Deps, round: Round, dbx: DbOrTrx): Promise<Publication> {
  return (await deps.store.forRound(round, dbx)).publication;
}

/** Each published cell beside the same cell of the municipality's closed round 1/3, with the change per element. */
async function trendSinceFirst(
  deps: Deps,
  municipalityCode: number,
  publication: Publication,
  dbx: DbOrTrx,
): Promise<RoundResults['trend']> {
  const first = (await roundsRepository.forMunicipality(dbx, municipalityCode)).find(
    (r) => r.roundNo === 1 && r.state === 'closed',
  );
  if (!first) return [];
  const base = await publicationOf(deps, first, dbx);
  const keyOf = (c: PublishedCell) => `${c.key}:${c.groups.join(',')}`;
  const baseCells = new Map([...base.cells, ...(base.total ? [base.total] : [])].map((c) => [keyOf(c), c]));
  const mean = (c: PublishedCell) =>
    Object.fromEntries(ELEMENTS.map((e) => [e, c.scores[e].mean])) as Record<ElementKey, number | null>;
  const rows: RoundResults['trend'] = [];
  for (const cell of [...publication.cells, ...(publication.total ? [publication.total] : [])]) {
    const b = baseCells.get(keyOf(cell));
    if (b) rows.push({ cell, base: b, delta: trend(mean(b), mean(cell)) });
  }
  return rows;
}

/** Invited, answered and the response rate per group, as frozen for a closed round. */
async function ratesOf(dbx: DbOrTrx, round: Round): Promise<GroupRate[]> {
  const frozen = (await ratesFor(dbx, [round])).get(round.id)!;
  return SURVEY_GROUPS.map((g) => ({
    group: g,
    label: SURVEY_GROUP_LABELS[g],
    invited: frozen[g].invited,
    answered: frozen[g].answered,
    rate: responseRate(frozen[g].answered, frozen[g].invited),
  }));
}

async function forRound(
  deps: Deps,
  municipalityCode: number,
  roundId: number,
  dbx: DbOrTrx,
): Promise<RoundResults> {
  const round = await roundsRepository.byId(dbx, roundId);
  if (!round || round.municipalityCode !== municipalityCode) throw new NotFound('Runden findes ikke.');
  const publication = await publicationOf(deps, round, dbx);
  const rates = await ratesOf(dbx, round);
  const totalInvited = rates.reduce((s, r) => s + r.invited, 0);
  const totalAnswered = rates.reduce((s, r) => s + r.answered, 0);
  const comments =
    round.state === 'closed'
      ? publishComments(
          await responsesRepository.commentsOf(dbx, roundId),
          publication.totalRespondents,
          publication.k,
        )
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
    trend:
      round.roundNo > 1 && !publication.belowK
        ? await trendSinceFirst(deps, municipalityCode, publication, dbx)
        : [],
    comments,
  };
}

/** A round's results as the project leader sees them, through the one scoring and anonymity modules. */
export function createResultsService(deps: Deps) {
  return {
    /** The one published form of a round; `dbx` reads inside a caller's transaction. */
    publicationOf: (round: Round, dbx: DbOrTrx = deps.db) => publicationOf(deps, round, dbx),
    /** `dbx` reads inside a caller's transaction (SQLite has one connection; a close must be visible). */
    forRound: (municipalityCode: number, roundId: number, dbx: DbOrTrx = deps.db) =>
      forRound(deps, municipalityCode, roundId, dbx),
  };
}
export type ResultsService = ReturnType<typeof createResultsService>;
