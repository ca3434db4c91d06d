import { formatDanishDate, formatPercent } from '../web/format.js';
import { ELEMENTS, ELEMENT_LABELS, SURVEY_GROUPS, SURVEY_GROUP_LABELS, type ElementKey } from './groups.js';
import { BARRIER_ADVICE, STATUS_LABELS, barrierPoint, formatScore, type Status } from './scoring.js';
import { combineCells, POOL_LABEL, TOTAL_LABEL, type CellScores, type PublishedCell } from './anonymity.js';
import type { RoundResults } from './results.service.js';
import type { Municipality } from '../municipalities/index.js';

/** Inline colours for mail clients; the status word is always printed too. */
const STATUS_STYLE: Record<Status, string> = {
  ok: 'background:#dff0e3;color:#0b3d1a',
  'folg-op': 'background:#fff3c4;color:#4a3900',
  indsats: 'background:#f9dcdc;color:#5c0d0d',
};

export const templateHelpers = {
  ELEMENTS,
  ELEMENT_LABELS,
  STATUS_LABELS,
  STATUS_STYLE,
  formatScore,
  formatPercent,
  formatDanishDate,
};

export type ScoreCellView = { score: string; status: string | null; style: string; barrier: boolean };
export type RowView = {
  label: string;
  note: string | null;
  n: number;
  cells: Record<ElementKey, ScoreCellView>;
  barrier: string | null;
  total: boolean;
};

function cellsView(scores: CellScores, barrier: ElementKey | null): Record<ElementKey, ScoreCellView> {
  return Object.fromEntries(
    ELEMENTS.map((e) => {
      const s = scores[e];
      return [
        e,
        {
          score: formatScore(s.mean),
          status: s.status ? STATUS_LABELS[s.status] : null,
          style: s.status ? STATUS_STYLE[s.status] : '',
          barrier: barrier === e,
        },
      ];
    }),
  ) as Record<ElementKey, ScoreCellView>;
}

function rowOf(cell: PublishedCell): RowView {
  return {
    label: cell.label,
    note: cell.key === 'oevrige' ? cell.groups.map((g) => SURVEY_GROUP_LABELS[g]).join(', ') : null,
    n: cell.n,
    cells: cellsView(cell.scores, cell.barrier),
    barrier: cell.barrier ? ELEMENT_LABELS[cell.barrier] : null,
    total: cell.key === 'total',
  };
}

/** A municipality's round results for the mail: published cells only (the k-rule is already applied). */
export function municipalityResultsView(results: RoundResults) {
  const pub = results.publication;
  const published = [...pub.cells, ...(pub.total ? [pub.total] : [])];
  return {
    belowK: pub.belowK,
    k: pub.k,
    rows: published.map(rowOf),
    barriers: published.map((c) => ({
      label: c.label,
      element: c.barrier ? ELEMENT_LABELS[c.barrier] : null,
      advice: c.barrier ? BARRIER_ADVICE[c.barrier] : null,
    })),
    rates: results.rates.map((r) => ({
      label: r.label,
      invited: r.invited,
      answered: r.answered,
      rate: formatPercent(r.rate),
    })),
    totalRate: {
      invited: results.totalRate.invited,
      answered: results.totalRate.answered,
      rate: formatPercent(results.totalRate.rate),
    },
  };
}

/** Combined table per group × element from published cells only (combineCells), over several municipalities. */
export function combinedTable(list: Array<{ municipality: Municipality; results: RoundResults }>): RowView[] {
  const rows: RowView[] = [];
  const add = (label: string, cells: PublishedCell[], total = false) => {
    if (!cells.length) return;
    const scores = combineCells(cells);
    const means = Object.fromEntries(ELEMENTS.map((e) => [e, scores[e].mean])) as Record<
      ElementKey,
      number | null
    >;
    const barrier = barrierPoint(means);
    rows.push({
      label,
      note: null,
      n: cells.reduce((s, c) => s + c.n, 0),
      cells: cellsView(scores, barrier),
      barrier: barrier ? ELEMENT_LABELS[barrier] : null,
      total,
    });
  };
  const pubs = list.map((x) => x.results.publication);
  for (const g of SURVEY_GROUPS)
    add(
      SURVEY_GROUP_LABELS[g],
      pubs.flatMap((p) => p.cells.filter((c) => c.key === g)),
    );
  add(
    POOL_LABEL,
    pubs.flatMap((p) => p.cells.filter((c) => c.key === 'oevrige')),
  );
  add(
    TOTAL_LABEL,
    pubs.flatMap((p) => (p.total ? [p.total] : [])),
    true,
  );
  return rows;
}

/** One line per municipality in the KOMBIT mail: response rate and the barrier of its total. */
export function municipalityLine(x: { municipality: Municipality; results: RoundResults }) {
  const total = x.results.publication.total;
  return {
    name: `${x.municipality.name} Kommune`,
    respondents: x.results.totalRate.answered,
    invited: x.results.totalRate.invited,
    rate: formatPercent(x.results.totalRate.rate),
    belowK: x.results.publication.belowK,
    barrier: total?.barrier ? ELEMENT_LABELS[total.barrier] : null,
  };
}
