import { roundHalfAway } from '../shared/numbers.js';

/**
 * Danish formatting for pages, mails and exports, in one place. Dates and times are always shown as they
 * fall in Copenhagen, whatever the server's own time zone is.
 */

const TIME_ZONE = 'Europe/Copenhagen';

// One formatter each for the process: toLocaleString and friends would build a new one on every call.
const dateFormat = new Intl.DateTimeFormat('da-DK', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: TIME_ZONE,
});
const dateTimeFormat = new Intl.DateTimeFormat('da-DK', {
  dateStyle: 'long',
  timeStyle: 'short',
  timeZone: TIME_ZONE,
});
const numberFormats = new Map<number, Intl.NumberFormat>();

/** Formatted YYYY-MM-DD days; pages repeat the same few round dates on every view. */
const formattedDays = new Map<string, string>();

/**
 * Danish date, e.g. "15. august 2027"; '–' when there is none. A YYYY-MM-DD string is that calendar day;
 * a string that is not a date is returned as it is.
 */
export function formatDanishDate(day: string | Date | null | undefined): string {
  if (!day) return '–';
  if (typeof day !== 'string') return Number.isNaN(day.getTime()) ? '–' : dateFormat.format(day);
  const key = day.slice(0, 10);
  let text = formattedDays.get(key);
  if (text === undefined) {
    // Noon UTC is the same calendar day in Copenhagen, summer and winter.
    const noon = new Date(`${key}T12:00:00Z`);
    if (Number.isNaN(noon.getTime())) return day;
    text = dateFormat.format(noon);
    if (formattedDays.size < 10_000) formattedDays.set(key, text);
  }
  return text;
}

/** Danish date and time in Copenhagen, e.g. "15. august 2027 kl. 14.30"; '–' when there is none. */
export function formatDanishDateTime(at: Date | null | undefined): string {
  return at && !Number.isNaN(at.getTime()) ? dateTimeFormat.format(at) : '–';
}

/**
 * Exactly `digits` decimals with a decimal comma and no thousands separator (so it also fits a CSV cell),
 * rounded half away from zero: formatDecimal(3.05, 1) is "3,1".
 */
export function formatDecimal(x: number, digits: number): string {
  return roundHalfAway(x, digits).toFixed(digits).replace('.', ',');
}

/** A Danish number with up to `maxDigits` decimals and thousands separators, e.g. "1.234" or "2,5"; '–' for none. */
export function formatNumber(x: number | null | undefined, maxDigits = 0): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  let format = numberFormats.get(maxDigits);
  if (!format) {
    format = new Intl.NumberFormat('da-DK', { maximumFractionDigits: maxDigits });
    numberFormats.set(maxDigits, format);
  }
  return format.format(x);
}

/** Danish whole percent of a rate in [0, 1], e.g. '46 %'; '–' when there is no rate. */
export function formatPercent(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return '–';
  return `${formatDecimal(rate * 100, 0)} %`;
}
