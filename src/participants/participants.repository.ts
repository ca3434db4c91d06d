import type { Knex } from 'knex';
import type { DbOrTrx } from '../db/knex.js';
import type { SurveyGroup } from './survey-groups.js';

/** A person on a municipality's participant list. */
export type Participant = {
  id: number;
  municipalityCode: number;
  name: string;
  email: string;
  surveyGroup: SurveyGroup;
  superuser: boolean;
};

/** A participant with the row's creation time (for the personal-data export). */
export type ParticipantRecord = Participant & { createdAt: unknown };

/** The columns written by the participant list (import, add, edit). */
export type ParticipantFields = {
  name: string;
  email: string;
  surveyGroup: SurveyGroup;
  superuser: boolean;
};

type Row = {
  id: number;
  municipality_code: number;
  name: string;
  email: string;
  survey_group: string;
  superuser: boolean | number;
  created_at: unknown;
};

const toParticipant = (r: Row): Participant => ({
  id: Number(r.id),
  municipalityCode: Number(r.municipality_code),
  name: String(r.name),
  email: String(r.email),
  surveyGroup: r.survey_group as SurveyGroup,
  superuser: Boolean(r.superuser),
});

const columns = (f: ParticipantFields) => ({
  name: f.name,
  email: f.email,
  survey_group: f.surveyGroup,
  superuser: f.superuser,
});

/** Survey groups whose members take the e-learning (kept in step with `LEARNER_SURVEY_GROUPS` in elearning). */
const LEARNER_SURVEY_GROUPS: readonly SurveyGroup[] = [
  'sagsbehandler-ydelsescenter',
  'sagsbehandler-udenfor',
  'informationssoegende',
];

// SQLite allows 999 bound parameters per statement in old builds; 500 keeps every engine safe.
const CHUNK = 500;

/** SQL for the `participants` table; the only file that names it. Callers own the transaction. */
export const participantsRepository = {
  /** One participant by id, whatever the municipality (callers that hold the code use `inMunicipality`). */
  async byId(db: DbOrTrx, id: number): Promise<Participant | undefined> {
    const row = await db<Row>('participants').where({ id }).first();
    return row ? toParticipant(row) : undefined;
  },

  /** One participant by id within a municipality; undefined when it is not theirs. */
  async inMunicipality(db: DbOrTrx, code: number, id: number): Promise<ParticipantRecord | undefined> {
    const row = await db<Row>('participants').where({ id, municipality_code: code }).first();
    return row ? { ...toParticipant(row), createdAt: row.created_at } : undefined;
  },

  /** The participant of a municipality with this email, matched case-insensitively (SAML users). */
  async byMunicipalityAndEmail(db: DbOrTrx, code: number, email: string): Promise<Participant | undefined> {
    const row = await db<Row>('participants')
      .where({ municipality_code: code })
      .whereRaw('lower(email) = ?', [email.toLowerCase()])
      .first();
    return row ? toParticipant(row) : undefined;
  },

  /** The address of a participant, or null when the row is gone. */
  async emailOf(db: DbOrTrx, id: number): Promise<string | null> {
    const row = await db<Row>('participants').where({ id }).first('email');
    return row?.email ? String(row.email) : null;
  },

  /** How many participants a municipality has invited per survey group (groups without anyone are absent). */
  async countPerGroup(db: DbOrTrx, code: number): Promise<Map<string, number>> {
    const rows = await db('participants')
      .where({ municipality_code: code })
      .groupBy('survey_group')
      .select('survey_group')
      .count<{ survey_group: string; n: number | string }[]>({ n: '*' });
    return new Map(rows.map((g) => [g.survey_group, Number(g.n)]));
  },

  /** How many participants a municipality has. */
  async countInMunicipality(db: DbOrTrx, code: number): Promise<number> {
    const row = await db('participants').where({ municipality_code: code }).count({ n: '*' }).first();
    return Number(row?.n ?? 0);
  },

  /**
   * Builder of `participants as p` rows that take the e-learning (a learner survey group or superuser),
   * for other features to join or aggregate over without naming the table; columns are not selected.
   */
  learnerCandidates(db: DbOrTrx): Knex.QueryBuilder {
    return db('participants as p').where((x) =>
      x.whereIn('p.survey_group', LEARNER_SURVEY_GROUPS).orWhere('p.superuser', true),
    );
  },

  /** Builder of every participant's id and survey group, for other repositories to join (`.as('p')`). */
  groupsBuilder(db: DbOrTrx): Knex.QueryBuilder {
    return db('participants').select('id', 'survey_group');
  },

  /** Builder of one participant's id and survey group (at most one row), for a join in another repository. */
  groupOfBuilder(db: DbOrTrx, id: number): Knex.QueryBuilder {
    return db('participants').where({ id }).select('id', 'survey_group');
  },

  /**
   * The municipality's participants (id, name, email) by id, for mail. `narrow` may add conditions on the
   * rows, which are `participants as p` (another repository's NOT EXISTS, say).
   */
  async contacts(
    db: DbOrTrx,
    code: number,
    narrow?: (q: Knex.QueryBuilder) => Knex.QueryBuilder,
  ): Promise<Array<{ id: number; name: string; email: string }>> {
    const q = db('participants as p').where('p.municipality_code', code);
    const rows = await (narrow ? narrow(q) : q).orderBy('p.id').select('p.id', 'p.name', 'p.email');
    return rows.map((r: { id: number; name: string; email: string }) => ({
      id: Number(r.id),
      name: String(r.name),
      email: String(r.email),
    }));
  },

  /** The ids of a municipality's participants, in order. */
  async idsInMunicipality(db: DbOrTrx, code: number): Promise<number[]> {
    const ids = await db('participants').where({ municipality_code: code }).orderBy('id').pluck('id');
    return ids.map(Number);
  },

  /** Participants per municipality and survey group, as "code:group" → count. */
  async countPerMunicipalityAndGroup(db: DbOrTrx, codes: readonly number[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (let i = 0; i < codes.length; i += CHUNK) {
      const rows = await db('participants')
        .whereIn('municipality_code', codes.slice(i, i + CHUNK))
        .groupBy('municipality_code', 'survey_group')
        .select('municipality_code', 'survey_group')
        .count<{ municipality_code: number; survey_group: string; n: number | string }[]>({ n: '*' });
      for (const r of rows) out.set(`${Number(r.municipality_code)}:${r.survey_group}`, Number(r.n));
    }
    return out;
  },

  /** Those of the given municipalities that have anyone on their list. */
  async municipalitiesWithParticipants(db: DbOrTrx, codes: readonly number[]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < codes.length; i += CHUNK) {
      const found = await db('participants')
        .whereIn('municipality_code', codes.slice(i, i + CHUNK))
        .distinct('municipality_code');
      out.push(...found.map((r: { municipality_code: number }) => Number(r.municipality_code)));
    }
    return codes.filter((c) => out.includes(c));
  },

  /** The municipality's list, ordered by group then name. */
  async list(db: DbOrTrx, code: number): Promise<Participant[]> {
    const rows = await db<Row>('participants')
      .where({ municipality_code: code })
      .orderBy([{ column: 'survey_group' }, { column: 'name' }]);
    return rows.map(toParticipant);
  },

  /** Id and address of everyone in a municipality (for erasure and upserts). */
  async idsAndEmails(db: DbOrTrx, code: number): Promise<Array<{ id: number; email: string }>> {
    const rows = await db('participants').where({ municipality_code: code }).select('id', 'email');
    return rows.map((r) => ({ id: Number(r.id), email: String(r.email) }));
  },

  /** Whether another participant of the municipality already has this address. */
  async emailTaken(db: DbOrTrx, code: number, email: string, exceptId?: number): Promise<boolean> {
    const q = db('participants').where({ municipality_code: code, email });
    if (exceptId !== undefined) q.whereNot({ id: exceptId });
    return Boolean(await q.first('id'));
  },

  /** Inserts a participant and returns its id. */
  async insert(db: DbOrTrx, code: number, fields: ParticipantFields, at: Date): Promise<number> {
    const [row] = await db('participants')
      .insert({ municipality_code: code, created_at: at, ...columns(fields) })
      .returning('id');
    return Number(typeof row === 'object' ? row.id : row);
  },

  /** Updates a participant of the municipality; returns how many rows changed (0 when not theirs). */
  async update(db: DbOrTrx, code: number, id: number, fields: Partial<ParticipantFields>): Promise<number> {
    const changes: Record<string, unknown> = {};
    if (fields.name !== undefined) changes.name = fields.name;
    if (fields.email !== undefined) changes.email = fields.email;
    if (fields.surveyGroup !== undefined) changes.survey_group = fields.surveyGroup;
    if (fields.superuser !== undefined) changes.superuser = fields.superuser;
    return db('participants').where({ id, municipality_code: code }).update(changes);
  },

  /** Deletes participants by id; the foreign keys cascade to their links, participation and learners. */
  async deleteByIds(db: DbOrTrx, ids: readonly number[]): Promise<void> {
    for (let i = 0; i < ids.length; i += CHUNK) {
      await db('participants')
        .whereIn('id', ids.slice(i, i + CHUNK))
        .delete();
    }
  },
};
