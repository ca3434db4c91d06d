import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay, addMonths } from '../shared/clock.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/index.js';
import {
  roundsRepository,
  type Round,
  ELEMENTS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  type ElementKey,
  type SurveyGroup,
  combineCells,
  type CellScores,
  type Publication,
  type PublishedCell,
  barrierPoint,
  responseRate,
  type AggregateStore,
  ratesFor,
  totals,
  type RoundRates,
} from '../surveys/index.js';
import { participantsRepository } from '../participants/index.js';
import type { GroupFigures, GroupProgress } from '../elearning/index.js';

export type EvaluationSummary = {
  kind: 'elearning' | 'classroom';
  title: string;
  n: number;
  k: number;
  suppressed: boolean;
  items: Array<{ id: string; kind: string; text: string; mean: number | null }>;
};
/** One learner group's figures; the definitions are in src/elearning/elearning.stats.ts (GroupFigures). */
export type LearnerGroupFigures = GroupFigures & { group: string; label: string };
export type LearningFigures = {
  groups: LearnerGroupFigures[];
  evaluations: EvaluationSummary[];
};
/** E-learning figures come from the e-learning feature; the dashboard only shows them. */
export type LearningSource = {
  forMunicipality(code: number): Promise<LearningFigures>;
  national(filter: { codes: number[] }): Promise<
    LearningFigures & {
      questions: Array<{
        questionId: string;
        objectiveId: string;
        n: number;
        shareCorrect: number | null;
        discrimination: number | null;
      }>;
    }
  >;
  /** Per municipality and learner group, for the learning export. */
  byMunicipality(filter: { codes: number[] }): Promise<GroupProgress[]>;
};

/** A checkpoint's traffic light. */
export type CheckpointStatus = 'green' | 'amber' | 'red' | 'none';

/** What a checkpoint is judged on; dashboard.presenter.ts puts it into words. */
export type CheckpointFact =
  | {
      kind: 'round';
      status: CheckpointStatus;
      round: Round;
      rate: number | null;
    }
  | { kind: 'barriers'; status: CheckpointStatus; round: Round; barrier: ElementKey | null }
  | { kind: 'superusers' | 'users'; status: CheckpointStatus; rate: number | null };

/** A round's response rate is green from here… */
export const ROUND_RATE_GREEN = 0.6;
/** …and amber (once the round is closed) from here; below, red. */
export const ROUND_RATE_AMBER = 0.4;
/** Share of all registered who passed the test, green from here… */
export const TRAINED_GREEN = 0.9;
/** …and amber from here (or at any rate before training is due); below, red once it is. */
export const TRAINED_AMBER = 0.5;

export type RoundView = {
  round: Round;
  publication: Publication | null;
  respondents: number;
  invited: number;
  rate: number | null;
  barrier: ElementKey | null;
};

const means = (scores: CellScores) =>
  Object.fromEntries(ELEMENTS.map((e) => [e, scores[e].mean])) as Record<ElementKey, number | null>;

type Deps = { db: Db; clock: Clock; store: AggregateStore; learning?: LearningSource };

/** Each round with its published aggregate (closed rounds) or live counts (open ones). */
async function roundViews(
  deps: Deps,
  rounds: Round[],
  rates: Map<number, RoundRates>,
): Promise<Map<number, RoundView>> {
  const aggs = await deps.store.forRounds(rounds.filter((r) => r.state === 'closed'));
  const out = new Map<number, RoundView>();
  for (const r of rounds) {
    const agg = aggs.get(r.id);
    // Open rounds: who has submitted so far, from the same live counts as the rates.
    const { invited: inv, answered } = totals(rates.get(r.id)!);
    const respondents = agg ? agg.respondents : answered;
    const pub = agg?.publication ?? null;
    out.set(r.id, {
      round: r,
      publication: pub,
      respondents,
      invited: inv,
      rate: r.state === 'planned' ? null : responseRate(respondents, inv),
      barrier: pub?.total?.barrier ?? null,
    });
  }
  return out;
}

/** Per round: planned (not yet judged), open (green or amber so far) or closed (green, amber or red). */
function roundCheckpoint(v: RoundView): CheckpointFact {
  const rate = v.rate ?? 0;
  const status: CheckpointStatus =
    v.round.state === 'planned'
      ? 'none'
      : rate >= ROUND_RATE_GREEN
        ? 'green'
        : v.round.state === 'open' || rate >= ROUND_RATE_AMBER
          ? 'amber'
          : 'red';
  return { kind: 'round', status, round: v.round, rate: v.rate };
}

/** The latest published round's barrier point (red), elements to follow up (amber) or neither (green). */
function barrierCheckpoint(views: RoundView[]): CheckpointFact | null {
  const latest = [...views].reverse().find((v) => v.publication && !v.publication.belowK);
  if (!latest) return null;
  const total = latest.publication!.total;
  const status: CheckpointStatus = latest.barrier
    ? 'red'
    : total && ELEMENTS.some((e) => total.scores[e].status === 'folg-op')
      ? 'amber'
      : 'green';
  return { kind: 'barriers', status, round: latest.round, barrier: latest.barrier };
}

/** Superusers and other users trained: passed against everyone registered, not only those who took the test. */
function trainingCheckpoints(m: Municipality, today: string, learning: LearningFigures): CheckpointFact[] {
  const trainingDue = m.goLive ? addMonths(m.goLive, -1) <= today : false;
  const su = learning.groups.find((g) => g.group === 'superbrugere');
  const rest = learning.groups.filter((g) => g.group !== 'superbrugere');
  const suRate = su && su.registered ? su.passed / su.registered : null;
  const restRegistered = rest.reduce((s, g) => s + g.registered, 0);
  const restRate = restRegistered ? rest.reduce((s, g) => s + g.passed, 0) / restRegistered : null;
  const grade = (rate: number | null): CheckpointStatus =>
    rate === null
      ? trainingDue
        ? 'red'
        : 'none'
      : rate >= TRAINED_GREEN
        ? 'green'
        : rate >= TRAINED_AMBER || !trainingDue
          ? 'amber'
          : 'red';
  return [
    { kind: 'superusers', status: grade(suRate), rate: suRate },
    { kind: 'users', status: grade(restRate), rate: restRate },
  ];
}

function checkpoints(
  m: Municipality,
  today: string,
  views: RoundView[],
  learning: LearningFigures | null,
): CheckpointFact[] {
  const barriers = barrierCheckpoint(views);
  return [
    ...views.map(roundCheckpoint),
    ...(barriers ? [barriers] : []),
    ...(learning ? trainingCheckpoints(m, today, learning) : []),
  ];
}

/** A municipality's dashboard: rounds, response rates per group, the trend, learning and the checkpoints. */
async function municipality(deps: Deps, code: number) {
  const { db, learning } = deps;
  const m = (await municipalitiesRepository.byCode(db, code))!;
  const rounds = await roundsRepository.forMunicipality(db, code);
  const byRound = await ratesFor(db, rounds);
  const views = [...(await roundViews(deps, rounds, byRound)).values()];
  const invitedPerGroup = await participantsRepository.countPerGroup(db, code);
  const rates = SURVEY_GROUPS.map((g) => ({
    group: g,
    label: SURVEY_GROUP_LABELS[g],
    invited: invitedPerGroup.get(g) ?? 0,
    byRound: rounds.map((r) => {
      const x = byRound.get(r.id)![g];
      return {
        round: r,
        answered: x.answered,
        rate: r.state === 'planned' ? null : responseRate(x.answered, x.invited),
      };
    }),
  }));
  const trend = views
    .filter((v) => v.publication?.total)
    .map((v) => ({ round: v.round, n: v.publication!.total!.n, means: means(v.publication!.total!.scores) }));
  const learningFigures = learning ? await learning.forMunicipality(code) : null;
  return {
    municipality: m,
    views,
    rates,
    trend,
    learning: learningFigures,
    checkpoints: checkpoints(m, isoDay(deps.clock.now()), views, learningFigures),
  };
}

type NationalFilter = { wave?: number; region?: string; roundNo?: number; group?: SurveyGroup };

/** Waves × municipalities × rounds 1–3, for the national matrix. */
function nationalMatrix(municipalities: Municipality[], views: Map<number, RoundView>) {
  const byMunicipality = new Map<number, RoundView[]>();
  for (const v of views.values()) {
    const list = byMunicipality.get(v.round.municipalityCode) ?? [];
    list.push(v);
    byMunicipality.set(v.round.municipalityCode, list);
  }
  const waves = [...new Set(municipalities.map((m) => m.wave))].sort((a, b) => (a ?? 99) - (b ?? 99));
  return waves.map((wave) => ({
    wave,
    municipalities: municipalities
      .filter((m) => m.wave === wave)
      .map((m) => ({
        municipality: m,
        rounds: [1, 2, 3].map((n) => byMunicipality.get(m.code)?.find((v) => v.round.roundNo === n) ?? null),
      })),
  }));
}

/** National scores from published cells only: a group's figure from its own visible cells, the total from every published cell. */
function nationalScores(views: Map<number, RoundView>, filter: NationalFilter) {
  const published: PublishedCell[] = [];
  for (const v of views.values()) {
    if (!v.publication || (filter.roundNo !== undefined && v.round.roundNo !== filter.roundNo)) continue;
    published.push(...v.publication.cells);
  }
  const groups = (filter.group ? [filter.group] : [...SURVEY_GROUPS]).map((g) => {
    const cells = published.filter((c) => c.key === g);
    const scores = combineCells(cells);
    return {
      key: g as string,
      label: SURVEY_GROUP_LABELS[g],
      n: cells.reduce((s, c) => s + c.n, 0),
      cells: cells.length,
      scores,
      barrier: barrierPoint(means(scores)),
    };
  });
  const pooled = published.filter((c) => c.key === 'oevrige');
  const totalScores = combineCells(published);
  return {
    groups,
    pooled: { n: pooled.reduce((s, c) => s + c.n, 0), cells: pooled.length },
    total: {
      key: 'total',
      label: 'Alle grupper',
      n: published.reduce((s, c) => s + c.n, 0),
      cells: published.length,
      scores: totalScores,
      barrier: barrierPoint(means(totalScores)),
    },
  };
}

/** KOMBIT's national view over the municipalities the filter selects. */
async function national(deps: Deps, filter: NationalFilter) {
  const { db, learning } = deps;
  const all = await municipalitiesRepository.list(db);
  const municipalities = all.filter(
    (m) =>
      (filter.wave === undefined || m.wave === filter.wave) &&
      (filter.region === undefined || m.region === filter.region),
  );
  const codes = new Set(municipalities.map((m) => m.code));
  const rounds = (await roundsRepository.all(db)).filter((r) => codes.has(r.municipalityCode));
  const views = await roundViews(deps, rounds, await ratesFor(db, rounds));
  return {
    municipalities,
    matrix: nationalMatrix(municipalities, views),
    national: nationalScores(views, filter),
    learning: learning ? await learning.national({ codes: [...codes] }) : null,
    regions: [...new Set(all.map((m) => m.region))].sort(),
  };
}

/** Dashboards for project leaders and KOMBIT, built from published aggregates only. */
export function createDashboardService(deps: Deps) {
  return {
    municipality: (code: number) => municipality(deps, code),
    national: (filter: NationalFilter) => national(deps, filter),
    /** Learning figures per municipality and learner group, for the export. */
    learningByMunicipality: async (codes: number[]): Promise<GroupProgress[]> =>
      deps.learning ? deps.learning.byMunicipality({ codes }) : [],
  };
}

/** The dashboards as routes and exports use them. */
export type DashboardService = ReturnType<typeof createDashboardService>;
