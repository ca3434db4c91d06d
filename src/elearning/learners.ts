import type { DbOrTrx } from '../db/knex.js';
import type { SessionUser } from '../auth/roles.js';
import { policy } from '../auth/policy.js';
import type { LinkPurpose, ResolvedLink } from '../links/links.service.js';
import type { Clock } from '../shared/clock.js';

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

type ParticipantRow = {
  id: number;
  municipality_code: number;
  name: string;
  survey_group: string;
  superuser: boolean | number;
};

function fromParticipant(
  p: ParticipantRow,
  roles: readonly string[],
  userId: number | null,
  via: 'link' | 'saml',
): LearnerIdentity {
  const superuser = Boolean(p.superuser) || policy.isSuperuser({ roles });
  const group = learnerGroupOf({ superuser, surveyGroup: p.survey_group, roles });
  return {
    key: `p:${p.id}`,
    participantId: Number(p.id),
    userId,
    municipalityCode: Number(p.municipality_code),
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
    const p = await db<ParticipantRow>('participants')
      .where({ id: link.participantId, municipality_code: link.municipalityCode })
      .first();
    return p ? fromParticipant(p, [], null, 'link') : null;
  }
  if (!user) return null;
  if (user.email && user.municipalityCode) {
    const p = await db<ParticipantRow>('participants')
      .where({ municipality_code: user.municipalityCode })
      .whereRaw('lower(email) = ?', [user.email.toLowerCase()])
      .first();
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
  const snapshot = {
    participant_id: identity.participantId,
    user_id: identity.userId,
    municipality_code: identity.municipalityCode,
    name: identity.name,
    learner_group: identity.group,
    superuser: identity.superuser,
    updated_at: now,
  };
  await db('learners')
    .insert({ learner_key: identity.key, created_at: now, ...snapshot })
    .onConflict('learner_key')
    .ignore();
  const row = await db('learners')
    .where({ learner_key: identity.key })
    .first('id', 'name', 'learner_group', 'municipality_code', 'superuser', 'user_id');
  const id = Number(row.id);
  const changed =
    row.name !== identity.name ||
    row.learner_group !== identity.group ||
    Boolean(row.superuser) !== identity.superuser ||
    (row.municipality_code === null ? null : Number(row.municipality_code)) !== identity.municipalityCode ||
    (identity.userId !== null && Number(row.user_id) !== identity.userId);
  if (changed) {
    // Keep a known user id when a later visit comes by link (no user in the session).
    await db('learners')
      .where({ id })
      .update({ ...snapshot, user_id: identity.userId ?? row.user_id ?? null });
  }
  return { ...identity, id };
}

/** The address a learner's "test passed" mail goes to: their participant row, else their login. */
export async function learnerEmail(db: DbOrTrx, learner: Learner): Promise<string | null> {
  if (learner.participantId) {
    const p = await db('participants').where({ id: learner.participantId }).first('email');
    if (p?.email) return String(p.email);
  }
  if (learner.userId) {
    const u = await db('users').where({ id: learner.userId }).first('email');
    if (u?.email) return String(u.email);
  }
  return null;
}
