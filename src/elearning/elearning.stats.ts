import type { DbOrTrx } from '../db/knex.js';
import type { ElearningContent } from './content.loader.js';
import { isModuleComplete } from './elearning.service.js';
import { LEARNER_GROUPS, LEARNER_GROUP_LABELS, learnerGroupOf, type LearnerGroup } from './learners.js';
import { learnersRepository, type CandidateCount } from './learners.repository.js';
import { progressRepository } from './progress.repository.js';
import { quizRepository } from './quiz.repository.js';

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

type Waiting = Map<string, { municipalityCode: number; group: LearnerGroup; n: number }>;

/** Registered participants who have not come yet, per municipality and learner group: all of them less those who came. */
async function waitingPerGroup(db: DbOrTrx, municipalityCode?: number): Promise<Waiting> {
  const waiting: Waiting = new Map();
  const tally = (rows: CandidateCount[], sign: number) => {
    for (const r of rows) {
      const group = learnerGroupOf({ superuser: r.superuser, surveyGroup: r.surveyGroup, roles: [] });
      const key = `${r.municipalityCode}|${group}`;
      const w = waiting.get(key) ?? { municipalityCode: r.municipalityCode, group, n: 0 };
      w.n += sign * r.n;
      waiting.set(key, w);
    }
  };
  tally(await learnersRepository.candidateCounts(db, { municipalityCode, cameAlready: false }), 1);
  tally(await learnersRepository.candidateCounts(db, { municipalityCode, cameAlready: true }), -1);
  return waiting;
}

/** What each learner has done: started, modules marked, pages seen, exercises solved and their test record. */
type Activity = {
  started: Set<number>;
  marked: Map<number, Set<string>>;
  seen: Map<number, Set<string>>;
  solved: Map<number, Set<string>>;
  test: Map<number, { attempts: number; toPass: number | null; best: number }>;
};

// Sub-queries rather than id lists, so the figures scale past SQLite's bound-parameter limit.
async function activityOf(db: DbOrTrx, municipalityCode?: number): Promise<Activity> {
  const scope = () => learnersRepository.scope(db, municipalityCode);
  const marks = await progressRepository.marksIn(db, scope());
  const visits = await progressRepository.visitsIn(db, scope());
  const exercises = await progressRepository.exercisesIn(db, scope());
  const attempts = await quizRepository.attemptsIn(db, scope());
  const activity: Activity = {
    started: new Set([...marks, ...visits, ...attempts].map((r) => r.learnerId)),
    marked: new Map(),
    seen: new Map(),
    solved: new Map(),
    test: new Map(),
  };
  for (const r of marks) if (r.completed) addTo(activity.marked, r.learnerId, r.moduleSlug);
  for (const v of visits) addTo(activity.seen, v.learnerId, `${v.moduleSlug}|${v.page}`);
  for (const e of exercises) addTo(activity.solved, e.learnerId, e.exerciseId);
  // Attempts come ordered by learner and hand-in time, so the first pass ends the count.
  for (const a of attempts) {
    if (!a.submitted) continue;
    const t = activity.test.get(a.learnerId) ?? { attempts: 0, toPass: null, best: 0 };
    t.attempts++;
    if (a.passed && t.toPass === null) t.toPass = t.attempts;
    t.best = Math.max(t.best, a.questionCount ? (100 * a.correctCount) / a.questionCount : 0);
    activity.test.set(a.learnerId, t);
  }
  return activity;
}

const empty: ReadonlySet<string> = new Set<string>();

/** The modules a learner has completed by the completion rule (marked, every page seen, every exercise solved). */
function completedModules(content: ElearningContent, activity: Activity, id: number): string[] {
  const seen = [...(activity.seen.get(id) ?? empty)];
  return [...(activity.marked.get(id) ?? empty)].filter((slug) => {
    const module = content.module(slug);
    if (!module) return false;
    const pages = new Set(seen.filter((k) => k.startsWith(`${slug}|`)).map((k) => k.slice(slug.length + 1)));
    return isModuleComplete(content, module, {
      marked: true,
      seen: pages,
      solved: activity.solved.get(id) ?? empty,
    });
  });
}

function emptyCell(municipalityCode: number | null, group: LearnerGroup): GroupProgress {
  return {
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
}

/** Counts one learner into their cell. */
function countLearner(content: ElearningContent, cell: GroupProgress, activity: Activity, id: number): void {
  cell.registered++;
  cell.learners++;
  if (activity.started.has(id)) cell.started++;
  const done = completedModules(content, activity, id);
  for (const slug of done) cell.completedByModule[slug] = (cell.completedByModule[slug] ?? 0) + 1;
  const required = content.modules.filter((m) => m.audience === 'all' || cell.group === 'superbrugere');
  if (required.every((m) => done.includes(m.slug))) cell.completedAll++;
  const t = activity.test.get(id);
  if (t) {
    cell.tested++;
    cell.bestScores.push(t.best);
  }
  if (t?.toPass) {
    cell.passed++;
    cell.attemptsToPass.push(t.toPass);
  }
}

/** Progress and test figures per municipality and learner group (groups in fixed order; all municipalities unless one is given). */
export async function progressByMunicipalityAndGroup(
  db: DbOrTrx,
  content: ElearningContent,
  opts: { municipalityCode?: number } = {},
): Promise<GroupProgress[]> {
  const learners = await learnersRepository.inScope(db, opts.municipalityCode);
  const waiting = await waitingPerGroup(db, opts.municipalityCode);
  if (!learners.length && ![...waiting.values()].some((w) => w.n > 0)) return [];
  const activity = await activityOf(db, opts.municipalityCode);
  const cells = new Map<string, GroupProgress>();
  const cellOf = (municipalityCode: number | null, group: LearnerGroup): GroupProgress => {
    const key = `${municipalityCode}|${group}`;
    if (!cells.has(key)) cells.set(key, emptyCell(municipalityCode, group));
    return cells.get(key)!;
  };
  for (const w of waiting.values()) if (w.n > 0) cellOf(w.municipalityCode, w.group).registered += w.n;
  for (const l of learners)
    countLearner(content, cellOf(l.municipalityCode, groupOf(l.group)), activity, l.id);
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
  const byQuestion = new Map<string, Array<{ correct: boolean; score: number }>>();
  for (const r of await quizRepository.submittedItems(db)) {
    const total = r.questionCount;
    const rest = total > 1 ? (r.correctCount - (r.correct ? 1 : 0)) / (total - 1) : 0;
    const list = byQuestion.get(r.questionId) ?? [];
    list.push({ correct: r.correct, score: rest });
    byQuestion.set(r.questionId, list);
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

/** The figures over the database the container gives it, for the reporting feature's dashboards and exports. */
export function createElearningStats({ db, content }: { db: DbOrTrx; content: ElearningContent }) {
  return {
    /** Progress per municipality and learner group (see progressByMunicipalityAndGroup). */
    progress: (opts: { municipalityCode?: number } = {}) => progressByMunicipalityAndGroup(db, content, opts),
    /** Share correct and discrimination per question of the bank. */
    questions: () => questionStats(db, content),
  };
}

/** E-learning figures as the reporting feature reads them. */
export type ElearningStats = ReturnType<typeof createElearningStats>;
