import { parse } from 'csv-parse/sync';
import { SURVEY_GROUPS, SURVEY_GROUP_LABELS, type SurveyGroup } from './survey-groups.js';
import { participantSchema, type ParticipantInput } from './participants.schemas.js';

// Every group by its key and by its Danish label, lower-cased.
const groupByText = new Map<string, SurveyGroup>();
for (const g of SURVEY_GROUPS) {
  groupByText.set(g, g);
  groupByText.set(SURVEY_GROUP_LABELS[g].toLowerCase(), g);
}

/** Reads a survey group from a key or its Danish label, case-insensitively. */
export function parseGroup(value: string): SurveyGroup | null {
  return groupByText.get(value.trim().toLowerCase()) ?? null;
}

const YES = new Set(['ja', 'j', 'x', '1', 'yes', 'sand']);
const NO = new Set(['nej', 'n', '0', 'no', 'falsk', '']);

/** A line of an import file that was refused, and why. */
export type ImportProblem = { line: number; reason: string };

type CsvRecord = { record: string[]; info: { lines: number; empty_lines: number } };
type Columns = { name: number; email: number; group: number; superuser: number };
type ParsedRow = ParticipantInput & { line: number };
type Parsed = { rows: ParsedRow[]; problems: ImportProblem[] };

const refused = (line: number, reason: string): Parsed => ({ rows: [], problems: [{ line, reason }] });

/** The records of a semicolon-separated file, or the line where it stopped being CSV. */
function readRecords(text: string): CsvRecord[] | ImportProblem {
  try {
    return parse(text.replace(/^\uFEFF/, ''), {
      delimiter: ';',
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      trim: true,
    }) as unknown as CsvRecord[];
  } catch (err) {
    return {
      line: (err as { lines?: number }).lines ?? 1,
      reason: 'Filen kunne ikke læses som CSV (semikolon-separeret).',
    };
  }
}

/** Where each column is, by its Danish or English heading (punctuation and case ignored); -1 when absent. */
function columnsOf(headings: string[]): Columns {
  const header = headings.map((h) => h.toLowerCase().replace(/[^a-zæøå]/g, ''));
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  return {
    name: col(['navn', 'name']),
    email: col(['email', 'mail', 'emailadresse']),
    group: col(['gruppe', 'deltagergruppe', 'group']),
    superuser: col(['superbruger', 'superuser']),
  };
}

/** One data row: the participant, or every reason it was refused (a repeated address among them). */
function parseRow(
  record: string[],
  idx: Columns,
  line: number,
  seen: Map<string, number>,
): ParsedRow | string[] {
  const get = (i: number) => (i >= 0 ? (record[i] ?? '') : '');
  const reasons: string[] = [];
  const group = parseGroup(get(idx.group));
  if (!group) reasons.push(`ukendt gruppe "${get(idx.group)}"`);
  const su = get(idx.superuser).toLowerCase();
  if (!YES.has(su) && !NO.has(su))
    reasons.push(`superbruger skal være ja eller nej, ikke "${get(idx.superuser)}"`);
  const parsed = participantSchema.safeParse({
    name: get(idx.name),
    email: get(idx.email).trim(),
    surveyGroup: group ?? 'x',
    superuser: YES.has(su),
  });
  if (!parsed.success) {
    for (const issue of parsed.error.issues)
      if (issue.path[0] !== 'surveyGroup') reasons.push(issue.message.toLowerCase());
    return reasons;
  }
  const prev = seen.get(parsed.data.email);
  if (prev) reasons.push(`e-mailadressen står også på linje ${prev}`);
  else seen.set(parsed.data.email, line);
  return reasons.length ? reasons : { ...parsed.data, line };
}

/** Parses a participant CSV in the Danish Excel dialect; every bad row is reported by line number. */
export function parseParticipantCsv(text: string): Parsed {
  const records = readRecords(text);
  if (!Array.isArray(records)) return { rows: [], problems: [records] };
  if (!records.length) return refused(1, 'Filen er tom.');
  const idx = columnsOf(records[0]!.record);
  const missing = Object.entries({ navn: idx.name, email: idx.email, gruppe: idx.group })
    .filter(([, i]) => i < 0)
    .map(([n]) => n);
  if (missing.length)
    return refused(
      1,
      `Overskriftslinjen mangler kolonnen ${missing.join(', ')} (forventet: navn;email;gruppe;superbruger).`,
    );
  const { rows, problems }: Parsed = { rows: [], problems: [] };
  const seen = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r]!;
    // csv-parse counts lines up to the end of a record; a quoted field may span lines, so report where it starts.
    const prev = records[r - 1]!.info;
    const line = prev.lines + 1 + (info.empty_lines - prev.empty_lines);
    const row = parseRow(record, idx, line, seen);
    if (Array.isArray(row)) problems.push({ line, reason: row.join('; ') });
    else rows.push(row);
  }
  if (!rows.length && !problems.length) problems.push({ line: 2, reason: 'Filen har ingen deltagere.' });
  return { rows, problems };
}
