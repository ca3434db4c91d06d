import crypto from 'node:crypto';
import type { Db, DbOrTrx } from '../db/knex.js';
import { addDays, isoDay, type Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { NotFound, ValidationError } from '../shared/errors.js';
import { participantsRepository, type SurveyGroup } from '../participants/index.js';
import { linksRepository, type LinkPurpose, type LinkRow } from './links.repository.js';

export type { LinkPurpose };

/** A link that opened: what it is for and whose it is. */
export type ResolvedLink = Omit<LinkRow, 'expiresAt' | 'revokedAt'>;

/** The round a batch of survey links is for, as the survey feature describes it. */
export type LinkRound = {
  id: number;
  municipalityCode: number;
  roundNo: number;
  state: string;
  closesOn: string;
};

/** One line of a round's link list: who, and the link shown this once. */
export type IssuedLink = { name: string; email: string; surveyGroup: SurveyGroup; url: string };

type Deps = {
  db: Db;
  clock: Clock;
  publicUrl: string;
  /** Reads a round (surveys sit above links, so the container hands this in); only reissueForRound needs it. */
  roundOf?: (db: DbOrTrx, roundId: number) => Promise<LinkRound | undefined>;
};

type NewLink = {
  purpose: LinkPurpose;
  municipalityCode: number;
  participantId: number;
  roundId?: number | null;
  courseSessionId?: number | null;
  expiresAt: Date;
};

/** sha256 of a token; only this is stored. */
export const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

/** Personal survey links stay valid this many days after the round's planned close. */
export const SURVEY_LINK_VALID_DAYS = 14;

/** When a survey link issued today for a round closing on `closesOn` stops working (midnight UTC). */
function surveyLinkExpiry(closesOn: string, today: string): Date {
  return new Date(`${addDays(closesOn > today ? closesOn : today, SURVEY_LINK_VALID_DAYS)}T00:00:00Z`);
}

async function issue(
  deps: Deps,
  trx: DbOrTrx,
  link: NewLink,
): Promise<{ id: number; token: string; url: string }> {
  const token = crypto.randomBytes(32).toString('base64url');
  const id = await linksRepository.insert(trx, {
    tokenHash: hashToken(token),
    purpose: link.purpose,
    municipalityCode: link.municipalityCode,
    participantId: link.participantId,
    roundId: link.roundId ?? null,
    courseSessionId: link.courseSessionId ?? null,
    expiresAt: link.expiresAt,
    createdAt: deps.clock.now(),
  });
  return { id, token, url: `${deps.publicUrl}/l/${token}` };
}

async function resolve(deps: Deps, token: string): Promise<ResolvedLink | null> {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const row = await linksRepository.byTokenHash(deps.db, hashToken(token));
  if (!row || row.revokedAt) return null;
  if (row.expiresAt.getTime() <= deps.clock.now().getTime()) return null;
  const { id, purpose, municipalityCode, participantId, roundId, courseSessionId } = row;
  return { id, purpose, municipalityCode, participantId, roundId, courseSessionId };
}

/** New survey links for everyone on the list (the round's old ones revoked), audited, in one transaction. */
async function reissueForRound(
  deps: Deps,
  code: number,
  roundId: number,
  actorUserId: number,
): Promise<{ roundNo: number; links: IssuedLink[] }> {
  const { roundOf } = deps;
  if (!roundOf) throw new Error("createLinkService needs roundOf to reissue a round's links");
  return deps.db.transaction(async (trx) => {
    const round = await roundOf(trx, roundId);
    if (!round || round.municipalityCode !== code) throw new NotFound('Runden findes ikke.');
    if (round.state === 'closed')
      throw new ValidationError('Runden er lukket; der kan ikke laves nye links.');
    const now = deps.clock.now();
    const expiresAt = surveyLinkExpiry(round.closesOn, isoDay(now));
    await linksRepository.revoke(trx, { roundId: round.id, purpose: 'survey' }, now);
    const links: IssuedLink[] = [];
    for (const p of await participantsRepository.list(trx, code)) {
      const link = await issue(deps, trx, {
        purpose: 'survey',
        municipalityCode: code,
        participantId: p.id,
        roundId: round.id,
        expiresAt,
      });
      links.push({ name: p.name, email: p.email, surveyGroup: p.surveyGroup, url: link.url });
    }
    await audit(trx, {
      actorUserId,
      action: 'links.issue',
      subject: `runde:${round.id}`,
      details: { count: links.length },
      at: now,
    });
    return { roundNo: round.roundNo, links };
  });
}

/** Personal links: 256 random bits, hash stored, bound to one purpose and municipality, expiring, revocable. */
export function createLinkService(deps: Deps) {
  return {
    /** When a survey link issued today for a round closing on `closesOn` stops working (midnight UTC). */
    surveyLinkExpiry,
    /** Issues a link inside the caller's transaction; returns the token (shown once) and its URL. */
    issue: (trx: DbOrTrx, link: NewLink) => issue(deps, trx, link),
    /** The link behind a token, or null when unknown, expired or revoked. */
    resolve: (token: string) => resolve(deps, token),
    /** Revokes the still valid links matching every given condition, inside the caller's transaction. */
    revoke: (trx: DbOrTrx, where: { id?: number; participantId?: number; purpose?: LinkPurpose }) =>
      linksRepository.revoke(trx, where, deps.clock.now()),
    /** The project leader's new links for one round, for the CSV shown once. */
    reissueForRound: (code: number, roundId: number, actorUserId: number) =>
      reissueForRound(deps, code, roundId, actorUserId),
  };
}
export type LinkService = ReturnType<typeof createLinkService>;
