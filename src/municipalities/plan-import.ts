import { parse } from 'csv-parse/sync';

export type PlanRow = { code: number; wave: number | null; goLive: string | null; line: number };
export type PlanProblem = { line: number; reason: string };

/** Reads a date as YYYY-MM-DD or the Danish DD-MM-YYYY / DD.MM.YYYY; null when invalid. */
export function parseDanishDate(value: string): string | null {
  const v = value.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})[-./](\d{1,2})[-./](\d{4})$/.exec(v)))
    [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return date.toISOString().slice(0, 10);
}

/** Parses KOMBIT's wave and go-live CSV (kommunekode;bolge;golive) in the Danish Excel dialect. */
export function parsePlanCsv(
  text: string,
  knownCodes: Set<number>,
): { rows: PlanRow[]; problems: PlanProblem[] } {
  let records: string[][];
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      delimiter: ';',
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
    });
  } catch {
    return {
      rows: [],
      problems: [{ line: 1, reason: 'Filen kunne ikke læses som CSV (semikolon-separeret).' }],
    };
  }
  const header = (records[0] ?? []).map((h) => h.toLowerCase().replace(/[^a-zæøå]/g, ''));
  const idx = {
    code: header.indexOf('kommunekode'),
    wave: header.findIndex((h) => h === 'bolge' || h === 'bølge'),
    goLive: header.findIndex((h) => h === 'golive' || h === 'idriftsaettelse'),
  };
  if (idx.code < 0 || idx.wave < 0 || idx.goLive < 0)
    return {
      rows: [],
      problems: [{ line: 1, reason: 'Overskriftslinjen skal være kommunekode;bolge;golive.' }],
    };
  const rows: PlanRow[] = [];
  const problems: PlanProblem[] = [];
  const seen = new Map<number, number>();
  records.slice(1).forEach((rec, i) => {
    const line = i + 2;
    const reasons: string[] = [];
    const code = Number(rec[idx.code]);
    if (!Number.isInteger(code) || !knownCodes.has(code))
      reasons.push(`ukendt kommunekode "${rec[idx.code] ?? ''}"`);
    else if (seen.has(code)) reasons.push(`kommunen står også på linje ${seen.get(code)}`);
    else seen.set(code, line);
    const waveText = rec[idx.wave] ?? '';
    const wave = waveText === '' ? null : Number(waveText);
    if (wave !== null && !(Number.isInteger(wave) && wave >= 1 && wave <= 8))
      reasons.push(`bølge skal være 1–8, ikke "${waveText}"`);
    const dateText = rec[idx.goLive] ?? '';
    const goLive = dateText === '' ? null : parseDanishDate(dateText);
    if (dateText !== '' && !goLive)
      reasons.push(`ugyldig dato "${dateText}" (brug ÅÅÅÅ-MM-DD eller DD-MM-ÅÅÅÅ)`);
    if (reasons.length) problems.push({ line, reason: reasons.join('; ') });
    else rows.push({ code, wave, goLive, line });
  });
  if (!rows.length && !problems.length) problems.push({ line: 2, reason: 'Filen har ingen kommuner.' });
  return { rows, problems };
}
