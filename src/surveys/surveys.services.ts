import type { AppDeps } from '../app.js';
import { effectiveK } from './anonymity.js';
import { currentVersion } from './instrument.js';
import { createAnsweringService } from './answering.service.js';
import { createParticipantsService } from './participants.service.js';
import { createResultsService } from './results.service.js';
import { createAggregateStore } from './aggregates.js';
import { createRoundsService, type RoundEvent } from './rounds.service.js';
import type { DbOrTrx } from '../db/knex.js';
import { createSurveyMailHook } from '../mail/survey-events.js';

/** Builds the survey feature's services from the app's dependencies. */
export function createSurveyServices(
  deps: Pick<AppDeps, 'db' | 'clock' | 'config' | 'instruments'>,
  onEvent: ((trx: DbOrTrx, e: RoundEvent) => Promise<void>) | null = createSurveyMailHook(deps),
) {
  const version = currentVersion(deps.instruments);
  const participants = createParticipantsService({ db: deps.db, clock: deps.clock });
  return {
    /** Purges participant lists and links of municipalities whose round 3/3 closed PURGE_AFTER_DAYS ago. */
    async purgeDue(): Promise<number[]> {
      const cutoff = new Date(deps.clock.now().getTime() - deps.config.purgeAfterDays * 86_400_000);
      const codes = await deps
        .db('survey_rounds as r')
        .where({ 'r.round_no': 3, 'r.state': 'closed' })
        .andWhere('r.closed_at', '<=', cutoff)
        .whereExists(deps.db('participants as p').whereRaw('p.municipality_code = r.municipality_code'))
        .pluck('r.municipality_code');
      for (const code of codes)
        await deps.db.transaction((trx) => participants.purgeMunicipality(trx, Number(code)));
      return codes.map(Number);
    },
    rounds: createRoundsService({
      db: deps.db,
      clock: deps.clock,
      windowDays: deps.config.surveyWindowDays,
      instrumentVersion: version,
      onEvent: onEvent ?? undefined,
    }),
    answering: createAnsweringService({
      db: deps.db,
      instruments: deps.instruments,
      currentVersion: version,
    }),
    participants,
    results: createResultsService({
      db: deps.db,
      store: createAggregateStore({
        db: deps.db,
        instruments: deps.instruments,
        k: effectiveK(deps.config.kThreshold),
        clock: deps.clock,
      }),
    }),
  };
}
export type SurveyServices = ReturnType<typeof createSurveyServices>;
