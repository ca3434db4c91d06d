import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { isoDay, addMonths } from '../shared/clock.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/municipalities.repository.js';
import { roundsRepository, type Round } from '../surveys/rounds.repository.js';
import {
  ELEMENTS,
  ELEMENT_LABELS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  type ElementKey,
  type SurveyGroup,
} from '../surveys/groups.js';
import { combineCells, type CellScores, type Publication, type PublishedCell } from '../surveys/anonymity.js';
import { barrierPoint, responseRate } from '../surveys/scoring.js';
import { ROUND_SHORT } from '../surveys/rounds.service.js';
import type { AggregateStore } from '../surveys/aggregates.js';
import { ratesFor, totals, type RoundRates } from '../surveys/rates.js';
import type { GroupFigures, GroupProgress } from '../elearning/elearning.stats.js';

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

export type Checkpoint = { label: string; status: 'green' | 'amber' | 'red' | 'none'; why: string };
export type RoundView = {
  round: Round;
  publication: Publication | null;
  respondents: number;
  invited: number;
  rate: number | null;
  barrier: ElementKey | null;
};

/** The checkpoints' traffic light in words. */
const CHECKPOINT_STATUS_LABELS = { green: 'Grøn', amber: 'Gul', red: 'Rød', none: 'Ikke aktuel endnu' } as const;
export { CHECKPOINT_STATUS_LABELS };

const means = (scores: CellScores) =>
  Object.fromEntries(ELEMENTS.map((e) => [e, scores[e].mean])) as Record<ElementKey, number | null>;

/** Dashboards for project leaders and KOMBIT, built from published aggregates only. */
export function createDashboardService({
  db,
  clock,
  store,
  learning,
}: {
  db: Db;
  clock: Clock;
  store: AggregateStore;
  learning?: LearningSource;
}) {
  async function roundViews(
    rounds: Round[],
    rates: Map<number, RoundRates>,
  ): Promise<Map<number, RoundView>> {
    const aggs = await store.forRounds(rounds.filter((r) => r.state === 'closed'));
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

  function checkpoints(
    m: Municipality,
    views: RoundView[],
    learningFigures: LearningFigures | null,
  ): Checkpoint[] {
    const today = isoDay(clock.now());
    const out: Checkpoint[] = [];
    for (const v of views) {
      const label = `Spørgeskema ${ROUND_SHORT[v.round.roundNo]} vedr. parathed er besvaret`;
      const pct = v.rate === null ? '–' : `${Math.round(v.rate * 100)} %`;
      if (v.round.state === 'planned')
        out.push({ label, status: 'none', why: `Runden åbner ${v.round.opensOn}.` });
      else if (v.round.state === 'open')
        out.push({
          label,
          status: (v.rate ?? 0) >= 0.6 ? 'green' : 'amber',
          why: `Runden er åben til ${v.round.closesOn}; svarprocent indtil nu ${pct}.`,
        });
      else
        out.push({
          label,
          status: (v.rate ?? 0) >= 0.6 ? 'green' : (v.rate ?? 0) >= 0.4 ? 'amber' : 'red',
          why: `Runden er lukket med svarprocent ${pct} (grøn fra 60 %, gul fra 40 %).`,
        });
    }
    const latest = [...views].reverse().find((v) => v.publication && !v.publication.belowK);
    if (latest) {
      const b = latest.barrier;
      out.push({
        label: 'Indsatsområder fra parathedsundersøgelsen er adresseret',
        status: b
          ? 'red'
          : latest.publication!.total &&
              ELEMENTS.some((e) => latest.publication!.total!.scores[e].status === 'folg-op')
            ? 'amber'
            : 'green',
        why: b
          ? `Seneste runde (${ROUND_SHORT[latest.round.roundNo]}) har barrierepunkt i ${ELEMENT_LABELS[b]}.`
          : 'Ingen elementer på 3,0 eller derunder i seneste runde.',
      });
    }
    const trainingDue = m.goLive ? addMonths(m.goLive, -1) <= today : false;
    if (learningFigures) {
      // Against everyone registered, not only those who took the test: trained means passed.
      const su = learningFigures.groups.find((g) => g.group === 'superbrugere');
      const rest = learningFigures.groups.filter((g) => g.group !== 'superbrugere');
      const suRate = su && su.registered ? su.passed / su.registered : null;
      const restRegistered = rest.reduce((s, g) => s + g.registered, 0);
      const restRate = restRegistered ? rest.reduce((s, g) => s + g.passed, 0) / restRegistered : null;
      const grade = (rate: number | null): Checkpoint['status'] =>
        rate === null
          ? trainingDue
            ? 'red'
            : 'none'
          : rate >= 0.9
            ? 'green'
            : rate >= 0.5 || !trainingDue
              ? 'amber'
              : 'red';
      out.push({
        label: 'Superbrugere er uddannet',
        status: grade(suRate),
        why:
          suRate === null
            ? 'Der er ingen superbrugere på deltagerlisten eller i e-læringen endnu.'
            : `${Math.round(suRate * 100)} % af alle tilmeldte superbrugere har bestået testen (grøn fra 90 %).`,
      });
      out.push({
        label: 'Brugerne af KSD i og udenfor ydelsescentret har modtaget undervisning',
        status: grade(restRate),
        why:
          restRate === null
            ? 'Der er ingen brugere på deltagerlisten eller i e-læringen endnu.'
            : `${Math.round(restRate * 100)} % af alle tilmeldte brugere har bestået den afsluttende test (grøn fra 90 %).`,
      });
    }
    return out;
  }

  return {
    async municipality(code: number) {
      const m = (await municipalitiesRepository.byCode(db, code))!;
      const rounds = await roundsRepository.forMunicipality(db, code);
      const byRound = await ratesFor(db, rounds);
      const views = [...(await roundViews(rounds, byRound)).values()];
      const groupCounts = await db('participants')
        .where({ municipality_code: code })
        .groupBy('survey_group')
        .select('survey_group')
        .count<{ survey_group: string; n: number }[]>({ n: '*' });
      const invitedPerGroup = new Map(groupCounts.map((g) => [g.survey_group, Number(g.n)]));
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
        .map((v) => ({
          round: v.round,
          n: v.publication!.total!.n,
          means: means(v.publication!.total!.scores),
        }));
      const learningFigures = learning ? await learning.forMunicipality(code) : null;
      return {
        municipality: m,
        views,
        rates,
        trend,
        learning: learningFigures,
        checkpoints: checkpoints(m, views, learningFigures),
      };
    },

    async national(filter: { wave?: number; region?: string; roundNo?: number; group?: SurveyGroup }) {
      const all = await municipalitiesRepository.list(db);
      const municipalities = all.filter(
        (m) =>
          (filter.wave === undefined || m.wave === filter.wave) &&
          (filter.region === undefined || m.region === filter.region),
      );
      const codes = new Set(municipalities.map((m) => m.code));
      const rounds = (await roundsRepository.all(db)).filter((r) => codes.has(r.municipalityCode));
      const views = await roundViews(rounds, await ratesFor(db, rounds));
      const byMunicipality = new Map<number, RoundView[]>();
      for (const v of views.values()) {
        const list = byMunicipality.get(v.round.municipalityCode) ?? [];
        list.push(v);
        byMunicipality.set(v.round.municipalityCode, list);
      }
      const waves = [...new Set(municipalities.map((m) => m.wave))].sort((a, b) => (a ?? 99) - (b ?? 99));
      const matrix = waves.map((wave) => ({
        wave,
        municipalities: municipalities
          .filter((m) => m.wave === wave)
          .map((m) => ({
            municipality: m,
            rounds: [1, 2, 3].map(
              (n) => byMunicipality.get(m.code)?.find((v) => v.round.roundNo === n) ?? null,
            ),
          })),
      }));
      // National scores from published cells only: a group's figure from its own visible cells, the total from every published cell.
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
      const national = {
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
      const learningFigures = learning ? await learning.national({ codes: [...codes] }) : null;
      return {
        municipalities,
        matrix,
        national,
        learning: learningFigures,
        regions: [...new Set(all.map((m) => m.region))].sort(),
      };
    },

    /** Learning figures per municipality and learner group, for the export. */
    async learningByMunicipality(codes: number[]): Promise<GroupProgress[]> {
      return learning ? learning.byMunicipality({ codes }) : [];
    },
  };
}
export type DashboardService = ReturnType<typeof createDashboardService>;
