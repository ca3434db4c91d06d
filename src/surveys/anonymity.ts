import { effectiveK, suppressBelowK } from '../shared/k-anonymity.js';
import { ELEMENTS, SURVEY_GROUPS, SURVEY_GROUP_LABELS, type ElementKey, type SurveyGroup } from './groups.js';
import {
  barrierDistribution,
  barrierPoint,
  groupElementScores,
  statusOf,
  type BarrierDistribution,
  type ElementStat,
  type RespondentScores,
  type Status,
} from './scoring.js';

export const POOL_LABEL = 'Øvrige grupper';
export const TOTAL_LABEL = 'Alle grupper';

export type GroupInput = { group: SurveyGroup; respondents: RespondentScores[] };

export type CellScores = Record<ElementKey, ElementStat & { status: Status | null }>;

export type CellKey = SurveyGroup | 'oevrige' | 'total';

export type PublishedCell = {
  key: CellKey;
  /** Group label, 'Øvrige grupper' or 'Alle grupper'. */
  label: string;
  /** Member groups, in SURVEY_GROUPS order. */
  groups: SurveyGroup[];
  n: number;
  scores: CellScores;
  barrier: ElementKey | null;
  barrierDistribution: BarrierDistribution;
};

export type Publication = {
  /** The effective k applied. */
  k: number;
  totalRespondents: number;
  /** Total below k: only response rates may be shown. */
  belowK: boolean;
  /** Visible groups in SURVEY_GROUPS order, the pool last. */
  cells: PublishedCell[];
  /** Groups with respondents whose own score is not shown (pooled, or everything when belowK). */
  suppressedGroups: SurveyGroup[];
  /** The municipality total, from the published cells' respondents only; null when belowK. */
  total: PublishedCell | null;
};

function withStatus(stats: Record<ElementKey, ElementStat>): CellScores {
  return Object.fromEntries(
    ELEMENTS.map((e) => {
      const { mean, n } = stats[e];
      return [e, { mean, n, status: mean === null ? null : statusOf(mean) }];
    }),
  ) as CellScores;
}

function makeCell(
  key: CellKey,
  label: string,
  groups: SurveyGroup[],
  respondents: RespondentScores[],
): PublishedCell {
  const scores = withStatus(groupElementScores(respondents));
  const means = Object.fromEntries(ELEMENTS.map((e) => [e, scores[e].mean])) as Record<
    ElementKey,
    number | null
  >;
  return {
    key,
    label,
    groups,
    n: respondents.length,
    scores,
    barrier: barrierPoint(means),
    barrierDistribution: barrierDistribution(respondents),
  };
}

const inGroupOrder = (a: SurveyGroup, b: SurveyGroup) => SURVEY_GROUPS.indexOf(a) - SURVEY_GROUPS.indexOf(b);

/**
 * Decides what one municipality-round may show: groups below k are pooled as "Øvrige grupper", and the
 * smallest visible groups join the pool until it reaches k, so no hidden group equals total minus visible.
 */
export function publishRound(groups: GroupInput[], k: number): Publication {
  const kk = effectiveK(k);
  const byGroup = new Map<SurveyGroup, RespondentScores[]>();
  for (const g of groups) {
    if (byGroup.has(g.group)) throw new RangeError(`survey group given twice: ${g.group}`);
    byGroup.set(g.group, g.respondents);
  }
  // Groups without respondents are neither shown nor pooled.
  const present = SURVEY_GROUPS.filter((g) => (byGroup.get(g)?.length ?? 0) > 0);
  const respondentsOf = (g: SurveyGroup): RespondentScores[] => byGroup.get(g) ?? [];
  const sizeOf = (g: SurveyGroup) => respondentsOf(g).length;
  const totalRespondents = present.reduce((sum, g) => sum + sizeOf(g), 0);

  if (suppressBelowK(totalRespondents, kk)) {
    return { k: kk, totalRespondents, belowK: true, cells: [], suppressedGroups: present, total: null };
  }

  const visible = present.filter((g) => !suppressBelowK(sizeOf(g), kk));
  const pooled = present.filter((g) => suppressBelowK(sizeOf(g), kk));
  let poolSize = pooled.reduce((sum, g) => sum + sizeOf(g), 0);
  // A non-empty pool below k would be hidden, and then total − visible would reveal it: pull in the
  // smallest visible group (first in SURVEY_GROUPS order on ties) until the pool reaches k.
  // This always ends with poolSize ≥ k, because the total is ≥ k.
  while (pooled.length > 0 && suppressBelowK(poolSize, kk) && visible.length > 0) {
    let smallest = 0;
    for (let i = 1; i < visible.length; i++) {
      if (sizeOf(visible[i]!) < sizeOf(visible[smallest]!)) smallest = i;
    }
    const [joining] = visible.splice(smallest, 1);
    pooled.push(joining!);
    poolSize += sizeOf(joining!);
  }
  pooled.sort(inGroupOrder);

  const cells = visible.map((g) => makeCell(g, SURVEY_GROUP_LABELS[g], [g], respondentsOf(g)));
  if (pooled.length > 0) {
    cells.push(makeCell('oevrige', POOL_LABEL, pooled, pooled.flatMap(respondentsOf)));
  }
  const publishedGroups = cells.flatMap((c) => c.groups).sort(inGroupOrder);
  const total = makeCell('total', TOTAL_LABEL, publishedGroups, publishedGroups.flatMap(respondentsOf));

  return { k: kk, totalRespondents, belowK: false, cells, suppressedGroups: pooled, total };
}

/**
 * Respondent-weighted combination of already-published cells (national, wave, region, group nationally),
 * so an aggregate never contains a respondent whose own cell was not published.
 */
export function combineCells(cells: Array<Pick<PublishedCell, 'n' | 'scores'>>): CellScores {
  const stats = Object.fromEntries(
    ELEMENTS.map((e) => {
      let weighted = 0;
      let n = 0;
      for (const cell of cells) {
        const { mean, n: elementN } = cell.scores[e];
        if (mean === null || elementN <= 0) continue;
        weighted += mean * elementN;
        n += elementN;
      }
      return [e, { mean: n > 0 ? weighted / n : null, n }];
    }),
  ) as Record<ElementKey, ElementStat>;
  return withStatus(stats);
}
