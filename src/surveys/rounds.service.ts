import type { Db, DbOrTrx } from '../db/knex.js';
import { addDays, addMonths, isoDay, type Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { Conflict, NotFound, ValidationError } from '../shared/errors.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';
import { roundsRepository, type Round } from './rounds.repository.js';

export const ROUND_NUMBERS = [1, 2, 3] as const;
/** Months from go-live to each round's opening (handbook §11.3, §14.1, §15.2). */
export const ROUND_OFFSET_MONTHS: Record<1 | 2 | 3, number> = { 1: -6, 2: 1, 3: 6 };
export const ROUND_LABELS: Record<1 | 2 | 3, string> = {
  1: '1/3 – indledende parathedsundersøgelse',
  2: '2/3 – statusundersøgelse',
  3: '3/3 – statusundersøgelse',
};
export const ROUND_SHORT: Record<1 | 2 | 3, string> = { 1: '1/3', 2: '2/3', 3: '3/3' };
export const STATE_LABELS = { planned: 'Ikke åbnet endnu', open: 'Åben', closed: 'Lukket' } as const;
export const REMINDER_DAYS = [7, 14] as const;

export type RoundEvent = {
  type: 'opened' | 'reminder' | 'closed';
  roundId: number;
  municipalityCode: number;
  roundNo: number;
  reminderNo?: number;
};

/** The dates a round is planned for, from its municipality's go-live. */
export function plannedDates(
  goLive: string,
  roundNo: 1 | 2 | 3,
  windowDays: number,
): { opensOn: string; closesOn: string } {
  const opensOn = addMonths(goLive, ROUND_OFFSET_MONTHS[roundNo]);
  return { opensOn, closesOn: addDays(opensOn, windowDays) };
}

type Deps = {
  db: Db;
  clock: Clock;
  windowDays: number;
  instrumentVersion: number;
  /** Called inside the tick's transaction for each state change, so mail goes out with it. */
  onEvent?: (trx: DbOrTrx, event: RoundEvent) => Promise<void>;
};

/** Rounds: planned → open → closed, driven by an idempotent tick that is safe with several instances. */
export function createRoundsService(deps: Deps) {
  const { db, clock, windowDays } = deps;
  const emit = async (trx: DbOrTrx, e: RoundEvent) => deps.onEvent?.(trx, e);

  async function ensureRounds(trx: DbOrTrx): Promise<void> {
    const municipalities = (await municipalitiesRepository.list(trx)).filter((m) => m.goLive);
    const existing = new Set(
      (await trx('survey_rounds').select('municipality_code', 'round_no')).map(
        (r) => `${r.municipality_code}:${r.round_no}`,
      ),
    );
    const rows = municipalities.flatMap((m) =>
      ROUND_NUMBERS.filter((n) => !existing.has(`${m.code}:${n}`)).map((n) => {
        const d = plannedDates(m.goLive!, n, windowDays);
        return { municipality_code: m.code, round_no: n, opens_on: d.opensOn, closes_on: d.closesOn };
      }),
    );
    await roundsRepository.insertMissing(trx, rows);
  }

  return {
    /** One scheduler step; running it twice, or on two instances at once, changes nothing more. */
    async tick(): Promise<RoundEvent[]> {
      const now = clock.now();
      const today = isoDay(now);
      return db.transaction(async (trx) => {
        const events: RoundEvent[] = [];
        await ensureRounds(trx);
        const due = await trx('survey_rounds')
          .where({ state: 'planned' })
          .andWhere('opens_on', '<=', today)
          .select('id', 'municipality_code', 'round_no');
        for (const r of due) {
          const n = await trx('survey_rounds')
            .where({ id: r.id, state: 'planned' })
            .update({ state: 'open', opened_at: now, instrument_version: deps.instrumentVersion });
          if (n)
            events.push({
              type: 'opened',
              roundId: Number(r.id),
              municipalityCode: Number(r.municipality_code),
              roundNo: Number(r.round_no),
            });
        }
        const open = await trx('survey_rounds')
          .where({ state: 'open' })
          .select('id', 'municipality_code', 'round_no', 'opens_on', 'closes_on', 'reminders_sent');
        for (const r of open) {
          if (r.closes_on <= today) {
            const n = await trx('survey_rounds')
              .where({ id: r.id, state: 'open' })
              .update({ state: 'closed', closed_at: now });
            if (n)
              events.push({
                type: 'closed',
                roundId: Number(r.id),
                municipalityCode: Number(r.municipality_code),
                roundNo: Number(r.round_no),
              });
            continue;
          }
          const sent = Number(r.reminders_sent);
          const dueReminder = REMINDER_DAYS.filter((d) => addDays(r.opens_on, d) <= today).length;
          if (dueReminder > sent) {
            const n = await trx('survey_rounds')
              .where({ id: r.id, state: 'open', reminders_sent: sent })
              .update({ reminders_sent: sent + 1 });
            if (n)
              events.push({
                type: 'reminder',
                roundId: Number(r.id),
                municipalityCode: Number(r.municipality_code),
                roundNo: Number(r.round_no),
                reminderNo: sent + 1,
              });
          }
        }
        for (const e of events) await emit(trx, e);
        return events;
      });
    },

    /** KOMBIT opens a planned round now. */
    async openNow(roundId: number, actorUserId: number): Promise<void> {
      const now = clock.now();
      const today = isoDay(now);
      await db.transaction(async (trx) => {
        const round = await roundsRepository.byId(trx, roundId);
        if (!round) throw new NotFound('Runden findes ikke.');
        if (round.state !== 'planned') throw new Conflict('Runden er allerede åbnet.');
        // Opened by hand: the usual window counts from today.
        const closesOn = addDays(today, windowDays);
        const n = await trx('survey_rounds').where({ id: roundId, state: 'planned' }).update({
          state: 'open',
          opened_at: now,
          opens_on: today,
          closes_on: closesOn,
          instrument_version: deps.instrumentVersion,
          manual: true,
        });
        if (!n) throw new Conflict('Runden er allerede åbnet.');
        await audit(trx, { actorUserId, action: 'round.open', subject: `runde:${roundId}`, at: now });
        await emit(trx, {
          type: 'opened',
          roundId,
          municipalityCode: round.municipalityCode,
          roundNo: round.roundNo,
        });
      });
    },

    /** Participants of an open round who have no invitation yet (added after it opened). */
    async notInvited(trx: DbOrTrx, round: Round): Promise<number[]> {
      const prefix = `invitation:round:${round.id}:participant:`;
      const invited = new Set(
        (
          (await trx('outbox')
            .where('idempotency_key', 'like', `${prefix}%`)
            .pluck('idempotency_key')) as string[]
        ).map((k) => Number(k.slice(prefix.length))),
      );
      const ids = (
        await trx('participants')
          .where({ municipality_code: round.municipalityCode })
          .orderBy('id')
          .pluck('id')
      ).map(Number);
      return ids.filter((id) => !invited.has(id));
    },

    /**
     * The project leader invites everyone added since the round opened. Invitations are keyed per participant and
     * round, so the opening's mail hook run again writes one only for those who have none; returns how many.
     */
    async inviteNew(code: number, roundId: number, actorUserId: number): Promise<number> {
      return db.transaction(async (trx) => {
        const round = await roundsRepository.byId(trx, roundId);
        if (!round || round.municipalityCode !== code) throw new NotFound('Runden findes ikke.');
        if (round.state !== 'open')
          throw new Conflict('Der kan kun sendes invitationer, mens runden er åben.');
        const pending = await this.notInvited(trx, round);
        if (!pending.length) return 0;
        await emit(trx, { type: 'opened', roundId, municipalityCode: code, roundNo: round.roundNo });
        const sent = pending.length - (await this.notInvited(trx, round)).length;
        await audit(trx, {
          actorUserId,
          action: 'round.invite',
          subject: `runde:${roundId}`,
          details: { count: sent },
          at: clock.now(),
        });
        return sent;
      });
    },

    /** KOMBIT closes an open round now. */
    async closeNow(roundId: number, actorUserId: number): Promise<void> {
      const now = clock.now();
      await db.transaction(async (trx) => {
        const round = await roundsRepository.byId(trx, roundId);
        if (!round) throw new NotFound('Runden findes ikke.');
        const n = await trx('survey_rounds')
          .where({ id: roundId, state: 'open' })
          .update({ state: 'closed', closed_at: now, closes_on: isoDay(now), manual: true });
        if (!n) throw new Conflict('Kun en åben runde kan lukkes.');
        await audit(trx, { actorUserId, action: 'round.close', subject: `runde:${roundId}`, at: now });
        await emit(trx, {
          type: 'closed',
          roundId,
          municipalityCode: round.municipalityCode,
          roundNo: round.roundNo,
        });
      });
    },

    /** KOMBIT extends an open round to a later closing date. */
    async extend(roundId: number, closesOn: string, actorUserId: number): Promise<void> {
      const now = clock.now();
      if (closesOn <= isoDay(now))
        throw new ValidationError('Den nye slutdato skal ligge efter i dag.', {
          closesOn: 'Vælg en dato efter i dag',
        });
      await db.transaction(async (trx) => {
        const round = await roundsRepository.byId(trx, roundId);
        if (!round) throw new NotFound('Runden findes ikke.');
        if (closesOn <= round.closesOn)
          throw new ValidationError('Den nye slutdato skal ligge efter den nuværende.', {
            closesOn: 'Vælg en senere dato',
          });
        const n = await trx('survey_rounds')
          .where({ id: roundId, state: 'open' })
          .update({ closes_on: closesOn, manual: true });
        if (!n) throw new Conflict('Kun en åben runde kan forlænges.');
        await audit(trx, {
          actorUserId,
          action: 'round.extend',
          subject: `runde:${roundId}`,
          details: { closesOn },
          at: now,
        });
      });
    },

    /** KOMBIT sets wave and go-live; rounds not yet opened move with it, open and closed ones stay. */
    async setPlan(
      code: number,
      plan: { wave: number | null; goLive: string | null },
      actorUserId: number | null,
    ): Promise<void> {
      await db.transaction((trx) => applyPlan(trx, code, plan, actorUserId));
    },

    /** Several municipalities' plans at once (CSV import): all or nothing. */
    async importPlans(
      rows: Array<{ code: number; wave: number | null; goLive: string | null }>,
      actorUserId: number,
    ): Promise<void> {
      await db.transaction(async (trx) => {
        for (const r of rows) await applyPlan(trx, r.code, { wave: r.wave, goLive: r.goLive }, actorUserId);
      });
    },

    async roundsOf(code: number): Promise<Round[]> {
      return roundsRepository.forMunicipality(db, code);
    },
  };

  async function applyPlan(
    trx: DbOrTrx,
    code: number,
    plan: { wave: number | null; goLive: string | null },
    actorUserId: number | null,
  ): Promise<void> {
    const now = clock.now();
    const m = await municipalitiesRepository.byCode(trx, code);
    if (!m) throw new NotFound('Kommunen findes ikke.');
    await municipalitiesRepository.setPlan(trx, code, plan);
    const rounds = await roundsRepository.forMunicipality(trx, code);
    for (const r of rounds.filter((x) => x.state === 'planned')) {
      if (!plan.goLive) {
        await trx('survey_rounds').where({ id: r.id, state: 'planned' }).delete();
        continue;
      }
      const d = plannedDates(plan.goLive, r.roundNo, windowDays);
      await trx('survey_rounds')
        .where({ id: r.id, state: 'planned' })
        .update({ opens_on: d.opensOn, closes_on: d.closesOn });
    }
    if (plan.goLive) await ensureRounds(trx);
    await audit(trx, {
      actorUserId,
      action: 'municipality.plan',
      subject: `kommune:${code}`,
      details: plan,
      at: now,
    });
  }
}
export type RoundsService = ReturnType<typeof createRoundsService>;
