import { formatDanishDate, formatDanishDateTime, formatNumber } from '../web/format.js';
import type { MailKind, OutboxStatus } from './outbox.repository.js';

/** Each outbox state in Danish, for the mail log and the development mailbox. */
export const MAIL_STATUS_LABELS: Record<OutboxStatus, string> = {
  held: 'Holdt tilbage (ingen SMTP)',
  pending: 'Venter',
  sending: 'Sendes',
  sent: 'Sendt',
  failed: 'Mislykket',
};

/** Each kind of mail in Danish. */
export const MAIL_KIND_LABELS: Record<MailKind, string> = {
  invitation: 'Invitation',
  reminder: 'Påmindelse',
  results: 'Kommunens resultater',
  'kombit-results': 'Samlet resultat til KOMBIT',
  'test-passed': 'Bestået test',
};

/** What every mail page's template shows a message with: the labels and the Danish formats. */
export const MAIL_VIEW = {
  MAIL_STATUS_LABELS,
  MAIL_KIND_LABELS,
  formatDanishDate,
  formatDanishDateTime,
  formatNumber,
};
