import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { combineCells, publishRound, type PublishedCell } from '../../src/surveys/anonymity.js';
import { ELEMENTS, SURVEY_GROUPS, type SurveyGroup } from '../../src/surveys/groups.js';
import type { RespondentScores } from '../../src/surveys/scoring.js';

const respondent = fc.record(
  Object.fromEntries(
    ELEMENTS.map((e) => [
      e,
      fc.option(
        fc.integer({ min: 10, max: 50 }).map((x) => x / 10),
        { nil: null, freq: 8 },
      ),
    ]),
  ) as Record<string, fc.Arbitrary<number | null>>,
) as fc.Arbitrary<RespondentScores>;
const municipality = fc.record({
  wave: fc.integer({ min: 1, max: 3 }),
  region: fc.constantFrom('Hovedstaden', 'Sjælland', 'Syddanmark'),
  groups: fc.tuple(...SURVEY_GROUPS.map(() => fc.array(respondent, { maxLength: 12 }))),
});

type Scored = { key: string; n: number; scores: ReturnType<typeof combineCells> };

/** Respondent-level mean of one element over the given respondents (brute force, independent of the module). */
function bruteMean(respondents: RespondentScores[], e: (typeof ELEMENTS)[number]): number | null {
  const xs = respondents.map((r) => r[e]).filter((x): x is number => x !== null);
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}

describe('k-threshold over random municipalities (fast-check)', () => {
  it('when any set of municipalities is published and aggregated, then no cell or aggregate has n < k and no hidden group can be isolated', () => {
    fc.assert(
      fc.property(
        fc.array(municipality, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 3, max: 7 }),
        (munis, k) => {
          const published: Array<{
            wave: number;
            region: string;
            cell: PublishedCell;
            members: RespondentScores[];
          }> = [];
          for (const m of munis) {
            const input = SURVEY_GROUPS.map((g, i) => ({ group: g, respondents: m.groups[i]! })).filter(
              (g) => g.respondents.length > 0,
            );
            const pub = publishRound(input, k);
            const total = input.reduce((s, g) => s + g.respondents.length, 0);
            const size = (g: SurveyGroup) => input.find((x) => x.group === g)?.respondents.length ?? 0;
            if (total < k) {
              // Below k in total: response rates only.
              expect(pub.belowK).toBe(true);
              expect(pub.cells).toEqual([]);
              expect(pub.total).toBeNull();
              continue;
            }
            const hidden = new Set(pub.suppressedGroups);
            for (const cell of pub.cells) {
              expect(cell.n).toBeGreaterThanOrEqual(k);
              const members = cell.groups.flatMap((g) => input.find((x) => x.group === g)!.respondents);
              expect(cell.n).toBe(members.length);
              if (cell.key === 'oevrige') {
                // A pool always holds at least two groups with respondents, so no single hidden group is a cell.
                expect(cell.groups.filter((g) => size(g) > 0).length).toBeGreaterThanOrEqual(2);
                for (const g of cell.groups) expect(hidden.has(g)).toBe(true);
              } else {
                expect(cell.groups).toEqual([cell.key]);
                expect(hidden.has(cell.key as SurveyGroup)).toBe(false);
              }
              published.push({ wave: m.wave, region: m.region, cell, members });
            }
            // Every group with respondents is in exactly one published cell; hidden ones only inside the pool.
            for (const g of input.map((x) => x.group))
              expect(pub.cells.filter((c) => c.groups.includes(g))).toHaveLength(1);
            // Subtracting the visible groups from the total leaves the pool (n ≥ k), never one hidden group.
            const visibleN = pub.cells.filter((c) => c.key !== 'oevrige').reduce((s, c) => s + c.n, 0);
            const residual = pub.total!.n - visibleN;
            expect(residual === 0 || residual >= k).toBe(true);
            if (hidden.size) expect(residual).toBe(pub.cells.find((c) => c.key === 'oevrige')!.n);
            // …and that residual always holds more than any one hidden group, so none can be read off it.
            for (const g of hidden) expect(residual).toBeGreaterThan(size(g));
          }

          // Higher aggregates (wave, region, national per group, national total) are built from published cells only,
          // so each equals the brute-force mean over exactly the respondents of the published cells it covers.
          const check = (cells: typeof published, agg: Scored['scores']) => {
            const respondents = cells.flatMap((c) => c.members);
            for (const e of ELEMENTS) {
              const expected = bruteMean(respondents, e);
              if (expected === null) expect(agg[e].mean).toBeNull();
              else expect(agg[e].mean).toBeCloseTo(expected, 9);
            }
            for (const c of cells) expect(c.cell.n).toBeGreaterThanOrEqual(k);
          };
          for (const wave of [1, 2, 3]) {
            const cells = published.filter((p) => p.wave === wave);
            check(cells, combineCells(cells.map((c) => c.cell)));
          }
          for (const region of ['Hovedstaden', 'Sjælland', 'Syddanmark']) {
            const cells = published.filter((p) => p.region === region);
            check(cells, combineCells(cells.map((c) => c.cell)));
          }
          for (const g of SURVEY_GROUPS) {
            const cells = published.filter((p) => p.cell.key === g);
            check(cells, combineCells(cells.map((c) => c.cell)));
          }
          check(published, combineCells(published.map((c) => c.cell)));
        },
      ),
      { numRuns: 300, seed: 20261127 },
    );
  });

  it('when a group of 4 answers, then its own score appears in no cell for any k ≥ 5', () => {
    fc.assert(
      fc.property(
        fc.array(respondent, { minLength: 4, maxLength: 4 }),
        fc.array(respondent, { minLength: 0, maxLength: 15 }),
        (small, other) => {
          const pub = publishRound(
            [
              { group: 'leder-jobcenter', respondents: small },
              ...(other.length
                ? [{ group: 'sagsbehandler-ydelsescenter' as const, respondents: other }]
                : []),
            ],
            5,
          );
          for (const cell of pub.cells) expect(cell.groups).not.toEqual(['leder-jobcenter']);
          if (pub.total) expect(pub.total.n).toBeGreaterThanOrEqual(5);
        },
      ),
      { numRuns: 200, seed: 4 },
    );
  });
});
