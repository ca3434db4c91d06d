import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';
import type { ElearningContent } from './content.loader.js';
import { isModuleComplete } from './elearning.service.js';
import {
  LEARNER_GROUPS,
  LEARNER_GROUP_LABELS,
  LEARNER_SURVEY_GROUPS,
  learnerGroupOf,
  type LearnerGroup,
} from './learners.js';

/**
 * Figures for the dashboards: progress and pass rate per municipality and learner group, and item
 * statistics per test question. These are personal-data aggregates (not anonymous survey answers);
 * the dashboards decide what to publish.
 */

export type GroupProgress = {
  municipalityCode: number | null;
  group: LearnerGroup;
  groupLabel: string;
  /** Registered: the municipality's participants in a learner group, and anyone else who has opened the e-learning. */
  registered: number;
  /** Registered who have opened the e-learning (a learner row). */
  learners: number;
  /** Registered who have seen a page of a module or started the test. */
  started: number;
  /** Completions per module slug (distinct learners), by the completion rule. */
  completedByModule: Record<string, number>;
  /** Learners who completed every module meant for their group, by the completion rule. */
  completedAll: number;
  /** Learners with at least one submitted attempt. */
  tested: number;
  /** Learners with at least one passed attempt (best attempt counts). */
  passed: number;
  /** Per learner who passed: submitted attempts up to and including the first passed one. */
  attemptsToPass: number[];
  /** Per learner who took the test: their best score in per cent. */
  bestScores: number[];
  /** passed / registered, null without anyone registered. */
  passRate: number | null;
  /** passed / tested, null when no one took the test. */
  passRateOfTested: number | null;
};

/** The median, halfway between the two middle values of an even count; null for no values. */
export function median(values: readonly number[]): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export type GroupFigures = {
  registered: number;
  started: number;
  completedAll: number;
  tested: number;
  passed: number;
  /** Passed among those who took the test. */
  passRateOfTested: number | null;
  /** Passed among everyone registered. */
  passRateOfRegistered: number | null;
  /** Median submitted attempts to the first pass, among those who passed. */
  medianAttemptsToPass: number | null;
};

/** One set of figures from several cells (municipalities) of one learner group: counts add up, the median is over learners. */
export function combineProgress(cells: readonly GroupProgress[]): GroupFigures {
  const sum = (f: (c: GroupProgress) => number) => cells.reduce((s, c) => s + f(c), 0);
  const registered = sum((c) => c.registered);
  const tested = sum((c) => c.tested);
  const passed = sum((c) => c.passed);
  return {
    registered,
    started: sum((c) => c.started),
    completedAll: sum((c) => c.completedAll),
    tested,
    passed,
    passRateOfTested: tested ? passed / tested : null,
    passRateOfRegistered: registered ? passed / registered : null,
    medianAttemptsToPass: median(cells.flatMap((c) => c.attemptsToPass)),
  };
}

const groupOf = (raw: string): LearnerGroup =>
  (LEARNER_GROUPS as readonly string[]).includes(raw) ? (raw as LearnerGroup) : 'oevrige';

/** Progress and test figures per municipality and learner group (groups in fixed order; all municipalities unless one is given). */
export async function progressByMunicipalityAndGroup(
  db: DbOrTrx,
  content: ElearningContent,
  opts: { municipalityCode?: number } = {},
): Promise<GroupProgress[]> {
  // Sub-queries rather than id lists, so the figures scale past SQLite's bound-parameter limit.
  const scope = (q: Knex.QueryBuilder): Knex.QueryBuilder =>
    opts.municipalityCode !== undefined ? q.where('l.municipality_code', opts.municipalityCode) : q;
  const learners: Array<{ id: number; municipality_code: number | null; learner_group: string }> =
    await scope(db('learners as l')).select('l.id', 'l.municipality_code', 'l.learner_group');
  // Registered participants who have not come yet, counted per group and never loaded one by one: all of
  // them (from an index) less those who already have a learner row (few), which is cheaper than a per-row
  // NOT EXISTS on a national list of hundreds of thousands.
  type Count = {
    municipality_code: number;
    survey_group: string;
    superuser: boolean | number;
    n: number | string;
  };
  const participantGroups = (q: Knex.QueryBuilder): Promise<Count[]> =>
    q
      .modify((x) => {
        if (opts.municipalityCode !== undefined) x.where('p.municipality_code', opts.municipalityCode);
      })
      .where((x) => x.whereIn('p.survey_group', LEARNER_SURVEY_GROUPS).orWhere('p.superuser', true))
      .groupBy('p.municipality_code', 'p.survey_group', 'p.superuser')
      .select('p.municipality_code', 'p.survey_group', 'p.superuser')
      .count({ n: '*' });
  const waiting = new Map<string, { municipalityCode: number; group: LearnerGroup; n: number }>();
  const tally = (rows: Count[], sign: number) => {
    for (const r of rows) {
      const group = learnerGroupOf({
        superuser: Boolean(r.superuser),
        surveyGroup: r.survey_group,
        roles: [],
      });
      const key = `${Number(r.municipality_code)}|${group}`;
      const w = waiting.get(key) ?? { municipalityCode: Number(r.municipality_code), group, n: 0 };
      w.n += sign * Number(r.n);
      waiting.set(key, w);
    }
  };
  tally(await participantGroups(db('participants as p')), 1);
  // CROSS JOIN keeps SQLite from scanning the participants first (PostgreSQL plans it as an inner join).
  const cameAlready = db('learners as l')
    .crossJoin(db.raw('??', ['participants as p']))
    .whereRaw('?? = ??', ['p.id', 'l.participant_id']);
  tally(await participantGroups(cameAlready), -1);
  if (!learners.length && ![...waiting.values()].some((w) => w.n > 0)) return [];
  const progress: Array<{ learner_id: number; module_slug: string; completed_at: unknown }> = await scope(
    db('elearning_progress as p').join('learners as l', 'l.id', 'p.learner_id'),
  ).select('p.learner_id', 'p.module_slug', 'p.completed_at');
  const visits: Array<{ learner_id: number; module_slug: string; page: string }> = await scope(
    db('elearning_page_visits as v').join('learners as l', 'l.id', 'v.learner_id'),
  ).select('v.learner_id', 'v.module_slug', 'v.page');
  const exercises: Array<{ learner_id: number; exercise_id: string }> = await scope(
    db('elearning_exercise_results as e').join('learners as l', 'l.id', 'e.learner_id'),
  ).select('e.learner_id', 'e.exercise_id');
  const attempts: Array<{
    learner_id: number;
    submitted_at: unknown;
    passed: boolean | number | null;
    correct_count: number | null;
    question_count: number;
  }> = await scope(db('quiz_attempts as a').join('learners as l', 'l.id', 'a.learner_id'))
    .orderBy([{ column: 'a.learner_id' }, { column: 'a.submitted_at' }, { column: 'a.id' }])
    .select('a.learner_id', 'a.submitted_at', 'a.passed', 'a.correct_count', 'a.question_count');

  const started = new Set<number>([...progress, ...visits, ...attempts].map((r) => Number(r.learner_id)));
  const marked = new Map<number, Set<string>>();
  for (const r of progress)
    if (r.completed_at !== null) addTo(marked, Number(r.learner_id), String(r.module_slug));
  const seen = new Map<number, Set<string>>();
  for (const v of visits) addTo(seen, Number(v.learner_id), `${v.module_slug}|${v.page}`);
  const solved = new Map<number, Set<string>>();
  for (const e of exercises) addTo(solved, Number(e.learner_id), String(e.exercise_id));
  // Attempts come ordered by learner and hand-in time, so the first pass ends the count.
  const test = new Map<number, { attempts: number; toPass: number | null; best: number }>();
  for (const a of attempts) {
    if (a.submitted_at === null) continue;
    const id = Number(a.learner_id);
    const t = test.get(id) ?? { attempts: 0, toPass: null, best: 0 };
    t.attempts++;
    if (Boolean(a.passed) && t.toPass === null) t.toPass = t.attempts;
    t.best = Math.max(
      t.best,
      a.question_count ? (100 * Number(a.correct_count ?? 0)) / Number(a.question_count) : 0,
    );
    test.set(id, t);
  }
  const empty = new Set<string>();
  const completed = (id: number, slug: string): boolean => {
    const module = content.module(slug);
    if (!module || !marked.get(id)?.has(slug)) return false;
    const pages = new Set(
      [...(seen.get(id) ?? empty)]
        .filter((k) => k.startsWith(`${slug}|`))
        .map((k) => k.slice(slug.length + 1)),
    );
    return isModuleComplete(content, module, { marked: true, seen: pages, solved: solved.get(id) ?? empty });
  };
  const required = (group: LearnerGroup) =>
    content.modules.filter((m) => m.audience === 'all' || group === 'superbrugere').map((m) => m.slug);

  const cells = new Map<string, GroupProgress>();
  const cellOf = (municipalityCode: number | null, group: LearnerGroup): GroupProgress => {
    const key = `${municipalityCode}|${group}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = {
        municipalityCode,
        group,
        groupLabel: LEARNER_GROUP_LABELS[group],
        registered: 0,
        learners: 0,
        started: 0,
        completedByModule: {},
        completedAll: 0,
        tested: 0,
        passed: 0,
        attemptsToPass: [],
        bestScores: [],
        passRate: null,
        passRateOfTested: null,
      };
      cells.set(key, cell);
    }
    return cell;
  };
  for (const w of waiting.values()) if (w.n > 0) cellOf(w.municipalityCode, w.group).registered += w.n;
  for (const l of learners) {
    const cell = cellOf(
      l.municipality_code === null ? null : Number(l.municipality_code),
      groupOf(l.learner_group),
    );
    const id = Number(l.id);
    cell.registered++;
    cell.learners++;
    if (started.has(id)) cell.started++;
    const done = [...(marked.get(id) ?? empty)].filter((slug) => completed(id, slug));
    for (const slug of done) cell.completedByModule[slug] = (cell.completedByModule[slug] ?? 0) + 1;
    if (required(cell.group).every((s) => done.includes(s))) cell.completedAll++;
    const t = test.get(id);
    if (t) {
      cell.tested++;
      cell.bestScores.push(t.best);
    }
    if (t?.toPass) {
      cell.passed++;
      cell.attemptsToPass.push(t.toPass);
    }
  }
  return [...cells.values()]
    .map((c) => ({
      ...c,
      passRate: c.registered ? c.passed / c.registered : null,
      passRateOfTested: c.tested ? c.passed / c.tested : null,
    }))
    .sort(
      (a, b) =>
        (a.municipalityCode ?? 0) - (b.municipalityCode ?? 0) ||
        LEARNER_GROUPS.indexOf(a.group) - LEARNER_GROUPS.indexOf(b.group),
    );
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(value);
}

/**
 * Point-biserial correlation between a dichotomous item (correct or not) and a continuous score.
 * Null when it is undefined: fewer than two observations, everyone alike on the item, or no score variance.
 */
export function pointBiserial(pairs: ReadonlyArray<{ correct: boolean; score: number }>): number | null {
  const n = pairs.length;
  if (n < 2) return null;
  const ones = pairs.filter((p) => p.correct);
  const zeros = pairs.filter((p) => !p.correct);
  if (!ones.length || !zeros.length) return null;
  const mean = pairs.reduce((a, p) => a + p.score, 0) / n;
  const sd = Math.sqrt(pairs.reduce((a, p) => a + (p.score - mean) ** 2, 0) / n);
  if (sd === 0) return null;
  const m1 = ones.reduce((a, p) => a + p.score, 0) / ones.length;
  const m0 = zeros.reduce((a, p) => a + p.score, 0) / zeros.length;
  const p = ones.length / n;
  return ((m1 - m0) / sd) * Math.sqrt(p * (1 - p));
}

export type QuestionStat = {
  questionId: string;
  objectiveId: string;
  /** Submitted attempts that contained the question. */
  n: number;
  /** Share of those answering it correctly (0–1), null when n = 0. */
  shareCorrect: number | null;
  /** Point-biserial against the rest of the attempt (share correct on the other questions), so the item does not correlate with itself. */
  discrimination: number | null;
};

/** Per question in the bank: share correct and discrimination index, from submitted attempts only. */
export async function questionStats(db: DbOrTrx, content: ElearningContent): Promise<QuestionStat[]> {
  const rows = await db('quiz_attempt_items as i')
    .join('quiz_attempts as a', 'a.id', 'i.attempt_id')
    .whereNotNull('a.submitted_at')
    .select('i.question_id', 'i.correct', 'a.correct_count', 'a.question_count');
  const byQuestion = new Map<string, Array<{ correct: boolean; score: number }>>();
  for (const r of rows) {
    const correct = Boolean(r.correct);
    const total = Number(r.question_count);
    const rest = total > 1 ? (Number(r.correct_count) - (correct ? 1 : 0)) / (total - 1) : 0;
    const list = byQuestion.get(r.question_id) ?? [];
    list.push({ correct, score: rest });
    byQuestion.set(r.question_id, list);
  }
  return content.questions.map((q) => {
    const pairs = byQuestion.get(q.id) ?? [];
    return {
      questionId: q.id,
      objectiveId: q.objective,
      n: pairs.length,
      shareCorrect: pairs.length ? pairs.filter((p) => p.correct).length / pairs.length : null,
      discrimination: pointBiserial(pairs),
    };
  });
}
