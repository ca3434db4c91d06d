import type { DbOrTrx } from '../db/knex.js';
import type { Config } from '../config.js';
import { addDays, isoDay, type Clock } from '../shared/clock.js';
import { formatDanishDate } from '../web/format.js';
import type { LinkService } from '../links/links.service.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/municipalities.repository.js';
import { uniqueAddresses, type MailService } from '../mail/mail.service.js';
import { renderMail } from '../mail/templates.js';
import { ROUND_LABELS, ROUND_SHORT, type RoundEvent } from './rounds.service.js';
import { roundsRepository, type Round } from './rounds.repository.js';
import { templateHelpers } from './results.presenter.js';

type Deps = {
  config: Pick<Config, 'publicUrl'>;
  clock: Clock;
  k: number;
  mail: MailService;
  links: LinkService;
};

/** Invitations when a round opens and reminders to non-respondents, written to the outbox in the round's transaction. */
export function createRoundInvitations(deps: Deps): (trx: DbOrTrx, event: RoundEvent) => Promise<void> {
  const { clock, k, mail, links } = deps;

  async function personalMail(
    trx: DbOrTrx,
    round: Round,
    m: Municipality,
    type: 'invitation' | 'reminder',
    reminderNo: number,
  ) {
    let q = trx('participants as p').where('p.municipality_code', m.code);
    if (type === 'reminder') {
      // Non-respondents only: nobody whose participation in this round is submitted.
      q = q.whereNotExists(function () {
        void this.from('survey_participation as sp')
          .whereRaw('sp.participant_id = p.id')
          .andWhere('sp.round_id', round.id)
          .andWhere('sp.submitted', true);
      });
    }
    const participants = (await q.orderBy('p.id').select('p.id', 'p.name', 'p.email')) as Array<{
      id: number;
      name: string;
      email: string;
    }>;
    const today = isoDay(clock.now());
    const expiresAt = links.surveyLinkExpiry(round.closesOn, today);
    for (const p of participants) {
      const key =
        type === 'invitation'
          ? `invitation:round:${round.id}:participant:${p.id}`
          : `reminder:round:${round.id}:${reminderNo}:participant:${p.id}`;
      if (await mail.enqueueExists(trx, key)) continue;
      const link = await links.issue(trx, {
        purpose: 'survey',
        municipalityCode: m.code,
        participantId: Number(p.id),
        roundId: round.id,
        expiresAt,
      });
      const { html, text } = await renderMail(type, {
        ...templateHelpers,
        name: p.name,
        municipality: m,
        roundLabel: ROUND_LABELS[round.roundNo],
        closesOn: formatDanishDate(round.closesOn),
        url: link.url,
        reminderNo,
        k,
      });
      const label = ROUND_SHORT[round.roundNo];
      await mail.enqueue(trx, {
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
  }

  return async (trx, event) => {
    if (event.type !== 'opened' && event.type !== 'reminder') return;
    const round = await roundsRepository.byId(trx, event.roundId);
    const m = await municipalitiesRepository.byCode(trx, event.municipalityCode);
    if (!round || !m) return;
    if (event.type === 'opened') await personalMail(trx, round, m, 'invitation', 0);
    else await personalMail(trx, round, m, 'reminder', event.reminderNo ?? round.remindersSent);
  };
}
