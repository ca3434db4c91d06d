import type { DbOrTrx } from '../db/knex.js';
import type { Config } from '../config.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/index.js';
import { usersRepository } from '../auth/index.js';
import { uniqueAddresses, type MailService, renderMail } from '../mail/index.js';
import {
  ROUND_LABELS,
  ROUND_SHORT,
  type RoundEvent,
  roundsRepository,
  type Round,
  type ResultsService,
  type AggregateStore,
  combinedTable,
  municipalityLine,
  municipalityResultsView,
  templateHelpers,
} from '../surveys/index.js';
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
  return uniqueAddresses([...(await usersRepository.resultReaders(trx, m.code)), m.resultsEmail]);
}

// Reads inside the caller's transaction: SQLite has a single connection, and the close must be visible.
const exportDeps = (deps: Deps, trx: DbOrTrx) => ({ db: trx, aggregates: deps.aggregates });

/** The municipality's mail with the round's results and its readiness CSV, once per round. */
async function municipalityResults(deps: Deps, trx: DbOrTrx, round: Round, m: Municipality): Promise<void> {
  const { config, mail, results } = deps;
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
  const csv = await readinessCsvBuffer(exportDeps(deps, trx), { municipalityCode: m.code });
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

/** The closed rounds `roundNo` of the wave's municipalities and of all, with results; null until the whole wave is closed. */
async function waveResults(deps: Deps, trx: DbOrTrx, roundNo: 1 | 2 | 3, wave: number) {
  const municipalities = await municipalitiesRepository.list(trx);
  const allRounds = (await roundsRepository.all(trx)).filter((r) => r.roundNo === roundNo);
  const byCode = new Map(allRounds.map((r) => [r.municipalityCode, r]));
  // Every municipality of the wave must have this round closed (one without rounds is not done yet).
  if (!municipalities.filter((x) => x.wave === wave).every((x) => byCode.get(x.code)?.state === 'closed'))
    return null;
  const names = new Map(municipalities.map((x) => [x.code, x]));
  const perMunicipality = [];
  for (const r of allRounds.filter((x) => x.state === 'closed')) {
    const res = await deps.results.forRound(r.municipalityCode, r.id, trx);
    perMunicipality.push({ municipality: names.get(r.municipalityCode)!, results: res });
  }
  return { perMunicipality, inWave: perMunicipality.filter((x) => x.municipality.wave === wave) };
}

/** KOMBIT's mail once every municipality of a wave has closed a round: the wave's and the national results. */
async function kombitResults(deps: Deps, trx: DbOrTrx, roundNo: 1 | 2 | 3, m: Municipality): Promise<void> {
  const { config, mail } = deps;
  if (m.wave === null || !config.mail.kombitEmail) return;
  const key = `kombit-results:wave:${m.wave}:round:${roundNo}`;
  if (await mail.enqueueExists(trx, key)) return;
  const wave = await waveResults(deps, trx, roundNo, m.wave);
  if (!wave) return;
  const { html, text } = await renderMail('kombit-results', {
    ...templateHelpers,
    wave: m.wave,
    k: deps.k,
    roundLabel: ROUND_LABELS[roundNo],
    waveTable: combinedTable(wave.inWave),
    nationalTable: combinedTable(wave.perMunicipality),
    municipalities: wave.inWave.map(municipalityLine),
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
        content: await readinessCsvBuffer(exportDeps(deps, trx), filter),
      },
      {
        filename: `${base}.xlsx`,
        contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        content: await readinessXlsxBuffer(exportDeps(deps, trx), filter),
      },
    ],
  });
}

/** The results mails when a round closes: the municipality's readers, and KOMBIT once a whole wave is done. */
export function createResultsMail(deps: Deps): (trx: DbOrTrx, event: RoundEvent) => Promise<void> {
  return async (trx, event) => {
    if (event.type !== 'closed') return;
    const round = await roundsRepository.byId(trx, event.roundId);
    const m = await municipalitiesRepository.byCode(trx, event.municipalityCode);
    if (!round || !m) return;
    await municipalityResults(deps, trx, round, m);
    await kombitResults(deps, trx, round.roundNo, m);
  };
}
