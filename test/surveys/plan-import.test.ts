import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { parseDanishDate, parsePlanCsv } from '../../src/municipalities/plan-import.js';
import { loggedIn, tokenOf } from './support.js';

let t: TestApp;
const clock = new FixedClock(new Date('2026-11-27T08:00:00Z'));
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => t.close());

const kombit = { roles: ['kombit'], email: 'k@kombit.example.dk' };

describe('wave and go-live CSV', () => {
  it('when dates come as ISO or Danish day-month-year, then both are read; impossible dates are not', () => {
    expect(parseDanishDate('2027-05-03')).toBe('2027-05-03');
    expect(parseDanishDate('3-5-2027')).toBe('2027-05-03');
    expect(parseDanishDate('03.05.2027')).toBe('2027-05-03');
    expect(parseDanishDate('31-02-2027')).toBeNull();
  });

  it('when rows are bad, then each is named by line, and nothing is imported', async () => {
    const codes = new Set([101, 751]);
    const { problems } = parsePlanCsv(
      'kommunekode;bolge;golive\n751;9;2027-05-03\n999;3;2027-05-03\n101;4;32-13-2027\n101;4;2027-06-01\n',
      codes,
    );
    expect(problems).toEqual([
      { line: 2, reason: 'bølge skal være 1–8, ikke "9"' },
      { line: 3, reason: 'ukendt kommunekode "999"' },
      { line: 4, reason: 'ugyldig dato "32-13-2027" (brug ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ)' },
      { line: 5, reason: 'kommunen står også på linje 4' },
    ]);
    const agent = await loggedIn(t, kombit);
    const csrf = await tokenOf(agent, '/national/plan');
    const res = await agent
      .post(`/national/plan?_csrf=${encodeURIComponent(csrf)}`)
      .attach(
        'fil',
        Buffer.from('\uFEFFkommunekode;bolge;golive\r\n751;3;2027-05-03\r\n999;3;2027-05-03\r\n'),
        'plan.csv',
      );
    expect(res.status).toBe(422);
    expect(res.text).toContain('Linje 3: ukendt kommunekode');
    expect((await t.db('municipalities').where({ code: 751 }).first()).wave).toBeNull();
  });

  it('when a good file is imported, then waves and go-live are set and unopened rounds are planned from them', async () => {
    const agent = await loggedIn(t, kombit);
    const csrf = await tokenOf(agent, '/national/plan');
    const res = await agent
      .post(`/national/plan?_csrf=${encodeURIComponent(csrf)}`)
      .attach(
        'fil',
        Buffer.from('\uFEFFkommunekode;bolge;golive\r\n751;3;01-06-2027\r\n101;4;2027-09-01\r\n'),
        'plan.csv',
      );
    expect(res.status).toBe(303);
    expect(
      await t
        .db('municipalities')
        .whereIn('code', [101, 751])
        .orderBy('code')
        .select('code', 'wave', 'go_live'),
    ).toEqual([
      { code: 101, wave: 4, go_live: '2027-09-01' },
      { code: 751, wave: 3, go_live: '2027-06-01' },
    ]);
    const rounds = await t
      .db('survey_rounds')
      .where({ municipality_code: 751 })
      .orderBy('round_no')
      .pluck('opens_on');
    expect(rounds).toEqual(['2026-12-01', '2027-07-01', '2027-12-01']);
    expect((await agent.get('/national/plan').expect(200)).text).toContain('2 kommuner er opdateret.');
  });

  it('when someone other than KOMBIT posts a plan, then it is refused', async () => {
    const pl = await loggedIn(t, {
      municipality: 751,
      roles: ['projektleder'],
      email: 'pl@aarhus.example.dk',
    });
    expect((await pl.get('/national/plan')).status).toBe(403);
  });
});
