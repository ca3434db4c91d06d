import {
  ELEMENTS,
  ELEMENT_LABELS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  BARRIER_ADVICE,
  STATUS_LABELS,
  formatScore,
  ROUND_LABELS,
  ROUND_SHORT,
  STATE_LABELS,
} from '../surveys/index.js';
import { formatDecimal, formatNumber, formatPercent } from '../web/format.js';
import {
  ROUND_RATE_AMBER,
  ROUND_RATE_GREEN,
  TRAINED_GREEN,
  type CheckpointFact,
  type CheckpointStatus,
} from './dashboard.service.js';

/** A checkpoint as the dashboard shows it: what is checked, its light, and why. */
export type Checkpoint = { label: string; status: CheckpointStatus; why: string };

/** The checkpoints' traffic light in words. */
export const CHECKPOINT_STATUS_LABELS: Record<CheckpointStatus, string> = {
  green: 'Grøn',
  amber: 'Gul',
  red: 'Rød',
  none: 'Ikke aktuel endnu',
};

/** The labels and formatters the dashboard views use. */
export const dashboardLabels = {
  ELEMENTS,
  ELEMENT_LABELS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  STATUS_LABELS,
  BARRIER_ADVICE,
  ROUND_LABELS,
  ROUND_SHORT,
  STATE_LABELS,
  CHECKPOINT_STATUS_LABELS,
  formatScore,
  formatPercent,
  formatDecimal,
  formatNumber,
};

const percent = (rate: number) => `${Math.round(rate * 100)} %`;

/** One checkpoint in Danish. */
export function presentCheckpoint(c: CheckpointFact): Checkpoint {
  switch (c.kind) {
    case 'round': {
      const label = `Spørgeskema ${ROUND_SHORT[c.round.roundNo]} vedr. parathed er besvaret`;
      const pct = c.rate === null ? '–' : percent(c.rate);
      if (c.round.state === 'planned')
        return { label, status: c.status, why: `Runden åbner ${c.round.opensOn}.` };
      if (c.round.state === 'open')
        return {
          label,
          status: c.status,
          why: `Runden er åben til ${c.round.closesOn}; svarprocent indtil nu ${pct}.`,
        };
      return {
        label,
        status: c.status,
        why: `Runden er lukket med svarprocent ${pct} (grøn fra ${percent(ROUND_RATE_GREEN)}, gul fra ${percent(ROUND_RATE_AMBER)}).`,
      };
    }
    case 'barriers':
      return {
        label: 'Indsatsområder fra parathedsundersøgelsen er adresseret',
        status: c.status,
        why: c.barrier
          ? `Seneste runde (${ROUND_SHORT[c.round.roundNo]}) har barrierepunkt i ${ELEMENT_LABELS[c.barrier]}.`
          : 'Ingen elementer på 3,0 eller derunder i seneste runde.',
      };
    case 'superusers':
      return {
        label: 'Superbrugere er uddannet',
        status: c.status,
        why:
          c.rate === null
            ? 'Der er ingen superbrugere på deltagerlisten eller i e-læringen endnu.'
            : `${percent(c.rate)} af alle tilmeldte superbrugere har bestået testen (grøn fra ${percent(TRAINED_GREEN)}).`,
      };
    case 'users':
      return {
        label: 'Brugerne af KSD i og udenfor ydelsescentret har modtaget undervisning',
        status: c.status,
        why:
          c.rate === null
            ? 'Der er ingen brugere på deltagerlisten eller i e-læringen endnu.'
            : `${percent(c.rate)} af alle tilmeldte brugere har bestået den afsluttende test (grøn fra ${percent(TRAINED_GREEN)}).`,
      };
  }
}

/** A municipality's dashboard data with its checkpoints in words. */
export function presentMunicipality<T extends { checkpoints: CheckpointFact[] }>(
  data: T,
): Omit<T, 'checkpoints'> & { checkpoints: Checkpoint[] } {
  return { ...data, checkpoints: data.checkpoints.map(presentCheckpoint) };
}
