import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ExcelJS from 'exceljs';
import { createTestApp, type TestApp } from '../support/app.js';
import { planAndTick, roundId } from '../surveys/support.js';
import { readinessCsvBuffer, readinessXlsxBuffer } from '../../src/reporting/readiness.export.js';

let t: TestApp;
const ITEMS = [
  ['opm1', 'opm2', 'opm3', 'opm4'],
  ['mot1', 'mot2', 'mot3', 'mot4'],
  ['vid1', 'vid2', 'vid3', 'vid4'],
  ['sto1', 'sto2', 'sto3', 'sto4'],
  ['ane1', 'ane2', 'ane3', 'ane4'],
];
async function respond(code: number, round: number, group: string, perElement: Array<Array<number | null>>) {
  const answers = Object.fromEntries(
    ITEMS.flatMap((ids, e) => ids.map((id, i) => [id, perElement[e]![i % perElement[e]!.length]!])),
  );
  await t.db('survey_responses').insert({
    id: crypto.randomUUID(),
    round_id: round,
    municipality_code: code,
    round_no: 1,
    survey_group: group,
    instrument_version: 1,
    answers: JSON.stringify(answers),
    comment: null,
  });
}

beforeAll(async () => {
  t = await createTestApp();
  await planAndTick(t, 751, '2026-01-15', 3);
  await planAndTick(t, 147, '2026-01-15', 3);
  const aarhus = await roundId(t, 751, 1);
  // Caseworkers (6): element means 4.0, 3.5, 2.74 (one "ved ikke"), 3.0, 4.5.
  for (let i = 0; i < 6; i++) {
    await respond(751, aarhus, 'sagsbehandler-ydelsescenter', [
      [4],
      [3, 4],
      i === 0 ? [3, 3, null, 2] : [3, 3, 3, 2],
      [3],
      [i === 0 ? 2 : 5],
    ]);
  }
  // Outside the centre (5) all 5s; one job-centre leader (1) all 1s: pooled with the smallest visible group (outside, 5).
  for (let i = 0; i < 5; i++) await respond(751, aarhus, 'sagsbehandler-udenfor', [[5], [5], [5], [5], [5]]);
  await respond(751, aarhus, 'leder-jobcenter', [[1], [1], [1], [1], [1]]);
  // Frederiksberg: 2 respondents in total, below k.
  const fred = await roundId(t, 147, 1);
  await respond(147, fred, 'sagsbehandler-ydelsescenter', [[4], [4], [4], [4], [4]]);
  await respond(147, fred, 'sagsbehandler-ydelsescenter', [[2], [2], [2], [2], [2]]);
});
afterAll(async () => t.close());

const EXPECTED_EXCEL = [
  'kommunekode;kommune;region;bolge;runde;gruppe;element;besvarelser;gennemsnit;status',
  '147;Frederiksberg;Hovedstaden;3;1/3;Sagsbehandler i Ydelsescentret;Opmærksomhed;2;;for få besvarelser',
  '147;Frederiksberg;Hovedstaden;3;1/3;Sagsbehandler i Ydelsescentret;Motivation;2;;for få besvarelser',
  '147;Frederiksberg;Hovedstaden;3;1/3;Sagsbehandler i Ydelsescentret;Viden/Færdigheder;2;;for få besvarelser',
  '147;Frederiksberg;Hovedstaden;3;1/3;Sagsbehandler i Ydelsescentret;Støtte;2;;for få besvarelser',
  '147;Frederiksberg;Hovedstaden;3;1/3;Sagsbehandler i Ydelsescentret;Anerkendelse;2;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Leder af Jobcenteret;Opmærksomhed;1;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Leder af Jobcenteret;Motivation;1;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Leder af Jobcenteret;Viden/Færdigheder;1;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Leder af Jobcenteret;Støtte;1;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Leder af Jobcenteret;Anerkendelse;1;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler i Ydelsescentret;Opmærksomhed;6;4,0;OK',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler i Ydelsescentret;Motivation;6;3,5;følg op',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler i Ydelsescentret;Viden/Færdigheder;6;2,7;indsatsområde',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler i Ydelsescentret;Støtte;6;3,0;indsatsområde',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler i Ydelsescentret;Anerkendelse;6;4,5;OK',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler uden for Ydelsescentret;Opmærksomhed;5;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler uden for Ydelsescentret;Motivation;5;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler uden for Ydelsescentret;Viden/Færdigheder;5;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler uden for Ydelsescentret;Støtte;5;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Sagsbehandler uden for Ydelsescentret;Anerkendelse;5;;for få besvarelser',
  '751;Aarhus;Midtjylland;3;1/3;Øvrige grupper;Opmærksomhed;6;4,3;OK',
  '751;Aarhus;Midtjylland;3;1/3;Øvrige grupper;Motivation;6;4,3;OK',
  '751;Aarhus;Midtjylland;3;1/3;Øvrige grupper;Viden/Færdigheder;6;4,3;OK',
  '751;Aarhus;Midtjylland;3;1/3;Øvrige grupper;Støtte;6;4,3;OK',
  '751;Aarhus;Midtjylland;3;1/3;Øvrige grupper;Anerkendelse;6;4,3;OK',
];

describe('readiness export', () => {
  it('when exported in the Danish Excel dialect, then the bytes are exactly the golden file (BOM, ;, decimal comma, CRLF, suppressed rows)', async () => {
    const buf = await readinessCsvBuffer(t.deps, {});
    const expected = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(EXPECTED_EXCEL.join('\r\n') + '\r\n', 'utf8'),
    ]);
    expect(buf.toString('utf8').split('\r\n')).toEqual(expected.toString('utf8').split('\r\n'));
    expect(buf.equals(expected)).toBe(true);
  });

  it('when exported with dialect rfc4180, then commas and decimal points are used, without BOM', async () => {
    const buf = await readinessCsvBuffer(t.deps, {}, 'rfc4180');
    const expected =
      EXPECTED_EXCEL.map((l) =>
        l
          .replace(/(\d),(\d)/g, '$1.$2')
          .split(';')
          .join(','),
      ).join('\r\n') + '\r\n';
    expect(buf[0]).not.toBe(0xef);
    expect(buf.toString('utf8')).toBe(expected);
  });

  it('when filtered to one municipality, then only its rows are exported', async () => {
    const text = (await readinessCsvBuffer(t.deps, { municipalityCode: 147 })).toString('utf8');
    expect(text.trim().split('\r\n')).toHaveLength(6);
  });

  it('when exported as XLSX and read back with exceljs, then the numbers are the same and typed as numbers', async () => {
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load((await readinessXlsxBuffer(t.deps, {})) as unknown as ArrayBuffer);
    const sheet = wb.getWorksheet('Parathed')!;
    expect(sheet.rowCount).toBe(EXPECTED_EXCEL.length);
    const header = sheet.getRow(1).values as unknown[];
    expect(header.slice(1)).toEqual([
      'kommunekode',
      'kommune',
      'region',
      'bolge',
      'runde',
      'gruppe',
      'element',
      'besvarelser',
      'gennemsnit',
      'status',
    ]);
    for (let i = 2; i <= sheet.rowCount; i++) {
      const expected = EXPECTED_EXCEL[i - 1]!.split(';');
      const row = sheet.getRow(i);
      expect(row.getCell(1).value).toBe(Number(expected[0]));
      expect(row.getCell(8).value).toBe(Number(expected[7]));
      const mean = row.getCell(9).value;
      if (expected[8]) expect(mean).toBe(Number(expected[8]!.replace(',', '.')));
      else expect(mean ?? null).toBeNull();
      expect(row.getCell(10).value).toBe(expected[9]);
    }
  });
});
