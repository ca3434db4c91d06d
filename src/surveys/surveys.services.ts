import type { AppDeps } from '../app.js';
import { effectiveK } from './anonymity.js';
import { currentVersion } from './instrument.js';
import { createAnsweringService } from './answering.service.js';
import { createParticipantsService } from './participants.service.js';
import { createResultsService } from './results.service.js';
import { createRoundsService, type RoundEvent } from './rounds.service.js';
import type { DbOrTrx } from '../db/knex.js';
import { createSurveyMailHook } from '../mail/survey-events.js';

/** Builds the survey feature's services from the app's dependencies. */
export function createSurveyServices(
  deps: Pick<AppDeps, 'db' | 'clock' | 'config' | 'instruments'>,
  onEvent: ((trx: DbOrTrx, e: RoundEvent) => Promise<void>) | null = createSurveyMailHook(deps),
) {
  const version = currentVersion(deps.instruments);
  return {
    rounds: createRoundsService({ db: deps.db, clock: deps.clock, windowDays: deps.config.surveyWindowDays, instrumentVersion: version, onEvent: onEvent ?? undefined }),
    answering: createAnsweringService({ db: deps.db, clock: deps.clock, instruments: deps.instruments, currentVersion: version }),
    participants: createParticipantsService({ db: deps.db, clock: deps.clock }),
    results: createResultsService({ db: deps.db, instruments: deps.instruments, k: effectiveK(deps.config.kThreshold) }),
  };
}
export type SurveyServices = ReturnType<typeof createSurveyServices>;
