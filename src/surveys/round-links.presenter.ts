import { stringify } from 'csv-stringify/sync';
import type { IssuedLink } from '../links/index.js';
import { SURVEY_GROUP_LABELS } from './groups.js';
import { ROUND_SHORT } from './round-calendar.js';

/** A round's new personal links as a CSV for Danish Excel (BOM, `;`, CRLF), with its file name. */
export function roundLinksCsv(
  roundNo: number,
  links: readonly IssuedLink[],
): { filename: string; csv: string } {
  const lines = links.map((l) => [l.name, l.email, SURVEY_GROUP_LABELS[l.surveyGroup], l.url]);
  const csv =
    '\uFEFF' +
    stringify([['navn', 'email', 'gruppe', 'link'], ...lines], { delimiter: ';', record_delimiter: '\r\n' });
  const label = ROUND_SHORT[roundNo as 1 | 2 | 3].replace('/', '-af-');
  return { filename: `links-runde-${label}.csv`, csv };
}
