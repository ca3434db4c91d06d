import { parse } from 'csv-parse/sync';
import { z } from 'zod';
import type { Db, DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { NotFound, ValidationError } from '../shared/errors.js';
import { SURVEY_GROUPS, SURVEY_GROUP_LABELS, isSurveyGroup, type SurveyGroup } from './groups.js';
import { freezeMunicipalityRates } from './rates.js';

export type Participant = {
  id: number;
  municipalityCode: number;
  name: string;
  email: string;
  surveyGroup: SurveyGroup;
  superuser: boolean;
};

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

export const participantSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, 'Navn mangler')
    .max(200, 'Navnet er for langt')
    .refine((n) => !/[\r\n\t]/.test(n), 'Navnet må ikke indeholde linjeskift eller tabulatorer')
    // A leading =, +, - or @ would be run as a formula when the list is opened in Excel.
    .refine((n) => !/^[=+\-@]/.test(n), 'Navnet må ikke begynde med =, +, - eller @'),
  email: z
    .email('E-mailadressen er ugyldig')
    .max(320)
    .transform((e) => e.toLowerCase()),
  surveyGroup: z
    .string()
    .refine((g) => isSurveyGroup(g), 'Vælg en gyldig gruppe')
    .transform((g) => g as SurveyGroup),
  superuser: z.boolean(),
});
export type ParticipantInput = z.infer<typeof participantSchema>;

export type ImportProblem = { line: number; reason: string };

/** Parses a participant CSV in the Danish Excel dialect; every bad row is reported by line number. */
export function parseParticipantCsv(text: string): {
  rows: Array<ParticipantInput & { line: number }>;
  problems: ImportProblem[];
} {
  const problems: ImportProblem[] = [];
  let records: Array<{ record: string[]; info: { lines: number; empty_lines: number } }>;
  try {
    records = parse(text.replace(/^\uFEFF/, ''), {
      delimiter: ';',
      relax_column_count: true,
      skip_empty_lines: true,
      info: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (err) {
    return {
      rows: [],
      problems: [
        {
          line: (err as { lines?: number }).lines ?? 1,
          reason: 'Filen kunne ikke læses som CSV (semikolon-separeret).',
        },
      ],
    };
  }
  if (!records.length) return { rows: [], problems: [{ line: 1, reason: 'Filen er tom.' }] };
  const header = records[0]!.record.map((h) => h.toLowerCase().replace(/[^a-zæøå]/g, ''));
  const col = (names: string[]) => header.findIndex((h) => names.includes(h));
  const idx = {
    name: col(['navn', 'name']),
    email: col(['email', 'mail', 'emailadresse']),
    group: col(['gruppe', 'deltagergruppe', 'group']),
    superuser: col(['superbruger', 'superuser']),
  };
  const missing = Object.entries({ navn: idx.name, email: idx.email, gruppe: idx.group })
    .filter(([, i]) => i < 0)
    .map(([n]) => n);
  if (missing.length)
    return {
      rows: [],
      problems: [
        {
          line: 1,
          reason: `Overskriftslinjen mangler kolonnen ${missing.join(', ')} (forventet: navn;email;gruppe;superbruger).`,
        },
      ],
    };
  const rows: Array<ParticipantInput & { line: number }> = [];
  const seen = new Map<string, number>();
  for (let r = 1; r < records.length; r++) {
    const { record, info } = records[r]!;
    // csv-parse counts lines up to the end of a record; a quoted field may span lines, so report where it starts.
    const prev = records[r - 1]!.info;
    const line = prev.lines + 1 + (info.empty_lines - prev.empty_lines);
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
    }
    if (parsed.success) {
      const prev = seen.get(parsed.data.email);
      if (prev) reasons.push(`e-mailadressen står også på linje ${prev}`);
      else seen.set(parsed.data.email, line);
    }
    if (reasons.length || !parsed.success) problems.push({ line, reason: reasons.join('; ') });
    else rows.push({ ...parsed.data, line });
  }
  if (!rows.length && !problems.length) problems.push({ line: 2, reason: 'Filen har ingen deltagere.' });
  return { rows, problems };
}

const toParticipant = (r: Record<string, unknown>): Participant => ({
  id: Number(r.id),
  municipalityCode: Number(r.municipality_code),
  name: String(r.name),
  email: String(r.email),
  surveyGroup: r.survey_group as SurveyGroup,
  superuser: Boolean(r.superuser),
});

/** The project leader's participant list: import, add, edit, remove. */
export function createParticipantsService({
  db,
  clock,
  purgeAfterDays,
}: {
  db: Db;
  clock: Clock;
  /** Lists and links of a municipality are purged this many days after its round 3/3 closed. */
  purgeAfterDays: number;
}) {
  const service = {
    /** Purges participant lists and links of municipalities whose round 3/3 closed `purgeAfterDays` ago. */
    async purgeDue(): Promise<number[]> {
      const cutoff = new Date(clock.now().getTime() - purgeAfterDays * 86_400_000);
      const codes = await db('survey_rounds as r')
        .where({ 'r.round_no': 3, 'r.state': 'closed' })
        .andWhere('r.closed_at', '<=', cutoff)
        .whereExists(db('participants as p').whereRaw('p.municipality_code = r.municipality_code'))
        .pluck('r.municipality_code');
      for (const code of codes) await db.transaction((trx) => service.purgeMunicipality(trx, Number(code)));
      return codes.map(Number);
    },

    async list(code: number): Promise<Participant[]> {
      const rows = await db('participants')
        .where({ municipality_code: code })
        .orderBy([{ column: 'survey_group' }, { column: 'name' }]);
      return rows.map(toParticipant);
    },

    async get(code: number, id: number): Promise<Participant> {
      const row = await db('participants').where({ id, municipality_code: code }).first();
      if (!row) throw new NotFound('Deltageren findes ikke.');
      return toParticipant(row);
    },

    /** Imports all rows or none: a file with one bad row imports nothing. Existing emails are updated. */
    async importCsv(
      code: number,
      text: string,
      actorUserId: number,
    ): Promise<{ created: number; updated: number }> {
      const { rows, problems } = parseParticipantCsv(text);
      if (problems.length) {
        const err = new ValidationError(
          'Filen blev ikke importeret, fordi nogle linjer har fejl. Ret dem, og prøv igen.',
        );
        (err as ValidationError & { problems: ImportProblem[] }).problems = problems;
        throw err;
      }
      return db.transaction(async (trx) => {
        const existing = new Map(
          (await trx('participants').where({ municipality_code: code }).select('id', 'email')).map((r) => [
            String(r.email).toLowerCase(),
            Number(r.id),
          ]),
        );
        let created = 0;
        let updated = 0;
        for (const r of rows) {
          const fields = { name: r.name, survey_group: r.surveyGroup, superuser: r.superuser };
          const id = existing.get(r.email);
          if (id) {
            await trx('participants').where({ id }).update(fields);
            updated++;
          } else {
            await trx('participants').insert({
              municipality_code: code,
              email: r.email,
              created_at: clock.now(),
              ...fields,
            });
            created++;
          }
        }
        await audit(trx, {
          actorUserId,
          action: 'participants.import',
          subject: `kommune:${code}`,
          details: { created, updated },
          at: clock.now(),
        });
        return { created, updated };
      });
    },

    async add(code: number, input: ParticipantInput, actorUserId: number): Promise<number> {
      return db.transaction(async (trx) => {
        const dup = await trx('participants')
          .where({ municipality_code: code, email: input.email })
          .first('id');
        if (dup)
          throw new ValidationError('Der findes allerede en deltager med den e-mailadresse.', {
            email: 'E-mailadressen er allerede på listen',
          });
        const [row] = await trx('participants')
          .insert({
            municipality_code: code,
            name: input.name,
            email: input.email,
            survey_group: input.surveyGroup,
            superuser: input.superuser,
            created_at: clock.now(),
          })
          .returning('id');
        await audit(trx, {
          actorUserId,
          action: 'participants.add',
          subject: `kommune:${code}`,
          at: clock.now(),
        });
        return Number(typeof row === 'object' ? row.id : row);
      });
    },

    async update(code: number, id: number, input: ParticipantInput, actorUserId: number): Promise<void> {
      await db.transaction(async (trx) => {
        const dup = await trx('participants')
          .where({ municipality_code: code, email: input.email })
          .whereNot({ id })
          .first('id');
        if (dup)
          throw new ValidationError('Der findes allerede en deltager med den e-mailadresse.', {
            email: 'E-mailadressen er allerede på listen',
          });
        const n = await trx('participants')
          .where({ id, municipality_code: code })
          .update({
            name: input.name,
            email: input.email,
            survey_group: input.surveyGroup,
            superuser: input.superuser,
          });
        if (!n) throw new NotFound('Deltageren findes ikke.');
        await audit(trx, {
          actorUserId,
          action: 'participants.update',
          subject: `deltager:${id}`,
          at: clock.now(),
        });
      });
    },

    /** Erases a person (GDPR art. 17): links, participation, learning and certificates go; anonymous answers stay. */
    async remove(code: number, id: number, actorUserId: number): Promise<void> {
      await db.transaction(async (trx) => {
        const p = await trx('participants').where({ id, municipality_code: code }).first('email');
        if (!p) throw new NotFound('Deltageren findes ikke.');
        await freezeMunicipalityRates(trx, code);
        await erasePeople(trx, [{ id, email: String(p.email) }]);
        await audit(trx, {
          actorUserId,
          action: 'participants.remove',
          subject: `deltager:${id}`,
          at: clock.now(),
        });
      });
    },

    /** Everything Parat holds about one person (GDPR art. 15); anonymous answers cannot be tied to them. */
    async exportPerson(code: number, id: number, actorUserId: number): Promise<Record<string, unknown>> {
      const p = await db('participants').where({ id, municipality_code: code }).first();
      if (!p) throw new NotFound('Deltageren findes ikke.');
      const participation = await db('survey_participation as sp')
        .join('survey_rounds as r', 'r.id', 'sp.round_id')
        .where({ 'sp.participant_id': id })
        .select('r.round_no', 'r.opens_on', 'r.closes_on', 'sp.submitted');
      const links = await db('personal_links')
        .where({ participant_id: id })
        .select('purpose', 'round_id', 'created_at', 'expires_at', 'revoked_at');
      const learners = await db('learners')
        .where({ participant_id: id })
        .select('id', 'name', 'learner_group', 'created_at');
      const learnerIds = learners.map((l) => Number(l.id));
      const progress = learnerIds.length
        ? await db('elearning_progress')
            .whereIn('learner_id', learnerIds)
            .select('module_slug', 'started_at', 'completed_at', 'times_completed')
        : [];
      const attempts = learnerIds.length
        ? await db('quiz_attempts')
            .whereIn('learner_id', learnerIds)
            .select('started_at', 'submitted_at', 'question_count', 'correct_count', 'passed')
        : [];
      const certificates = learnerIds.length
        ? await db('certificates').whereIn('learner_id', learnerIds).select('code', 'name', 'passed_on')
        : [];
      await audit(db, {
        actorUserId,
        action: 'participants.export',
        subject: `deltager:${id}`,
        at: clock.now(),
      });
      return {
        deltager: {
          navn: p.name,
          email: p.email,
          gruppe: SURVEY_GROUP_LABELS[p.survey_group as SurveyGroup] ?? p.survey_group,
          superbruger: Boolean(p.superuser),
          oprettet: p.created_at,
        },
        parathedsundersoegelser: participation.map((r) => ({
          runde: `${r.round_no}/3`,
          periode: `${r.opens_on} – ${r.closes_on}`,
          besvaret: Boolean(r.submitted),
        })),
        personlige_links: links.map((l) => ({
          formaal: l.purpose,
          oprettet: l.created_at,
          udloeber: l.expires_at,
          tilbagekaldt: l.revoked_at,
        })),
        e_laering: { fremdrift: progress, testforsoeg: attempts, kursusbeviser: certificates },
        bemaerkning:
          'Svarene i parathedsundersøgelser og evalueringer er anonyme og kan ikke knyttes til dig, så de er ikke med her.',
      };
    },

    /** Purges a municipality's participant list and links a while after its round 3/3 closed. */
    async purgeMunicipality(trx: DbOrTrx, code: number): Promise<number> {
      const people = await trx('participants').where({ municipality_code: code }).select('id', 'email');
      await freezeMunicipalityRates(trx, code);
      await erasePeople(
        trx,
        people.map((p) => ({ id: Number(p.id), email: String(p.email) })),
      );
      await audit(trx, {
        actorUserId: null,
        action: 'participants.purge',
        subject: `kommune:${code}`,
        details: { count: people.length },
        at: clock.now(),
      });
      return people.length;
    },
  };
  return service;
}
export type ParticipantsService = ReturnType<typeof createParticipantsService>;

/** Deletes people (cascading to links, participation, learners, attempts, certificates) and masks them in the outbox. */
async function erasePeople(trx: DbOrTrx, people: Array<{ id: number; email: string }>): Promise<void> {
  for (let i = 0; i < people.length; i += 500) {
    const chunk = people.slice(i, i + 500);
    await trx('participants')
      .whereIn(
        'id',
        chunk.map((p) => p.id),
      )
      .delete();
    for (const p of chunk) {
      const rows = await trx('outbox')
        .where('recipients', 'like', `%${p.email.toLowerCase()}%`)
        .select('id', 'recipients', 'status');
      for (const r of rows) {
        const list = (JSON.parse(r.recipients) as string[]).filter(
          (a) => a.toLowerCase() !== p.email.toLowerCase(),
        );
        // Mail only to this person and not yet sent is dropped; otherwise the address is removed from the record.
        if (!list.length && ['pending', 'held', 'failed'].includes(String(r.status)))
          await trx('outbox').where({ id: r.id }).delete();
        else
          await trx('outbox')
            .where({ id: r.id })
            .update({ recipients: JSON.stringify(list.length ? list : ['[slettet]']) });
      }
    }
  }
}
