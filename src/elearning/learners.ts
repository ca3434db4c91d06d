import type { DbOrTrx } from '../db/knex.js';
import { type SessionUser, policy, usersRepository } from '../auth/index.js';
import type { LinkPurpose, ResolvedLink } from '../links/index.js';
import type { Clock } from '../shared/clock.js';
import { participantsRepository, type Participant } from '../participants/index.js';
import { learnersRepository } from './learners.repository.js';

/**
 * Learners. A learner is the person behind an e-learning request, keyed so that the same person
 * gets the same progress whichever way they come in:
 *   - a participant row (personal link, or a SAML user matched by email in their municipality) → key `p:<participantId>`;
 *   - otherwise a SAML user without a participant row → key `u:<userId>`.
 * The `learners` table holds one row per key with a snapshot of name, municipality and learner group
 * (refreshed on each visit); progress, attempts and certificates hang off `learners.id`.
 * A user who later gets a participant row starts a new learner; that is accepted to keep this simple.
 */

export const LEARNER_GROUPS = ['superbrugere', 'sagsbehandlere-ydelsescenter', 'oevrige'] as const;
export type LearnerGroup = (typeof LEARNER_GROUPS)[number];
export const LEARNER_GROUP_LABELS: Record<LearnerGroup, string> = {
  superbrugere: 'Superbrugere',
  'sagsbehandlere-ydelsescenter': 'Sagsbehandlere i ydelsescenter',
  oevrige: 'Øvrige brugere',
};

/** Survey groups whose participants take the e-learning; a participant flagged as superuser does too. */
export const LEARNER_SURVEY_GROUPS: readonly string[] = [
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'informationssoegende',
];

export type LearnerIdentity = {
  key: string;
  participantId: number | null;
  userId: number | null;
  municipalityCode: number | null;
  name: string;
  superuser: boolean;
  group: LearnerGroup;
  /** Whether the classroom course (and its evaluation) applies; not for caseworkers outside the centre or information seekers. */
  classroom: boolean;
  via: 'link' | 'saml';
};

export type Learner = LearnerIdentity & { id: number };

/** The learner group from the superuser flag/role and the survey group/job role. */
export function learnerGroupOf(input: {
  superuser: boolean;
  surveyGroup: string | null;
  roles: readonly string[];
}): LearnerGroup {
  if (input.superuser || policy.isSuperuser(input)) return 'superbrugere';
  if (input.surveyGroup === 'sagsbehandler-ydelsescenter' || policy.isBenefitsCaseworker(input))
    return 'sagsbehandlere-ydelsescenter';
  return 'oevrige';
}

function fromParticipant(
  p: Participant,
  roles: readonly string[],
  userId: number | null,
  via: 'link' | 'saml',
): LearnerIdentity {
  const superuser = p.superuser || policy.isSuperuser({ roles });
  const group = learnerGroupOf({ superuser, surveyGroup: p.surveyGroup, roles });
  return {
    key: `p:${p.id}`,
    participantId: p.id,
    userId,
    municipalityCode: p.municipalityCode,
    name: p.name,
    superuser,
    group,
    classroom: group !== 'oevrige',
    via,
  };
}

/**
 * Who is asking: the session's personal link (only for the given purposes) or the SAML user.
 * Returns null when neither applies; a SAML user needs a learner role or a participant row.
 */
export async function identifyLearner(
  db: DbOrTrx,
  session: { link?: ResolvedLink; user?: SessionUser },
  purposes: readonly LinkPurpose[],
): Promise<LearnerIdentity | null> {
  const { link, user } = session;
  if (link && purposes.includes(link.purpose)) {
    const p = await participantsRepository.inMunicipality(db, link.municipalityCode, link.participantId);
    return p ? fromParticipant(p, [], null, 'link') : null;
  }
  if (!user) return null;
  if (user.email && user.municipalityCode) {
    const p = await participantsRepository.byMunicipalityAndEmail(db, user.municipalityCode, user.email);
    if (p) return fromParticipant(p, user.roles, user.id, 'saml');
  }
  if (!policy.takesElearning(user)) return null;
  const superuser = policy.isSuperuser(user);
  const group = learnerGroupOf({ superuser, surveyGroup: null, roles: user.roles });
  return {
    key: `u:${user.id}`,
    participantId: null,
    userId: user.id,
    municipalityCode: user.municipalityCode,
    name: user.name,
    superuser,
    group,
    classroom: group !== 'oevrige',
    via: 'saml',
  };
}

/** The learners row for an identity, created on first visit and refreshed after. */
export async function ensureLearner(db: DbOrTrx, clock: Clock, identity: LearnerIdentity): Promise<Learner> {
  const now = clock.now();
  const row = await learnersRepository.ensure(db, identity.key, identity, now);
  const changed =
    row.name !== identity.name ||
    row.group !== identity.group ||
    row.superuser !== identity.superuser ||
    row.municipalityCode !== identity.municipalityCode ||
    (identity.userId !== null && row.userId !== identity.userId);
  if (changed) {
    // Keep a known user id when a later visit comes by link (no user in the session).
    await learnersRepository.refresh(db, row.id, { ...identity, userId: identity.userId ?? row.userId }, now);
  }
  return { ...identity, id: row.id };
}

/** The address a learner's "test passed" mail goes to: their participant row, else their login. */
export async function learnerEmail(db: DbOrTrx, learner: Learner): Promise<string | null> {
  const fromList = learner.participantId
    ? await participantsRepository.emailOf(db, learner.participantId)
    : null;
  if (fromList) return fromList;
  return learner.userId ? usersRepository.emailOf(db, learner.userId) : null;
}
