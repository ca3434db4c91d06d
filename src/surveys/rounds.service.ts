import type { DbOrTrx } from '../db/knex.js';
import { addDays, isoDay } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { Conflict, NotFound, ValidationError } from '../shared/errors.js';
import { participantsRepository } from '../participants/index.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/index.js';
import { roundsRepository, type Round } from './rounds.repository.js';
import { plannedDates } from './round-calendar.js';
import { invitationKeyPrefix } from './round-invitations.js';
import { emit, ensureRounds, tick, type RoundsDeps } from './rounds.tick.js';

export {
  REMINDER_DAYS,
  ROUND_LABELS,
  ROUND_NUMBERS,
  ROUND_OFFSET_MONTHS,
  ROUND_SHORT,
  STATE_LABELS,
  plannedDates,
  type RoundEvent,
} from './round-calendar.js';

type Plan = { wave: number | null; goLive: string | null };

async function roundOrNotFound(db: DbOrTrx, roundId: number): Promise<Round> {
  const round = await roundsRepository.byId(db, roundId);
  if (!round) throw new NotFound('Runden findes ikke.');
  return round;
}

/** KOMBIT opens a planned round now; the usual window counts from today. */
async function openNow(deps: RoundsDeps, roundId: number, actorUserId: number): Promise<void> {
  const now = deps.clock.now();
  const today = isoDay(now);
  await deps.db.transaction(async (trx) => {
    const round = await roundOrNotFound(trx, roundId);
    if (round.state !== 'planned') throw new Conflict('Runden er allerede åbnet.');
    const dates = { opensOn: today, closesOn: addDays(today, deps.windowDays) };
    if (
      !(await roundsRepository.openIfPlanned(trx, roundId, {
        at: now,
        instrumentVersion: deps.instrumentVersion,
        dates,
      }))
    )
      throw new Conflict('Runden er allerede åbnet.');
    await audit(trx, { actorUserId, action: 'round.open', subject: `runde:${roundId}`, at: now });
    await emit(deps, trx, {
      type: 'opened',
      roundId,
      municipalityCode: round.municipalityCode,
      roundNo: round.roundNo,
    });
  });
}

/** Participants of an open round who have no invitation yet (added after it opened). */
async function notInvited(deps: RoundsDeps, trx: DbOrTrx, round: Round): Promise<number[]> {
  if (!deps.mailKeysWithPrefix)
    throw new Error('the rounds service needs mailKeysWithPrefix to find invitations');
  const prefix = invitationKeyPrefix(round.id);
  const invited = new Set(
    (await deps.mailKeysWithPrefix(trx, prefix)).map((k) => Number(k.slice(prefix.length))),
  );
  const ids = await participantsRepository.idsInMunicipality(trx, round.municipalityCode);
  return ids.filter((id) => !invited.has(id));
}

/**
 * The project leader invites everyone added since the round opened. Invitations are keyed per participant and
 * round, so the opening's mail hook run again writes one only for those who have none; returns how many.
 */
async function inviteNew(
  deps: RoundsDeps,
  code: number,
  roundId: number,
  actorUserId: number,
): Promise<number> {
  return deps.db.transaction(async (trx) => {
    const round = await roundsRepository.byId(trx, roundId);
    if (!round || round.municipalityCode !== code) throw new NotFound('Runden findes ikke.');
    if (round.state !== 'open') throw new Conflict('Der kan kun sendes invitationer, mens runden er åben.');
    const pending = await notInvited(deps, trx, round);
    if (!pending.length) return 0;
    await emit(deps, trx, { type: 'opened', roundId, municipalityCode: code, roundNo: round.roundNo });
    const sent = pending.length - (await notInvited(deps, trx, round)).length;
    await audit(trx, {
      actorUserId,
      action: 'round.invite',
      subject: `runde:${roundId}`,
      details: { count: sent },
      at: deps.clock.now(),
    });
    return sent;
  });
}

/** KOMBIT closes an open round now. */
async function closeNow(deps: RoundsDeps, roundId: number, actorUserId: number): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction(async (trx) => {
    const round = await roundOrNotFound(trx, roundId);
    if (!(await roundsRepository.closeIfOpen(trx, roundId, { at: now, byHandOn: isoDay(now) })))
      throw new Conflict('Kun en åben runde kan lukkes.');
    await audit(trx, { actorUserId, action: 'round.close', subject: `runde:${roundId}`, at: now });
    await emit(deps, trx, {
      type: 'closed',
      roundId,
      municipalityCode: round.municipalityCode,
      roundNo: round.roundNo,
    });
  });
}

/** KOMBIT extends an open round to a later closing date. */
async function extend(
  deps: RoundsDeps,
  roundId: number,
  closesOn: string,
  actorUserId: number,
): Promise<void> {
  const now = deps.clock.now();
  if (closesOn <= isoDay(now))
    throw new ValidationError('Den nye slutdato skal ligge efter i dag.', {
      closesOn: 'Vælg en dato efter i dag',
    });
  await deps.db.transaction(async (trx) => {
    const round = await roundOrNotFound(trx, roundId);
    if (closesOn <= round.closesOn)
      throw new ValidationError('Den nye slutdato skal ligge efter den nuværende.', {
        closesOn: 'Vælg en senere dato',
      });
    if (!(await roundsRepository.extendIfOpen(trx, roundId, closesOn)))
      throw new Conflict('Kun en åben runde kan forlænges.');
    await audit(trx, {
      actorUserId,
      action: 'round.extend',
      subject: `runde:${roundId}`,
      details: { closesOn },
      at: now,
    });
  });
}

/** Sets wave and go-live; rounds not yet opened move with it (or go, without a go-live), open and closed ones stay. */
async function applyPlan(
  deps: RoundsDeps,
  trx: DbOrTrx,
  code: number,
  plan: Plan,
  actorUserId: number | null,
) {
  const m = await municipalitiesRepository.byCode(trx, code);
  if (!m) throw new NotFound('Kommunen findes ikke.');
  await municipalitiesRepository.setPlan(trx, code, plan);
  const rounds = await roundsRepository.forMunicipality(trx, code);
  for (const r of rounds.filter((x) => x.state === 'planned'))
    await roundsRepository.replan(
      trx,
      r.id,
      plan.goLive ? plannedDates(plan.goLive, r.roundNo, deps.windowDays) : null,
    );
  if (plan.goLive) await ensureRounds(deps, trx);
  await audit(trx, {
    actorUserId,
    action: 'municipality.plan',
    subject: `kommune:${code}`,
    details: plan,
    at: deps.clock.now(),
  });
}

/** A municipality and its rounds, for KOMBIT's page about it. */
async function municipalityPlan(
  deps: RoundsDeps,
  code: number,
): Promise<{ municipality: Municipality; rounds: Round[] }> {
  const municipality = await municipalitiesRepository.byCode(deps.db, code);
  if (!municipality) throw new NotFound('Kommunen findes ikke.');
  return { municipality, rounds: await roundsRepository.forMunicipality(deps.db, code) };
}

/** Rounds: planned → open → closed, driven by an idempotent tick that is safe with several instances. */
export function createRoundsService(deps: RoundsDeps) {
  const { db } = deps;
  return {
    /** One scheduler step; running it twice, or on two instances at once, changes nothing more. */
    tick: () => tick(deps),
    /** KOMBIT opens a planned round now. */
    openNow: (roundId: number, actorUserId: number) => openNow(deps, roundId, actorUserId),
    /** Participants of an open round who have no invitation yet (added after it opened). */
    notInvited: (trx: DbOrTrx, round: Round) => notInvited(deps, trx, round),
    /** The project leader invites everyone added since the round opened; returns how many. */
    inviteNew: (code: number, roundId: number, actorUserId: number) =>
      inviteNew(deps, code, roundId, actorUserId),
    /** KOMBIT closes an open round now. */
    closeNow: (roundId: number, actorUserId: number) => closeNow(deps, roundId, actorUserId),
    /** KOMBIT extends an open round to a later closing date. */
    extend: (roundId: number, closesOn: string, actorUserId: number) =>
      extend(deps, roundId, closesOn, actorUserId),
    /** KOMBIT sets wave and go-live; rounds not yet opened move with it, open and closed ones stay. */
    setPlan: (code: number, plan: Plan, actorUserId: number | null) =>
      db.transaction((trx) => applyPlan(deps, trx, code, plan, actorUserId)),
    /** Several municipalities' plans at once (CSV import): all or nothing. */
    importPlans: (rows: Array<{ code: number } & Plan>, actorUserId: number) =>
      db.transaction(async (trx) => {
        for (const r of rows)
          await applyPlan(deps, trx, r.code, { wave: r.wave, goLive: r.goLive }, actorUserId);
      }),
    /** A municipality's rounds in order. */
    roundsOf: (code: number) => roundsRepository.forMunicipality(db, code),
    /** One round; NotFound when there is none. */
    round: (roundId: number) => roundOrNotFound(db, roundId),
    /** A municipality and its rounds; NotFound when there is none. */
    municipalityPlan: (code: number) => municipalityPlan(deps, code),
    /** The codes of every municipality (to check a plan import against). */
    municipalityCodes: async () => new Set((await municipalitiesRepository.list(db)).map((m) => m.code)),
  };
}
export type RoundsService = ReturnType<typeof createRoundsService>;
