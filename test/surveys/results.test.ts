import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../support/app.js';
import { loadInstruments } from '../../src/surveys/instrument.js';
import { addParticipant, loggedIn, planAndTick, roundId } from './support.js';

let t: TestApp;
let round: number;
const ITEMS: Record<string, string[]> = {
  opmaerksomhed: ['opm1', 'opm2', 'opm3', 'opm4'],
  motivation: ['mot1', 'mot2', 'mot3', 'mot4'],
  viden: ['vid1', 'vid2', 'vid3', 'vid4'],
  stoette: ['sto1', 'sto2', 'sto3', 'sto4'],
  anerkendelse: ['ane1', 'ane2', 'ane3', 'ane4'],
};
const answers = (scores: number[]) =>
  JSON.stringify(
    Object.fromEntries(Object.values(ITEMS).flatMap((ids, i) => ids.map((id) => [id, scores[i]!]))),
  );

async function respond(group: string, scores: number[], comment: string | null = null) {
  await t.db('survey_responses').insert({
    id: crypto.randomUUID(),
    round_id: round,
    municipality_code: 751,
    round_no: 1,
    survey_group: group,
    instrument_version: 1,
    answers: answers(scores),
    comment,
  });
  const pid = await addParticipant(t, 751, { email: `${crypto.randomUUID()}@aarhus.example.dk`, group });
  await t.db('survey_participation').insert({ round_id: round, participant_id: pid, submitted: true });
}

beforeAll(async () => {
  t = await createTestApp();
  await planAndTick(t, 751, '2026-01-15');
  await planAndTick(t, 101, '2026-01-15');
  round = await roundId(t, 751, 1);
  expect((await t.db('survey_rounds').where({ id: round }).first()).state).toBe('closed');
  // Six caseworkers: Motivation 3.0 is the barrier although Viden is lower.
  for (let i = 0; i < 6; i++)
    await respond('sagsbehandler-ydelsescenter', [4, 3, 2, 4, 5], i < 5 ? `kommentar ${i}` : null);
  // Two leaders of the job centre and two of the benefits centre: pooled (4 < 5), so the smallest visible group joins.
  for (let i = 0; i < 2; i++) await respond('leder-jobcenter', [5, 5, 5, 5, 5]);
  for (let i = 0; i < 2; i++) await respond('leder-ydelsescenter', [5, 4, 4, 4, 4], `leder ${i}`);
  // Five outside the centre, all 4.5 or so.
  for (let i = 0; i < 5; i++) await respond('sagsbehandler-udenfor', [5, 4, 4, 4, 4]);
  // One invited but not answering.
  await addParticipant(t, 751, { email: 'silent@aarhus.example.dk', group: 'informationssoegende' });
});
afterAll(async () => t.close());

const leader = { municipality: 751, roles: ['projektleder'], email: 'pl@aarhus.example.dk' };

describe('results page', () => {
  it('when the project leader opens a closed round, then scores, status words, barrier and response rates are shown with the k-rule applied', async () => {
    const agent = await loggedIn(t, leader);
    const page = await agent.get(`/kommune/resultater/${round}`).expect(200);
    const html = page.text;
    expect(html).toContain('Sagsbehandler i Ydelsescentret');
    expect(html).toContain('3,0 (indsatsområde) <strong>– barriere</strong>');
    expect(html).toContain('2,0 (indsatsområde)</td>');
    expect(html).toContain('4,0 (OK)');
    // Leaders (2 + 2) are below k: pooled with the smallest visible group (5 outside the centre) as "Øvrige grupper".
    expect(html).toContain('Øvrige grupper');
    expect(html).toMatch(
      /Øvrige grupper <span class="muted">\(Leder af Ydelsescentret, Leder af Jobcenteret, Sagsbehandler uden for Ydelsescentret\)<\/span><\/th>\s*<td class="num">9<\/td>/,
    );
    expect(html).not.toMatch(
      /<th scope="row">Leder af Jobcenteret<\/th>\s*<td class="num">2<\/td>\s*<td class="status/,
    );
    expect(html).toContain('Motivation. ');
    // Response rates at any size: 2 of 2 leaders, 0 of 1 information seeker.
    expect(html).toMatch(
      /<th scope="row">Leder af Jobcenteret<\/th><td class="num">2<\/td><td class="num">2<\/td><td class="num">100 %<\/td>/,
    );
    expect(html).toMatch(
      /<th scope="row">Informationssøgende medarbejder<\/th><td class="num">1<\/td><td class="num">0<\/td><td class="num">0 %<\/td>/,
    );
    expect(html).toContain('kommentar 0');
    expect(html).toContain('leder 1');
  });

  it('when the head of the benefits centre opens the same page, then scores are shown but not the free-text comments', async () => {
    const agent = await loggedIn(t, {
      municipality: 751,
      roles: ['leder-ydelsescenter'],
      email: 'head@aarhus.example.dk',
    });
    const page = await agent.get(`/kommune/resultater/${round}`).expect(200);
    expect(page.text).toContain('Sagsbehandler i Ydelsescentret');
    expect(page.text).not.toContain('kommentar 0');
  });

  it("when a project leader asks for another municipality's round by id, then it is not found", async () => {
    const other = await roundId(t, 101, 1);
    const agent = await loggedIn(t, leader);
    expect((await agent.get(`/kommune/resultater/${other}`)).status).toBe(404);
  });

  it('when a municipality has fewer than k respondents in total, then only the response rate is shown', async () => {
    const other = await roundId(t, 101, 1);
    await t.db('survey_responses').insert({
      id: crypto.randomUUID(),
      round_id: other,
      municipality_code: 101,
      round_no: 1,
      survey_group: 'leder-jobcenter',
      instrument_version: 1,
      answers: answers([1, 1, 1, 1, 1]),
      comment: 'hemmelig',
    });
    const agent = await loggedIn(t, {
      municipality: 101,
      roles: ['projektleder'],
      email: 'pl@kk.example.dk',
    });
    const page = await agent.get(`/kommune/resultater/${other}`).expect(200);
    expect(page.text).toContain('Der er færre end 5 besvarelser i alt');
    expect(page.text).not.toContain('1,0');
    expect(page.text).not.toContain('hemmelig');
  });

  it('when a caseworker or KOMBIT opens a municipality results page, then access is refused', async () => {
    const cw = await loggedIn(t, {
      municipality: 751,
      roles: ['sagsbehandler-ydelsescenter'],
      email: 'cw@aarhus.example.dk',
    });
    expect((await cw.get(`/kommune/resultater/${round}`)).status).toBe(403);
    const kombit = await loggedIn(t, { roles: ['kombit'], email: 'k@kombit.example.dk' });
    expect((await kombit.get(`/kommune/resultater/${round}`)).status).toBe(403);
  });
});

describe('instrument content', () => {
  it('when an instrument file is broken, then the error names the file and the field', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'instr-'));
    const good = JSON.parse(fs.readFileSync(path.resolve('content/surveys/instrument-v1.json'), 'utf8'));
    good.elements[2].items = good.elements[2].items.slice(0, 3);
    fs.writeFileSync(path.join(dir, 'instrument-v1.json'), JSON.stringify(good));
    expect(() => loadInstruments(dir)).toThrow(
      /instrument-v1\.json: elements\.2\.items: mindst fire udsagn pr\. element/,
    );
    good.elements[2].items.push({ id: 'opm1', text: 'Et udsagn med et id, der findes i forvejen.' });
    fs.writeFileSync(path.join(dir, 'instrument-v1.json'), JSON.stringify(good));
    expect(() => loadInstruments(dir)).toThrow(/udsagns-id "opm1" findes flere gange/);
    const swapped = JSON.parse(fs.readFileSync(path.resolve('content/surveys/instrument-v1.json'), 'utf8'));
    [swapped.elements[0], swapped.elements[1]] = [swapped.elements[1], swapped.elements[0]];
    fs.writeFileSync(path.join(dir, 'instrument-v1.json'), JSON.stringify(swapped));
    expect(() => loadInstruments(dir)).toThrow(/elements: elementerne skal stå i rækkefølgen/);
  });

  it('when the shipped instrument loads, then it has five elements in order with at least four items each', () => {
    const inst = loadInstruments().get(1)!;
    expect(inst.elements.map((e) => e.key)).toEqual([
      'opmaerksomhed',
      'motivation',
      'viden',
      'stoette',
      'anerkendelse',
    ]);
    for (const e of inst.elements) expect(e.items.length).toBeGreaterThanOrEqual(4);
  });
});
