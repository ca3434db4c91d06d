import type { Db, DbOrTrx } from '../db/knex.js';
import type { SessionUser } from '../auth/index.js';
import type { LinkPurpose, ResolvedLink } from '../links/index.js';
import type { Clock } from '../shared/clock.js';
import {
  ensureLearner,
  identifyLearner,
  learnerEmail,
  type Learner,
  type LearnerIdentity,
} from './learners.js';

/** Who the learner is, their row, and where their mail goes; the gate and the mail hook use this, not the database. */
export function createLearnersService({ db, clock }: { db: Db; clock: Clock }) {
  return {
    /** The person behind a session for these link purposes, or null (see identifyLearner). */
    identify: (
      session: { link?: ResolvedLink; user?: SessionUser },
      purposes: readonly LinkPurpose[],
    ): Promise<LearnerIdentity | null> => identifyLearner(db, session, purposes),
    /** The learner row for an identity, created on first visit. */
    ensure: (identity: LearnerIdentity): Promise<Learner> => ensureLearner(db, clock, identity),
    /** The "test passed" address; `trx` is the submitting transaction. */
    emailOf: (trx: DbOrTrx, learner: Learner): Promise<string | null> => learnerEmail(trx, learner),
  };
}

/** The learner lookups the gate and the certificate mail need. */
export type LearnersService = ReturnType<typeof createLearnersService>;
