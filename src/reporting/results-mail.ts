import type { DbOrTrx } from '../db/knex.js';
import type { Config } from '../config.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/municipalities.repository.js';
import { uniqueAddresses, type MailService } from '../mail/mail.service.js';
import { renderMail } from '../mail/templates.js';
import { ROUND_LABELS, ROUND_SHORT, type RoundEvent } from '../surveys/rounds.service.js';
import { roundsRepository, type Round } from '../surveys/rounds.repository.js';
import type { ResultsService } from '../surveys/results.service.js';
import type { AggregateStore } from '../surveys/aggregates.js';
import {
  combinedTable,
  municipalityLine,
  municipalityResultsView,
  templateHelpers,
} from '../surveys/results.presenter.js';
import { readinessCsvBuffer, readinessXlsxBuffer } from './readiness.export.js';

type Deps = {
  config: Pick<Config, 'publicUrl' | 'mail'>;
  k: number;
  mail: MailService;
  results: ResultsService;
  aggregates: AggregateStore;
};

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

/** The results mails when a round closes: the municipality's readers, and KOMBIT once a whole wave is done. */
export function createResultsMail(deps: Deps): (trx: DbOrTrx, event: RoundEvent) => Promise<void> {
  const { config, k, mail, results } = deps;
  // Reads inside the caller's transaction: SQLite has a single connection, and the close must be visible.
  const exportDeps = (trx: DbOrTrx) => ({ db: trx, aggregates: deps.aggregates });

  async function municipalityResults(trx: DbOrTrx, round: Round, m: Municipality) {
    const key = `results:round:${round.id}`;
    if (await mail.enqueueExists(trx, key)) return;
    const to = await resultRecipients(trx, m);
    if (!to.length) return;
    const roundResults = await results.forRound(m.code, round.id, trx);
    const url = `${config.publicUrl}/kommune/resultater/${round.id}`;
    const { html, text } = await renderMail('results', {
      ...templateHelpers,
      municipality: m,
      view: municipalityResultsView(roundResults),
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
    const names = new Map((await municipalitiesRepository.list(trx)).map((x) => [x.code, x]));
    const closed = allRounds.filter((r) => r.state === 'closed');
    const perMunicipality = [];
    for (const r of closed) {
      const res = await results.forRound(r.municipalityCode, r.id, trx);
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
    if (event.type !== 'closed') return;
    const round = await roundsRepository.byId(trx, event.roundId);
    const m = await municipalitiesRepository.byCode(trx, event.municipalityCode);
    if (!round || !m) return;
    await municipalityResults(trx, round, m);
    await kombitResults(trx, round.roundNo, m);
  };
}
