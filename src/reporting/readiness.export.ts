import { Readable, PassThrough } from 'node:stream';
import { stringify } from 'csv-stringify';
import type { DbOrTrx } from '../db/knex.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/index.js';
import {
  roundsRepository,
  type Round,
  ELEMENTS,
  ELEMENT_LABELS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  POOL_LABEL,
  type PublishedCell,
  STATUS_LABELS,
  roundOne,
  ROUND_SHORT,
  type AggregateStore,
  type RoundAggregate,
} from '../surveys/index.js';
import { formatDecimal } from '../web/format.js';

export const READINESS_COLUMNS = [
  'kommunekode',
  'kommune',
  'region',
  'bolge',
  'runde',
  'gruppe',
  'element',
  'besvarelser',
  'gennemsnit',
  'status',
] as const;
export const SUPPRESSED_STATUS = 'for få besvarelser';

export type ReadinessFilter = { municipalityCode?: number; wave?: number; roundNo?: number; region?: string };
export type Dialect = 'excel' | 'rfc4180';
export type ReadinessRow = {
  kommunekode: number;
  kommune: string;
  region: string;
  bolge: number | null;
  runde: string;
  gruppe: string;
  element: string;
  besvarelser: number;
  gennemsnit: number | null;
  status: string;
};
/** `db` may be a transaction: the results mail builds its attachment inside the round's close. */
type Deps = { db: DbOrTrx; aggregates: Pick<AggregateStore, 'forRounds'> };

function rowsOfRound(m: Municipality, round: Round, agg: RoundAggregate): ReadinessRow[] {
  const base = {
    kommunekode: m.code,
    kommune: m.name,
    region: m.region,
    bolge: m.wave,
    runde: ROUND_SHORT[round.roundNo],
  };
  const pub = agg.publication;
  const visible = new Map<string, PublishedCell>(
    pub.cells.filter((c) => c.key !== 'oevrige').map((c) => [c.key, c]),
  );
  const rows: ReadinessRow[] = [];
  for (const g of SURVEY_GROUPS) {
    const n = agg.groupCounts[g] ?? 0;
    if (!n) continue;
    const cell = visible.get(g);
    for (const e of ELEMENTS) {
      const stat = cell?.scores[e];
      rows.push({
        ...base,
        gruppe: SURVEY_GROUP_LABELS[g],
        element: ELEMENT_LABELS[e],
        besvarelser: n,
        gennemsnit: stat?.mean == null ? null : roundOne(stat.mean),
        status: !cell ? SUPPRESSED_STATUS : stat?.status ? STATUS_LABELS[stat.status] : '',
      });
    }
  }
  const pool = pub.cells.find((c) => c.key === 'oevrige');
  if (pool) {
    for (const e of ELEMENTS) {
      const stat = pool.scores[e];
      rows.push({
        ...base,
        gruppe: POOL_LABEL,
        element: ELEMENT_LABELS[e],
        besvarelser: pool.n,
        gennemsnit: stat.mean == null ? null : roundOne(stat.mean),
        status: stat.status ? STATUS_LABELS[stat.status] : '',
      });
    }
  }
  return rows;
}

/** Readiness rows, one per municipality × closed round × group × element, a round at a time (memory stays flat). */
export async function* readinessRows(deps: Deps, filter: ReadinessFilter = {}): AsyncGenerator<ReadinessRow> {
  const municipalities = (await municipalitiesRepository.list(deps.db)).filter(
    (m) =>
      (filter.municipalityCode === undefined || m.code === filter.municipalityCode) &&
      (filter.wave === undefined || m.wave === filter.wave) &&
      (filter.region === undefined || m.region === filter.region),
  );
  const byCode = new Map(municipalities.map((m) => [m.code, m]));
  const rounds = (
    await roundsRepository.closed(deps.db, {
      municipalityCode: filter.municipalityCode,
      roundNo: filter.roundNo,
    })
  ).filter((r) => byCode.has(r.municipalityCode));
  for (let i = 0; i < rounds.length; i += 50) {
    const batch = rounds.slice(i, i + 50);
    const aggs = await deps.aggregates.forRounds(batch, deps.db);
    for (const round of batch) {
      for (const row of rowsOfRound(byCode.get(round.municipalityCode)!, round, aggs.get(round.id)!))
        yield row;
    }
  }
}

/** One decimal: a comma for Danish Excel, a dot for RFC 4180. */
const csvNumber = (x: number | null, dialect: Dialect) =>
  x === null ? '' : dialect === 'excel' ? formatDecimal(x, 1) : x.toFixed(1);

/** The readiness export as CSV: Danish Excel (BOM, `;`, decimal comma, CRLF) or RFC 4180 (comma, dot). */
export function readinessCsvStream(
  deps: Deps,
  filter: ReadinessFilter = {},
  dialect: Dialect = 'excel',
): Readable {
  const excel = dialect === 'excel';
  const csv = stringify({
    delimiter: excel ? ';' : ',',
    record_delimiter: '\r\n',
    bom: excel,
    header: true,
    columns: [...READINESS_COLUMNS],
  });
  const source = Readable.from(
    (async function* () {
      for await (const r of readinessRows(deps, filter)) {
        yield { ...r, bolge: r.bolge ?? '', gennemsnit: csvNumber(r.gennemsnit, dialect) };
      }
    })(),
  );
  source.on('error', (err) => csv.destroy(err));
  return source.pipe(csv);
}

async function toBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

export async function readinessCsvBuffer(
  deps: Deps,
  filter: ReadinessFilter = {},
  dialect: Dialect = 'excel',
): Promise<Buffer> {
  return toBuffer(readinessCsvStream(deps, filter, dialect));
}

/** Streams the readiness export as XLSX; numbers are typed as numbers. */
export async function writeReadinessXlsx(
  deps: Deps,
  filter: ReadinessFilter,
  out: NodeJS.WritableStream,
): Promise<void> {
  // Loaded on the first XLSX download: ExcelJS holds some 25 MB of memory that nothing else needs.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
    stream: out as unknown as import('node:stream').Stream,
    useStyles: false,
    useSharedStrings: false,
  });
  const sheet = workbook.addWorksheet('Parathed');
  sheet.columns = READINESS_COLUMNS.map((c) => ({ header: c, key: c }));
  for await (const r of readinessRows(deps, filter)) sheet.addRow({ ...r, bolge: r.bolge ?? null }).commit();
  sheet.commit();
  await workbook.commit();
}

export async function readinessXlsxBuffer(deps: Deps, filter: ReadinessFilter = {}): Promise<Buffer> {
  const pass = new PassThrough();
  const done = toBuffer(pass);
  await writeReadinessXlsx(deps, filter, pass);
  pass.end();
  return done;
}
