import type { DbOrTrx } from '../db/knex.js';
import type { Config } from '../config.js';
import { isoDay, type Clock } from '../shared/clock.js';
import { formatDanishDate } from '../web/format.js';
import type { LinkService } from '../links/index.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/index.js';
import { uniqueAddresses, type MailService, renderMail } from '../mail/index.js';
import { ROUND_LABELS, ROUND_SHORT, type RoundEvent } from './round-calendar.js';
import { roundsRepository, type Round } from './rounds.repository.js';
import { responsesRepository } from './responses.repository.js';
import { participantsRepository } from '../participants/index.js';
import { templateHelpers } from './results.presenter.js';

/** The outbox key of every invitation to a round starts with this, followed by the participant's id. */
export const invitationKeyPrefix = (roundId: number): string => `invitation:round:${roundId}:participant:`;

type Deps = {
  config: Pick<Config, 'publicUrl'>;
  clock: Clock;
  k: number;
  mail: MailService;
  links: LinkService;
};

type Kind = 'invitation' | 'reminder';
type Recipient = { id: number; name: string; email: string };

/** Issues the person's link and writes their mail to the outbox, unless a mail with the key is there already. */
async function mailOne(
  deps: Deps,
  trx: DbOrTrx,
  send: { round: Round; m: Municipality; type: Kind; reminderNo: number; expiresAt: Date },
  p: Recipient,
): Promise<void> {
  const { round, m, type, reminderNo } = send;
  const key =
    type === 'invitation'
      ? `${invitationKeyPrefix(round.id)}${p.id}`
      : `reminder:round:${round.id}:${reminderNo}:participant:${p.id}`;
  if (await deps.mail.enqueueExists(trx, key)) return;
  const link = await deps.links.issue(trx, {
    purpose: 'survey',
    municipalityCode: m.code,
    participantId: p.id,
    roundId: round.id,
    expiresAt: send.expiresAt,
  });
  const { html, text } = await renderMail(type, {
    ...templateHelpers,
    name: p.name,
    municipality: m,
    roundLabel: ROUND_LABELS[round.roundNo],
    closesOn: formatDanishDate(round.closesOn),
    url: link.url,
    reminderNo,
    k: deps.k,
  });
  const label = ROUND_SHORT[round.roundNo];
  await deps.mail.enqueue(trx, {
    idempotencyKey: key,
    kind: type,
    municipalityCode: m.code,
    to: uniqueAddresses([p.email]),
    subject:
      type === 'invitation'
        ? `Invitation: Spørgeskema om parathed til KSD (${label})`
        : `Påmindelse: Spørgeskema om parathed til KSD (${label})`,
    html,
    text,
    containsLink: true,
  });
}

/** Invitations to everyone on the list, or reminders to those who have not answered. */
async function personalMail(
  deps: Deps,
  trx: DbOrTrx,
  round: Round,
  m: Municipality,
  type: Kind,
  reminderNo: number,
) {
  // A reminder goes to non-respondents only: nobody whose participation in this round is submitted.
  const recipients =
    type === 'reminder'
      ? await responsesRepository.nonRespondents(trx, m.code, round.id)
      : await participantsRepository.contacts(trx, m.code);
  const expiresAt = deps.links.surveyLinkExpiry(round.closesOn, isoDay(deps.clock.now()));
  for (const p of recipients) await mailOne(deps, trx, { round, m, type, reminderNo, expiresAt }, p);
}

/** Invitations when a round opens and reminders to non-respondents, written to the outbox in the round's transaction. */
export function createRoundInvitations(deps: Deps): (trx: DbOrTrx, event: RoundEvent) => Promise<void> {
  return async (trx, event) => {
    if (event.type !== 'opened' && event.type !== 'reminder') return;
    const round = await roundsRepository.byId(trx, event.roundId);
    const m = await municipalitiesRepository.byCode(trx, event.municipalityCode);
    if (!round || !m) return;
    if (event.type === 'opened') await personalMail(deps, trx, round, m, 'invitation', 0);
    else await personalMail(deps, trx, round, m, 'reminder', event.reminderNo ?? round.remindersSent);
  };
}
