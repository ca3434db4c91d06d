import multer from 'multer';
import { formatDanishDate, formatPercent } from '../web/format.js';
import { ELEMENTS, ELEMENT_LABELS, SURVEY_GROUPS, SURVEY_GROUP_LABELS } from './groups.js';
import { BARRIER_ADVICE, STATUS_LABELS, formatScore } from './scoring.js';
import { ROUND_LABELS, ROUND_SHORT, STATE_LABELS } from './rounds.service.js';

/** CSV uploads (participants, waves): in memory, one file of at most 2 MB. */
export const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: 2 * 1024 * 1024, files: 1 },
});

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
