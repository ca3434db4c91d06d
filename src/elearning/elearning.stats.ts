import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';
import type { ElearningContent } from './content.loader.js';
import { LEARNER_GROUPS, LEARNER_GROUP_LABELS, type LearnerGroup } from './learners.js';

/**
 * Figures for the dashboards: progress and pass rate per municipality and learner group, and item
 * statistics per test question. These are personal-data aggregates (not anonymous survey answers);
 * the dashboards decide what to publish.
 */

export type GroupProgress = {
  municipalityCode: number | null;
  group: LearnerGroup;
  groupLabel: string;
  /** Learners who have opened the e-learning. */
  learners: number;
  /** Completions per module slug (distinct learners). */
  completedByModule: Record<string, number>;
  /** Learners who completed every module meant for their group. */
  completedAll: number;
  /** Learners with at least one submitted attempt. */
  tested: number;
  /** Learners with at least one passed attempt (best attempt counts). */
  passed: number;
  /** passed / learners, null without learners. */
  passRate: number | null;
};

/** Progress and pass rate per municipality and learner group (groups in fixed order; all municipalities unless one is given). */
export async function progressByMunicipalityAndGroup(
  db: DbOrTrx,
  content: ElearningContent,
  opts: { municipalityCode?: number } = {},
): Promise<GroupProgress[]> {
  // Sub-queries rather than id lists, so the figures scale past SQLite's bound-parameter limit.
  const scope = (q: Knex.QueryBuilder): Knex.QueryBuilder => (opts.municipalityCode !== undefined ? q.where('l.municipality_code', opts.municipalityCode) : q);
  const learners: Array<{ id: number; municipality_code: number | null; learner_group: string }> = await scope(db('learners as l')).select('l.id', 'l.municipality_code', 'l.learner_group');
  if (!learners.length) return [];
  const completions: Array<{ learner_id: number; module_slug: string }> = await scope(db('elearning_progress as p').join('learners as l', 'l.id', 'p.learner_id'))
    .whereNotNull('p.completed_at')
    .select('p.learner_id', 'p.module_slug');
  const attempts: Array<{ learner_id: number; passed: boolean | number | null }> = await scope(db('quiz_attempts as a').join('learners as l', 'l.id', 'a.learner_id'))
    .whereNotNull('a.submitted_at')
    .select('a.learner_id', 'a.passed');
  const tested = new Set(attempts.map((r) => Number(r.learner_id)));
  const passed = new Set(attempts.filter((r) => Boolean(r.passed)).map((r) => Number(r.learner_id)));
  const doneBy = new Map<number, Set<string>>();
  for (const c of completions) {
    const id = Number(c.learner_id);
    if (!doneBy.has(id)) doneBy.set(id, new Set());
    doneBy.get(id)!.add(String(c.module_slug));
  }
  const required = (group: LearnerGroup) => content.modules.filter((m) => m.audience === 'all' || group === 'superbrugere').map((m) => m.slug);

  const cells = new Map<string, GroupProgress>();
  for (const l of learners) {
    const municipalityCode = l.municipality_code === null ? null : Number(l.municipality_code);
    const group = (LEARNER_GROUPS as readonly string[]).includes(l.learner_group) ? (l.learner_group as LearnerGroup) : 'oevrige';
    const key = `${municipalityCode}|${group}`;
    let cell = cells.get(key);
    if (!cell) {
      cell = { municipalityCode, group, groupLabel: LEARNER_GROUP_LABELS[group], learners: 0, completedByModule: {}, completedAll: 0, tested: 0, passed: 0, passRate: null };
      cells.set(key, cell);
    }
    const id = Number(l.id);
    const done = doneBy.get(id) ?? new Set<string>();
    cell.learners++;
    for (const slug of done) cell.completedByModule[slug] = (cell.completedByModule[slug] ?? 0) + 1;
    if (required(group).every((s) => done.has(s))) cell.completedAll++;
    if (tested.has(id)) cell.tested++;
    if (passed.has(id)) cell.passed++;
  }
  return [...cells.values()]
    .map((c) => ({ ...c, passRate: c.learners ? c.passed / c.learners : null }))
    .sort((a, b) => (a.municipalityCode ?? 0) - (b.municipalityCode ?? 0) || LEARNER_GROUPS.indexOf(a.group) - LEARNER_GROUPS.indexOf(b.group));
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
