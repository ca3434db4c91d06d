import { describe, expect, it } from 'vitest';
import { ELEMENTS, SURVEY_GROUPS, type ElementKey, type SurveyGroup } from '../../src/surveys/groups.js';
import {
  combineCells,
  publishRound,
  type CellScores,
  type GroupInput,
  type Publication,
} from '../../src/surveys/anonymity.js';
import { MIN_K, effectiveK, publishComments } from '../../src/shared/k-anonymity.js';
import type { RespondentScores } from '../../src/surveys/scoring.js';
import { seededRng } from '../../src/shared/random.js';

/** n respondents who all score `value` in every element. */
function people(n: number, value = 4): RespondentScores[] {
  return Array.from({ length: n }, () => ({
    opmaerksomhed: value,
    motivation: value,
    viden: value,
    stoette: value,
    anerkendelse: value,
  }));
}

function round(sizes: Partial<Record<SurveyGroup, number | RespondentScores[]>>): GroupInput[] {
  return Object.entries(sizes).map(([group, v]) => ({
    group: group as SurveyGroup,
    respondents: typeof v === 'number' ? people(v) : (v ?? []),
  }));
}

const keys = (p: Publication) => p.cells.map((c) => c.key);

/** Cell scores with the same mean and n in every element unless overridden. */
function cellScores(
  mean: number | null,
  n: number,
  over: Partial<Record<ElementKey, { mean: number | null; n: number }>> = {},
): CellScores {
  return Object.fromEntries(ELEMENTS.map((e) => [e, { mean, n, status: null, ...over[e] }])) as CellScores;
}

describe('effectiveK', () => {
  it('when k is configured below 3, then 3 applies', () => {
    expect(effectiveK(2)).toBe(3);
    expect(effectiveK(0)).toBe(3);
    expect(effectiveK(-4)).toBe(3);
  });

  it('when k is 3 or more, then it applies, rounded down', () => {
    expect(effectiveK(3)).toBe(3);
    expect(effectiveK(5)).toBe(5);
    expect(effectiveK(7.9)).toBe(7);
  });

  it('when k is not a number, then it throws', () => {
    expect(() => effectiveK(Number.NaN)).toThrow(RangeError);
  });
});

describe('publishRound', () => {
  it('when every group with respondents has at least k, then all are visible and there is no pool', () => {
    const p = publishRound(
      round({
        'leder-ydelsescenter': 5,
        'leder-jobcenter': 6,
        'sagsbehandler-ydelsescenter': 7,
        informationssoegende: 8,
      }),
      5,
    );
    expect(p.belowK).toBe(false);
    expect(keys(p)).toEqual([
      'leder-ydelsescenter',
      'leder-jobcenter',
      'sagsbehandler-ydelsescenter',
      'informationssoegende',
    ]);
    expect(p.cells.map((c) => c.n)).toEqual([5, 6, 7, 8]);
    expect(p.cells[0]!.label).toBe('Leder af Ydelsescentret');
    expect(p.suppressedGroups).toEqual([]);
    expect(p.total!.n).toBe(26);
    expect(p.total!.key).toBe('total');
  });

  it('when a group has 0 respondents, then it is neither shown nor pooled', () => {
    const p = publishRound(round({ 'leder-jobcenter': 0, 'sagsbehandler-ydelsescenter': 9 }), 5);
    expect(keys(p)).toEqual(['sagsbehandler-ydelsescenter']);
    expect(p.suppressedGroups).toEqual([]);
    expect(p.total!.groups).toEqual(['sagsbehandler-ydelsescenter']);
  });

  it('when two groups are below k but together reach k, then both are pooled as Øvrige grupper', () => {
    const p = publishRound(
      round({
        'leder-ydelsescenter': people(2, 2),
        'leder-jobcenter': people(3, 4),
        'sagsbehandler-ydelsescenter': people(12, 3.5),
      }),
      5,
    );
    expect(keys(p)).toEqual(['sagsbehandler-ydelsescenter', 'oevrige']);
    const pool = p.cells[1]!;
    expect(pool.label).toBe('Øvrige grupper');
    expect(pool.groups).toEqual(['leder-ydelsescenter', 'leder-jobcenter']);
    expect(pool.n).toBe(5);
    // (2·2 + 3·4) / 5 = 3.2 -> følg op
    expect(pool.scores.motivation.mean).toBeCloseTo(3.2, 10);
    expect(pool.scores.motivation.status).toBe('folg-op');
    expect(p.suppressedGroups).toEqual(['leder-ydelsescenter', 'leder-jobcenter']);
    // total from the published cells: (2·2 + 3·4 + 12·3.5) / 17 = 58/17
    expect(p.total!.n).toBe(17);
    expect(p.total!.scores.viden.mean).toBeCloseTo(58 / 17, 10);
    expect(p.total!.scores.viden.status).toBe('folg-op');
  });

  it('when a single group is below k, then the smallest visible group joins the pool and loses its own cell', () => {
    const p = publishRound(
      round({
        'leder-ydelsescenter': people(1, 1),
        'sagsbehandler-ydelsescenter': people(12, 4),
        'sagsbehandler-udenfor': people(6, 3),
        informationssoegende: people(7, 5),
      }),
      5,
    );
    // pool {leder 1} < 5; smallest visible is sagsbehandler-udenfor (6) -> pool 7
    expect(keys(p)).toEqual(['sagsbehandler-ydelsescenter', 'informationssoegende', 'oevrige']);
    expect(keys(p)).not.toContain('sagsbehandler-udenfor');
    const pool = p.cells[2]!;
    expect(pool.groups).toEqual(['leder-ydelsescenter', 'sagsbehandler-udenfor']);
    expect(pool.n).toBe(7);
    // (1·1 + 6·3) / 7 = 19/7 ≈ 2.71 -> indsatsområde, and Opmærksomhed is the barrier
    expect(pool.scores.opmaerksomhed.mean).toBeCloseTo(19 / 7, 10);
    expect(pool.scores.opmaerksomhed.status).toBe('indsats');
    expect(pool.barrier).toBe('opmaerksomhed');
    // the one leder's own barrier is Opmærksomhed; the six at 3.0 also have it
    expect(pool.barrierDistribution).toEqual({
      opmaerksomhed: 7,
      motivation: 0,
      viden: 0,
      stoette: 0,
      anerkendelse: 0,
      ingen: 0,
    });
    expect(p.suppressedGroups).toEqual(['leder-ydelsescenter', 'sagsbehandler-udenfor']);
    expect(p.total!.n).toBe(26);
  });

  it('when two visible groups tie for smallest, then the first in group order joins the pool', () => {
    const p = publishRound(
      round({ 'leder-jobcenter': 2, 'sagsbehandler-ydelsescenter': 5, informationssoegende: 5 }),
      5,
    );
    expect(keys(p)).toEqual(['informationssoegende', 'oevrige']);
    expect(p.cells[1]!.groups).toEqual(['leder-jobcenter', 'sagsbehandler-ydelsescenter']);
  });

  it('when the municipality has fewer than k respondents in total, then no cells are shown, only that it is below k', () => {
    const p = publishRound(round({ 'leder-ydelsescenter': 1, 'sagsbehandler-ydelsescenter': 3 }), 5);
    expect(p.belowK).toBe(true);
    expect(p.totalRespondents).toBe(4);
    expect(p.cells).toEqual([]);
    expect(p.total).toBeNull();
    expect(p.suppressedGroups).toEqual(['leder-ydelsescenter', 'sagsbehandler-ydelsescenter']);
  });

  it('when k is configured as 1, then 3 applies: a group of 2 is pooled', () => {
    const p = publishRound(round({ 'leder-ydelsescenter': 2, 'sagsbehandler-ydelsescenter': 3 }), 1);
    expect(p.k).toBe(3);
    expect(keys(p)).toEqual(['oevrige']);
    expect(p.cells[0]!.n).toBe(5);
  });

  it('when the same group is given twice, then it throws', () => {
    expect(() =>
      publishRound(
        [
          { group: 'informationssoegende', respondents: people(5) },
          { group: 'informationssoegende', respondents: people(5) },
        ],
        5,
      ),
    ).toThrow(RangeError);
  });

  it('when ~500 random rounds are published, then no cell is below k, the pool protects hidden groups, and the total adds up', () => {
    const rng = seededRng(20261127);
    const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
    for (let iteration = 0; iteration < 500; iteration++) {
      const configuredK = int(1, 8) + (rng() < 0.2 ? 0.5 : 0);
      const sizes = SURVEY_GROUPS.map((g) => [g, rng() < 0.25 ? 0 : int(1, 15)] as const);
      const p = publishRound(
        sizes.map(([group, n]) => ({ group, respondents: people(n, int(1, 5)) })),
        configuredK,
      );
      const k = p.k;
      const context = `k=${configuredK} sizes=${JSON.stringify(sizes)}`;
      const sum = sizes.reduce((s, [, n]) => s + n, 0);

      expect(k, context).toBeGreaterThanOrEqual(3);
      expect(p.totalRespondents, context).toBe(sum);
      expect(p.belowK, context).toBe(sum < k);
      if (p.belowK) {
        expect(p.cells, context).toEqual([]);
        expect(p.total, context).toBeNull();
        continue;
      }

      // every published cell has at least k respondents
      for (const c of p.cells) expect(c.n, context).toBeGreaterThanOrEqual(k);

      // every group with respondents is in exactly one cell; groups with none are in no cell
      const members = p.cells.flatMap((c) => c.groups);
      expect([...members].sort(), context).toEqual(
        sizes
          .filter(([, n]) => n > 0)
          .map(([g]) => g)
          .sort(),
      );

      // total − visible group cells can only reveal the pool, and the pool is published with n ≥ k
      const pool = p.cells.find((c) => c.key === 'oevrige');
      const visibleSum = p.cells.filter((c) => c.key !== 'oevrige').reduce((s, c) => s + c.n, 0);
      if (p.suppressedGroups.length === 0) {
        expect(pool, context).toBeUndefined();
        expect(visibleSum, context).toBe(sum);
      } else {
        expect(pool, context).toBeDefined();
        expect(pool!.n, context).toBeGreaterThanOrEqual(k);
        expect(pool!.groups, context).toEqual(p.suppressedGroups);
        expect(sum - visibleSum, context).toBe(pool!.n);
        // a pool of one group would be that group's score under another name
        expect(pool!.groups.length, context).toBeGreaterThanOrEqual(2);
        expect(p.cells.at(-1), context).toBe(pool);
      }
      // no suppressed group has a cell of its own
      for (const g of p.suppressedGroups)
        expect(
          p.cells.some((c) => c.key === g),
          context,
        ).toBe(false);

      // the total comes from the published cells only
      expect(p.total!.n, context).toBe(p.cells.reduce((s, c) => s + c.n, 0));
    }
  });
});

describe('combineCells', () => {
  it('when cells are combined, then each element mean is weighted by that element n', () => {
    const combined = combineCells([
      { n: 5, scores: cellScores(4.0, 5, { motivation: { mean: 4.4, n: 5 } }) },
      {
        n: 10,
        scores: cellScores(2.5, 10, { motivation: { mean: null, n: 0 }, viden: { mean: 3.4, n: 8 } }),
      },
    ]);
    // (4.0·5 + 2.5·10) / 15 = 3.0
    expect(combined.opmaerksomhed.mean).toBeCloseTo(3.0, 10);
    expect(combined.opmaerksomhed.n).toBe(15);
    expect(combined.opmaerksomhed.status).toBe('indsats');
    // a cell without a motivation score adds nothing
    expect(combined.motivation).toEqual({ mean: 4.4, n: 5, status: 'ok' });
    // (4.0·5 + 3.4·8) / 13 = 47.2 / 13 ≈ 3.63
    expect(combined.viden.mean).toBeCloseTo(47.2 / 13, 10);
    expect(combined.viden.n).toBe(13);
    expect(combined.viden.status).toBe('folg-op');
  });

  it('when nothing is combined, then every element is null', () => {
    const combined = combineCells([]);
    for (const e of ELEMENTS) expect(combined[e]).toEqual({ mean: null, n: 0, status: null });
  });

  it('when a round’s published cells are combined, then they match its total', () => {
    const p = publishRound(
      round({
        'leder-ydelsescenter': people(1, 1),
        'sagsbehandler-ydelsescenter': people(12, 4),
        'sagsbehandler-udenfor': people(6, 3),
      }),
      5,
    );
    const combined = combineCells(p.cells);
    // (1 + 48 + 18) / 19 = 67/19
    expect(combined.stoette.mean).toBeCloseTo(67 / 19, 10);
    expect(combined.stoette.mean).toBeCloseTo(p.total!.scores.stoette.mean!, 10);
    expect(combined.stoette.n).toBe(19);
  });
});

describe('publishComments', () => {
  const comments = [
    '  Mere tid til e-læring  ',
    'Hvornår går vi live?',
    '   ',
    '',
    'Superbrugerne hjælper meget',
  ];
  const kept = ['Mere tid til e-læring', 'Hvornår går vi live?', 'Superbrugerne hjælper meget'];

  it('when the round has 9 respondents, then no comments are shown', () => {
    expect(publishComments(comments, 9, MIN_K)).toEqual([]);
  });

  it('when the round has 10 respondents, then every non-empty comment is shown once, trimmed', () => {
    const out = publishComments(comments, 10, MIN_K);
    expect([...out].sort()).toEqual([...kept].sort());
  });

  it('when the rng differs, then the order differs (Fisher–Yates)', () => {
    const abcd = ['a', 'b', 'c', 'd'];
    // rng 0 always swaps with index 0: [d,b,c,a] -> [c,b,d,a] -> [b,c,d,a]
    expect(publishComments(abcd, 10, MIN_K, () => 0)).toEqual(['b', 'c', 'd', 'a']);
    // rng just below 1 always swaps an element with itself
    expect(publishComments(abcd, 10, MIN_K, () => 0.999)).toEqual(['a', 'b', 'c', 'd']);
    // rng exactly 1 is clamped rather than reading past the end
    expect(publishComments(abcd, 10, MIN_K, () => 1)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('when comments are shuffled, then the input is left as it was', () => {
    const input = ['x', 'y', 'z'];
    publishComments(input, 12, MIN_K, () => 0);
    expect(input).toEqual(['x', 'y', 'z']);
  });
});
