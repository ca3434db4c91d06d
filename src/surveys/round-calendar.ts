import { addDays, addMonths } from '../shared/clock.js';

/** The three rounds of a municipality. */
export const ROUND_NUMBERS = [1, 2, 3] as const;
/** Months from go-live to each round's opening (handbook §11.3, §14.1, §15.2). */
export const ROUND_OFFSET_MONTHS: Record<1 | 2 | 3, number> = { 1: -6, 2: 1, 3: 6 };
/** The Danish name of each round. */
export const ROUND_LABELS: Record<1 | 2 | 3, string> = {
  1: '1/3 – indledende parathedsundersøgelse',
  2: '2/3 – statusundersøgelse',
  3: '3/3 – statusundersøgelse',
};
/** The short Danish name of each round ("1/3"). */
export const ROUND_SHORT: Record<1 | 2 | 3, string> = { 1: '1/3', 2: '2/3', 3: '3/3' };
/** The Danish name of each round state. */
export const STATE_LABELS = { planned: 'Ikke åbnet endnu', open: 'Åben', closed: 'Lukket' } as const;
/** Days after opening on which a reminder goes to those who have not answered. */
export const REMINDER_DAYS = [7, 14] as const;

/** A round's change of state, told to the subscribers (mail) inside the transaction that made it. */
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
