import type { AppDeps } from '../app.js';
import type { DbOrTrx } from '../db/knex.js';
import { addDays, formatDanishDate, isoDay } from '../shared/clock.js';
import { createLinkService } from '../links/links.service.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/municipalities.repository.js';
import { effectiveK } from '../surveys/anonymity.js';
import { ROUND_LABELS, ROUND_SHORT, type RoundEvent } from '../surveys/rounds.service.js';
import { roundsRepository, type Round } from '../surveys/rounds.repository.js';
import { createResultsService } from '../surveys/results.service.js';
import { readinessCsvBuffer, readinessXlsxBuffer } from '../reporting/readiness.export.js';
import { createMailService, uniqueAddresses } from './mail.service.js';
import {
  combinedTable,
  municipalityLine,
  municipalityResultsView,
  templateHelpers,
} from './mail.presenter.js';
import { renderMail } from './templates.js';
import { createAggregateStore } from '../surveys/aggregates.js';

type Deps = Pick<AppDeps, 'db' | 'clock' | 'config' | 'instruments'>;

/** Personal links in mail stay valid this many days after the round's planned close (as on the links page). */
const LINK_VALID_DAYS = 14;

/** The municipality's readers of results: project leaders, heads of the benefits centre, and its results address. */
export async function resultRecipients(trx: DbOrTrx, m: Municipality): Promise<string[]> {
  const emails = (await trx('users as u')
    .join('user_roles as r', 'r.user_id', 'u.id')
    .where('u.municipality_code', m.code)
    .whereIn('r.role', ['projektleder', 'leder-ydelsescenter'])
    .whereNotNull('u.email')
    .orderBy('u.id')
    .pluck('u.email')) as string[];
  return uniqueAddresses([...emails, m.resultsEmail]);
}

/** Turns round events into outbox messages, inside the transaction that caused them. */
export function createSurveyMailHook(deps: Deps): (trx: DbOrTrx, event: RoundEvent) => Promise<void> {
  const { config, clock, instruments } = deps;
  const mail = createMailService(deps);
  const links = createLinkService({ db: deps.db, clock, publicUrl: config.publicUrl });
  const k = effectiveK(config.kThreshold);
  // Reads inside the caller's transaction: SQLite has a single connection, and the close must be visible.
  const resultsIn = (trx: DbOrTrx) =>
    createResultsService({
      db: trx as AppDeps['db'],
      store: createAggregateStore({ db: trx as AppDeps['db'], instruments, k, clock }),
    });
  const exportDeps = (trx: DbOrTrx) => ({ db: trx as AppDeps['db'], instruments, config, clock });

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
    const expiresAt = new Date(
      `${addDays(round.closesOn > today ? round.closesOn : today, LINK_VALID_DAYS)}T00:00:00Z`,
    );
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

  async function municipalityResults(trx: DbOrTrx, round: Round, m: Municipality) {
    const key = `results:round:${round.id}`;
    if (await mail.enqueueExists(trx, key)) return;
    const to = await resultRecipients(trx, m);
    if (!to.length) return;
    const results = await resultsIn(trx).forRound(m.code, round.id);
    const url = `${config.publicUrl}/kommune/resultater/${round.id}`;
    const { html, text } = await renderMail('results', {
      ...templateHelpers,
      municipality: m,
      view: municipalityResultsView(results),
      url,
      roundLabel: ROUND_LABELS[round.roundNo],
    });
    const csv = await readinessCsvBuffer(exportDeps(trx), { municipalityCode: m.code });
    await mail.enqueue(trx, {
      idempotencyKey: key,
      kind: 'results',
      municipalityCode: m.code,
      to,
      subject: `Resultater: Parathedsundersøgelse ${ROUND_SHORT[round.roundNo]} – ${m.name} Kommune`,
      html,
      text,
      containsLink: false,
      attachments: [
        { filename: `parathed-kommune-${m.code}.csv`, contentType: 'text/csv; charset=utf-8', content: csv },
      ],
    });
  }

  async function kombitResults(trx: DbOrTrx, roundNo: 1 | 2 | 3, m: Municipality) {
    if (m.wave === null || !config.mail.kombitEmail) return;
    const key = `kombit-results:wave:${m.wave}:round:${roundNo}`;
    if (await mail.enqueueExists(trx, key)) return;
    const waveMembers = (await municipalitiesRepository.list(trx)).filter((x) => x.wave === m.wave);
    const allRounds = (await roundsRepository.all(trx)).filter((r) => r.roundNo === roundNo);
    const byCode = new Map(allRounds.map((r) => [r.municipalityCode, r]));
    // Every municipality of the wave must have this round closed (one without rounds is not done yet).
    if (!waveMembers.every((x) => byCode.get(x.code)?.state === 'closed')) return;
    const results = resultsIn(trx);
    const names = new Map((await municipalitiesRepository.list(trx)).map((x) => [x.code, x]));
    const closed = allRounds.filter((r) => r.state === 'closed');
    const perMunicipality = [];
    for (const r of closed) {
      const res = await results.forRound(r.municipalityCode, r.id);
      perMunicipality.push({ municipality: names.get(r.municipalityCode)!, results: res });
    }
    const inWave = perMunicipality.filter((x) => x.municipality.wave === m.wave);
    const { html, text } = await renderMail('kombit-results', {
      ...templateHelpers,
      wave: m.wave,
      k,
      roundLabel: ROUND_LABELS[roundNo],
      waveTable: combinedTable(inWave),
      nationalTable: combinedTable(perMunicipality),
      municipalities: inWave.map(municipalityLine),
      url: `${config.publicUrl}/national`,
    });
    const filter = { wave: m.wave, roundNo };
    const base = `parathed-bolge-${m.wave}-runde-${roundNo}`;
    await mail.enqueue(trx, {
      idempotencyKey: key,
      kind: 'kombit-results',
      to: uniqueAddresses([config.mail.kombitEmail]),
      subject: `Samlet resultat: Parathedsundersøgelse ${ROUND_SHORT[roundNo]} – bølge ${m.wave}`,
      html,
      text,
      containsLink: false,
      attachments: [
        {
          filename: `${base}.csv`,
          contentType: 'text/csv; charset=utf-8',
          content: await readinessCsvBuffer(exportDeps(trx), filter),
        },
        {
          filename: `${base}.xlsx`,
          contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
          content: await readinessXlsxBuffer(exportDeps(trx), filter),
        },
      ],
    });
  }

  return async (trx, event) => {
    const round = await roundsRepository.byId(trx, event.roundId);
    const m = await municipalitiesRepository.byCode(trx, event.municipalityCode);
    if (!round || !m) return;
    if (event.type === 'opened') await personalMail(trx, round, m, 'invitation', 0);
    else if (event.type === 'reminder')
      await personalMail(trx, round, m, 'reminder', event.reminderNo ?? round.remindersSent);
    else if (event.type === 'closed') {
      await municipalityResults(trx, round, m);
      await kombitResults(trx, round.roundNo, m);
    }
  };
}
