import { buildQuietRounds } from '../../src/container.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { plannedDates } from '../../src/surveys/rounds.service.js';
import { addMonths } from '../../src/shared/clock.js';

let t: TestApp;
const clock = new FixedClock(new Date('2026-11-27T08:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => t.close());

const roundsOf = (code: number) =>
  t.db('survey_rounds').where({ municipality_code: code }).orderBy('round_no');

describe('round schedule', () => {
  it('when go-live is 1 June 2027, then 1/3 opens 1 Dec 2026, 2/3 on 1 July 2027, 3/3 on 1 Dec 2027, each for 21 days', () => {
    expect(plannedDates('2027-06-01', 1, 21)).toEqual({ opensOn: '2026-12-01', closesOn: '2026-12-22' });
    expect(plannedDates('2027-06-01', 2, 21)).toEqual({ opensOn: '2027-07-01', closesOn: '2027-07-22' });
    expect(plannedDates('2027-06-01', 3, 21)).toEqual({ opensOn: '2027-12-01', closesOn: '2027-12-22' });
    expect(addMonths('2026-08-31', 1)).toBe('2026-09-30');
  });

  it('when the clock passes the dates, then rounds go planned → open → closed with reminders at 7 and 14 days, once each', async () => {
    clock.set(new Date('2026-11-27T08:00:00Z'));
    const s = t.deps.surveys;
    await s.rounds.setPlan(751, { wave: 4, goLive: '2027-06-01' }, null);
    expect((await s.rounds.tick()).filter((e) => e.municipalityCode === 751)).toEqual([]);
    expect((await roundsOf(751)).map((r) => r.state)).toEqual(['planned', 'planned', 'planned']);
    clock.set(new Date('2026-12-01T06:00:00Z'));
    const opened = (await s.rounds.tick()).filter((e) => e.municipalityCode === 751);
    expect(opened.map((e) => e.type)).toEqual(['opened']);
    expect((await roundsOf(751))[0]).toMatchObject({ state: 'open', instrument_version: 1 });
    expect(await s.rounds.tick()).toEqual([]);
    clock.set(new Date('2026-12-08T06:00:00Z'));
    expect((await s.rounds.tick()).map((e) => [e.type, e.reminderNo])).toEqual([['reminder', 1]]);
    expect(await s.rounds.tick()).toEqual([]);
    clock.set(new Date('2026-12-15T06:00:00Z'));
    expect((await s.rounds.tick()).map((e) => [e.type, e.reminderNo])).toEqual([['reminder', 2]]);
    clock.set(new Date('2026-12-22T06:00:00Z'));
    expect((await s.rounds.tick()).map((e) => e.type)).toEqual(['closed']);
    expect((await roundsOf(751)).map((r) => r.state)).toEqual(['closed', 'planned', 'planned']);
    expect(await s.rounds.tick()).toEqual([]);
  });

  it('when two instances tick at the same moment, then each change happens once', async () => {
    clock.set(new Date('2026-11-27T08:00:00Z'));
    const a = t.deps.surveys;
    const b = { rounds: buildQuietRounds(t.deps) };
    await a.rounds.setPlan(461, { wave: 5, goLive: '2027-05-27' }, null);
    const [ea, eb] = await Promise.all([a.rounds.tick(), b.rounds.tick()]);
    const forOdense = [...ea, ...eb].filter((e) => e.municipalityCode === 461);
    expect(forOdense.map((e) => e.type)).toEqual(['opened']);
    expect((await roundsOf(461)).length).toBe(3);
  });

  it('when go-live or wave changes, then only unopened rounds move', async () => {
    clock.set(new Date('2026-11-27T08:00:00Z'));
    const s = t.deps.surveys;
    await s.rounds.setPlan(101, { wave: 3, goLive: '2027-05-20' }, null);
    await s.rounds.tick();
    const before = await roundsOf(101);
    expect(before[0].state).toBe('open');
    await s.rounds.setPlan(101, { wave: 6, goLive: '2027-09-01' }, null);
    const after = await roundsOf(101);
    expect(after[0]).toMatchObject({
      state: 'open',
      opens_on: before[0].opens_on,
      closes_on: before[0].closes_on,
    });
    expect(after[1]).toMatchObject({ state: 'planned', opens_on: '2027-10-01' });
    expect(after[2]).toMatchObject({ state: 'planned', opens_on: '2028-03-01' });
    expect((await t.db('municipalities').where({ code: 101 }).first()).wave).toBe(6);
  });

  it('when KOMBIT opens, extends and closes a round by hand, then the state follows and wrong moves are refused', async () => {
    clock.set(new Date('2026-11-27T08:00:00Z'));
    const s = t.deps.surveys;
    await s.rounds.setPlan(147, { wave: 7, goLive: '2027-12-01' }, null);
    const [r1] = await roundsOf(147);
    await s.rounds.openNow(r1.id, 1);
    expect((await roundsOf(147))[0]).toMatchObject({
      state: 'open',
      opens_on: '2026-11-27',
      closes_on: '2026-12-18',
      manual: expect.anything(),
    });
    await expect(s.rounds.openNow(r1.id, 1)).rejects.toThrow('allerede åbnet');
    await expect(s.rounds.extend(r1.id, '2026-12-01', 1)).rejects.toThrow('efter den nuværende');
    await s.rounds.extend(r1.id, '2027-01-10', 1);
    expect((await roundsOf(147))[0].closes_on).toBe('2027-01-10');
    await s.rounds.closeNow(r1.id, 1);
    expect((await roundsOf(147))[0].state).toBe('closed');
    await expect(s.rounds.closeNow(r1.id, 1)).rejects.toThrow('Kun en åben runde');
    const audit = await t
      .db('audit_log')
      .whereIn('action', ['round.open', 'round.extend', 'round.close'])
      .orderBy('id')
      .pluck('action');
    expect(audit).toEqual(['round.open', 'round.extend', 'round.close']);
  });
});
