import type { Db, DbOrTrx } from '../db/knex.js';
import { NotFound } from '../shared/errors.js';
import { participantsRepository } from '../participants/index.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/index.js';
import { roundsRepository, type Round } from './rounds.repository.js';
import { ratesFor, totals } from './rates.js';
import type { RoundResults } from './results.service.js';

type Deps = {
  db: Db;
  notInvited: (db: DbOrTrx, round: Round) => Promise<number[]>;
  resultsForRound: (code: number, roundId: number) => Promise<RoundResults>;
};

/** A municipality's overview as its project leader or head of the benefits centre sees it. */
export type MunicipalityOverview = {
  municipality: Municipality;
  rounds: Round[];
  participantCount: number;
  /** Invited and answered per round: frozen for a closed round, the list as it is now otherwise. */
  figures: Map<number, { invited: number; answered: number }>;
  /** Per open round, how many participants have no invitation yet (for the project leader only). */
  notInvited: Map<number, number>;
};

async function municipalityOrNotFound(db: DbOrTrx, code: number): Promise<Municipality> {
  const m = await municipalitiesRepository.byCode(db, code);
  if (!m) throw new NotFound('Kommunen findes ikke.');
  return m;
}

async function overview(deps: Deps, code: number, canManage: boolean): Promise<MunicipalityOverview> {
  const { db } = deps;
  const municipality = await municipalityOrNotFound(db, code);
  const rounds = await roundsRepository.forMunicipality(db, code);
  // A closed round shows its frozen figures, which an erasure or purge of people does not change.
  const rates = await ratesFor(db, rounds);
  const notInvited = new Map<number, number>();
  if (canManage)
    for (const r of rounds.filter((x) => x.state === 'open'))
      notInvited.set(r.id, (await deps.notInvited(db, r)).length);
  return {
    municipality,
    rounds,
    participantCount: await participantsRepository.countInMunicipality(db, code),
    figures: new Map(rounds.map((r) => [r.id, totals(rates.get(r.id)!)])),
    notInvited,
  };
}

/** The municipality pages of the readiness surveys: the overview and a round's results. */
export function createOverviewService(deps: Deps) {
  return {
    /** The overview; `canManage` adds what only the project leader acts on. */
    municipality: (code: number, canManage: boolean) => overview(deps, code, canManage),
    /** A round's results with the municipality they belong to. */
    async results(
      code: number,
      roundId: number,
    ): Promise<{ municipality: Municipality; results: RoundResults }> {
      const results = await deps.resultsForRound(code, roundId);
      return { municipality: await municipalityOrNotFound(deps.db, code), results };
    },
  };
}
export type OverviewService = ReturnType<typeof createOverviewService>;
