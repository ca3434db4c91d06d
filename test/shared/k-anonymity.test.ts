import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMMENT_MIN_RESPONDENTS,
  MIN_K,
  commentThreshold,
  effectiveK,
  publishComments,
  suppressBelowK,
} from '../../src/shared/k-anonymity.js';
import { evaluationReport, type EvaluationRow } from '../../src/elearning/evaluations.service.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { planAndTick, roundId } from '../surveys/support.js';

const texts = (n: number) => Array.from({ length: n }, (_, i) => `kommentar ${i}`);
const form = { items: [{ id: 'q1', kind: 'satisfaction' as const, text: 'Godt kursus' }] };
const evaluations = (n: number): EvaluationRow[] =>
  texts(n).map((comment) => ({ answers: { q1: 4 }, comment }));

/** Survey comments (publishComments) and evaluation comments (evaluationReport) under the same k. */
const published = (n: number, k: number) => ({
  survey: publishComments(texts(n), n, k).length,
  evaluation: evaluationReport(form, evaluations(n), k).comments?.length ?? 0,
});

describe('k-anonymity', () => {
  it('when a figure covers fewer than the effective k people, then it is suppressed, and from k up it is not', () => {
    expect(suppressBelowK(4, 5)).toBe(true);
    expect(suppressBelowK(5, 5)).toBe(false);
    // A configured k below the minimum is never honoured as such.
    expect(suppressBelowK(MIN_K - 1, 1)).toBe(true);
    expect(suppressBelowK(MIN_K, 1)).toBe(false);
    expect(effectiveK(1)).toBe(MIN_K);
  });

  it('when the comment threshold is asked for, then it is the larger of the effective k and 10', () => {
    expect(COMMENT_MIN_RESPONDENTS).toBe(10);
    expect(commentThreshold(2)).toBe(10);
    expect(commentThreshold(5)).toBe(10);
    expect(commentThreshold(12)).toBe(12);
    expect(commentThreshold(12.7)).toBe(12);
  });

  it('when k is 12, then neither survey nor evaluation comments of 11 respondents are published, and those of 12 are', () => {
    expect(published(11, 12)).toEqual({ survey: 0, evaluation: 0 });
    expect(published(12, 12)).toEqual({ survey: 12, evaluation: 12 });
  });

  it('when k is 5, then neither survey nor evaluation comments of 9 respondents are published, and those of 10 are', () => {
    expect(published(9, 5)).toEqual({ survey: 0, evaluation: 0 });
    expect(published(10, 5)).toEqual({ survey: 10, evaluation: 10 });
  });

  it('when an evaluation is below the comment threshold, then its comments are null (not shown) while the means follow k alone', () => {
    const report = evaluationReport(form, evaluations(9), 5);
    expect(report.comments).toBeNull();
    expect(report.suppressed).toBe(false);
    expect(report.items[0]!.mean).toBe(4);
  });
});

describe('k-anonymity in the services (k = 12)', () => {
  let t: TestApp;
  const ITEMS = ['opm1', 'mot1', 'vid1', 'sto1', 'ane1'];

  async function surveyResponses(code: number, n: number) {
    const round = await roundId(t, code, 1);
    for (let i = 0; i < n; i++) {
      await t.db('survey_responses').insert({
        id: crypto.randomUUID(),
        round_id: round,
        municipality_code: code,
        round_no: 1,
        survey_group: 'sagsbehandler-ydelsescenter',
        instrument_version: 1,
        answers: JSON.stringify(Object.fromEntries(ITEMS.map((id) => [id, 4]))),
        comment: `kommentar ${i}`,
      });
    }
    return round;
  }

  async function evaluationResponses(code: number, n: number) {
    for (let i = 0; i < n; i++) {
      await t.db('evaluation_responses').insert({
        id: crypto.randomUUID(),
        municipality_code: code,
        kind: 'elearning',
        course_session_id: null,
        answers: JSON.stringify({}),
        comment: `kommentar ${i}`,
      });
    }
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { K_THRESHOLD: '12' } });
    await planAndTick(t, 751, '2026-01-15');
    await planAndTick(t, 101, '2026-01-15');
  });
  afterAll(async () => t.close());

  it('when a closed survey round has 11 respondents with comments, then none are shown, and with 12 all are', async () => {
    const eleven = await surveyResponses(751, 11);
    const twelve = await surveyResponses(101, 12);
    const results = t.deps.surveys.results;
    expect((await results.forRound(751, eleven)).comments).toEqual([]);
    expect((await results.forRound(101, twelve)).comments).toHaveLength(12);
  });

  it('when the e-learning evaluation has 11 responses with comments, then none are shown, and with 12 all are', async () => {
    await evaluationResponses(751, 11);
    await evaluationResponses(101, 12);
    const service = t.deps.elearning.evaluations;
    expect((await service.elearningReport(751)).comments).toBeNull();
    expect((await service.elearningReport(101)).comments).toHaveLength(12);
  });
});
