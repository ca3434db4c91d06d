import type { AppDeps } from '../app.js';
import type { DbOrTrx } from '../db/knex.js';
import type { RoundEvent } from '../surveys/rounds.service.js';

/** Turns round events into outbox messages, inside the transaction that caused them. */
export function createSurveyMailHook(_deps: Pick<AppDeps, 'db' | 'clock' | 'config' | 'instruments'>): (trx: DbOrTrx, event: RoundEvent) => Promise<void> {
  return async () => undefined;
}
