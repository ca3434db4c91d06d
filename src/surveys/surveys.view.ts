import { csvUpload } from '../web/upload.js';
import { formatDanishDate, formatPercent } from '../web/format.js';
import { ELEMENTS, ELEMENT_LABELS, SURVEY_GROUPS, SURVEY_GROUP_LABELS } from './groups.js';
import { BARRIER_ADVICE, STATUS_LABELS, formatScore } from './scoring.js';
import { ROUND_LABELS, ROUND_SHORT, STATE_LABELS } from './round-calendar.js';

/** CSV uploads (waves): in memory, one file of at most 2 MB. */
export const upload = csvUpload;

/** Labels and formatters every survey view uses. */
export const view = {
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  ELEMENTS,
  ELEMENT_LABELS,
  STATUS_LABELS,
  BARRIER_ADVICE,
  ROUND_LABELS,
  ROUND_SHORT,
  STATE_LABELS,
  formatScore,
  formatPercent,
  formatDanishDate,
};
