import crypto from 'node:crypto';
import type { Db } from '../db/knex.js';
import { formatDanishDate } from '../web/format.js';
import { AppError, Conflict, Forbidden, NotFound, ValidationError } from '../shared/errors.js';
import type { ParticipantAccess } from '../links/participant-access.js';
import { toRound, type Round } from './rounds.repository.js';
import { elementsOf, type Instrument } from './instrument.js';
import type { Answer } from './scoring.js';

/** A draft answer: 1–5, or 0 for "ved ikke". */
export type DraftValue = 0 | 1 | 2 | 3 | 4 | 5;
export type Draft = { answers: Record<string, DraftValue>; comment?: string };

export class RoundNotOpen extends AppError {
  constructor(message: string) {
    super('round_not_open', message, 409);
  }
}

/** Submitting was refused because the draft still lacks answers (the page itself was fine and is saved). */
export class IncompleteAnswers extends ValidationError {}

export const MAX_COMMENT = 2000;

type Loaded = {
  round: Round;
  instrument: Instrument;
  submitted: boolean;
  draft: Draft;
  surveyGroup: string | null;
};

/** Answering a round: save and resume, then one anonymous response per participant per round. */
export function createAnsweringService({
  db,
  instruments,
  currentVersion,
}: {
  db: Db;
  instruments: Map<number, Instrument>;
  currentVersion: number;
}) {
  /**
   * The round (checked for this participant), their participation row (created on the first visit) and
   * their survey group, in one query; a write only on the first visit.
   */
  async function load(access: ParticipantAccess, roundId: number): Promise<Loaded> {
    if (access.via === 'link' && access.roundId !== roundId)
      throw new Forbidden('Dit personlige link gælder en anden undersøgelse.');
    const row = await db('survey_rounds as r')
      .leftJoin('survey_participation as sp', (j) =>
        j.on('sp.round_id', '=', 'r.id').andOnVal('sp.participant_id', '=', access.participantId),
      )
      .leftJoin('participants as p', (j) => j.onVal('p.id', '=', access.participantId))
      .where('r.id', roundId)
      .first(
        'r.*',
        'sp.round_id as sp_round_id',
        'sp.submitted as sp_submitted',
        'sp.draft as sp_draft',
        'p.survey_group as p_survey_group',
      );
    if (!row) throw new NotFound('Undersøgelsen findes ikke.');
    const round = toRound(row);
    if (round.municipalityCode !== access.municipalityCode)
      throw new Forbidden('Undersøgelsen hører til en anden kommune.');
    if (round.state === 'planned')
      throw new RoundNotOpen(
        `Undersøgelsen er ikke åbnet endnu. Den åbner ${formatDanishDate(round.opensOn)}.`,
      );
    if (round.state === 'closed')
      throw new RoundNotOpen(
        'Undersøgelsen er lukket, så der kan ikke længere svares. Tak for din interesse.',
      );
    const instrument = instruments.get(round.instrumentVersion ?? currentVersion);
    if (!instrument) throw new Error(`instrument version ${round.instrumentVersion} missing`);
    let part: { submitted: unknown; draft: string | null } = {
      submitted: row.sp_submitted,
      draft: row.sp_draft,
    };
    if (row.sp_round_id === null || row.sp_round_id === undefined) {
      const where = { round_id: roundId, participant_id: access.participantId };
      await db('survey_participation')
        .insert({ ...where, submitted: false })
        .onConflict(['round_id', 'participant_id'])
        .ignore();
      part = await db('survey_participation').where(where).first('submitted', 'draft');
    }
    const draft = part.draft ? (JSON.parse(part.draft) as Draft) : { answers: {} };
    return {
      round,
      instrument,
      submitted: Boolean(part.submitted),
      draft,
      surveyGroup: row.p_survey_group ?? null,
    };
  }

  /** Puts one page's answers (or, on the last page, the comment) into the draft; refuses anything else. */
  function applyPage(
    instrument: Instrument,
    draft: Draft,
    page: number,
    body: Record<string, unknown>,
  ): void {
    const elements = elementsOf(instrument);
    const known = new Set([
      '_csrf',
      'handling',
      'comment',
      ...(elements[page - 1]?.items.map((i) => i.id) ?? []),
    ]);
    const unknown = Object.keys(body).filter((key) => !known.has(key));
    if (unknown.length)
      throw new ValidationError(
        'Svaret indeholder udsagn, som ikke hører til denne side. Genindlæs siden, og prøv igen.',
        Object.fromEntries(unknown.slice(0, 5).map((u) => [u, 'Ukendt udsagn'])),
      );
    if (page >= 1 && page <= elements.length) {
      const fields: Record<string, string> = {};
      for (const item of elements[page - 1]!.items) {
        const raw = body[item.id];
        const value = raw === 'vedikke' ? 0 : Number(raw);
        // Exactly what the form's radios send: "1"–"5" or "vedikke" (not "03", " 3", "0x3" or "3.0").
        if (typeof raw !== 'string' || !(raw === 'vedikke' || /^[1-5]$/.test(raw))) {
          fields[item.id] = `Vælg et svar til "${item.text}"`;
        } else draft.answers[item.id] = value as DraftValue;
      }
      if (Object.keys(fields).length)
        throw new ValidationError('Svar på alle udsagn. Vælg "Ved ikke", hvis du ikke kan svare.', fields);
    } else if (page === elements.length + 1) {
      const comment = typeof body.comment === 'string' ? body.comment.trim() : '';
      if (comment.length > MAX_COMMENT)
        throw new ValidationError(`Kommentaren må højst være ${MAX_COMMENT} tegn.`, {
          comment: 'Kommentaren er for lang',
        });
      draft.comment = comment;
    } else throw new NotFound('Siden findes ikke.');
  }

  async function saveDraft(roundId: number, participantId: number, draft: Draft): Promise<void> {
    const n = await db('survey_participation')
      .where({ round_id: roundId, participant_id: participantId, submitted: false })
      .update({ draft: JSON.stringify(draft) });
    if (!n) throw new Conflict('Du har allerede besvaret denne undersøgelse. Tak for dit svar.');
  }

  function missingAnswers(instrument: Instrument, draft: Draft): IncompleteAnswers | null {
    const missing = elementsOf(instrument)
      .flatMap((e) => e.items)
      .filter((i) => draft.answers[i.id] === undefined);
    if (!missing.length) return null;
    return new IncompleteAnswers(
      'Der mangler svar på nogle udsagn. Gå tilbage og svar på dem (eller vælg "Ved ikke").',
      Object.fromEntries(missing.map((i) => [i.id, `Mangler svar: "${i.text}"`])),
    );
  }

  /** Flips the participation flag and writes the anonymous response in one transaction; only one claim can win. */
  async function storeResponse(loaded: Loaded, participantId: number): Promise<void> {
    const { round, instrument, draft, surveyGroup } = loaded;
    if (!surveyGroup) throw new NotFound('Deltageren findes ikke længere.');
    const answers: Record<string, Answer> = {};
    for (const [id, v] of Object.entries(draft.answers)) answers[id] = v === 0 ? null : (v as Answer);
    await db.transaction(async (trx) => {
      const claimed = await trx('survey_participation')
        .where({ round_id: round.id, participant_id: participantId, submitted: false })
        .update({ submitted: true, draft: null });
      if (!claimed) throw new Conflict('Du har allerede besvaret denne undersøgelse. Tak for dit svar.');
      await trx('survey_responses').insert({
        id: crypto.randomUUID(),
        round_id: round.id,
        municipality_code: round.municipalityCode,
        round_no: round.roundNo,
        survey_group: surveyGroup,
        instrument_version: instrument.version,
        answers: JSON.stringify(answers),
        comment: draft.comment ? draft.comment : null,
      });
    });
  }

  return {
    async open(access: ParticipantAccess, roundId: number) {
      const { round, instrument, submitted, draft } = await load(access, roundId);
      return { round, instrument, submitted, draft };
    },

    /** Saves one element's answers (and the comment on the last page) into the draft. */
    async savePage(
      access: ParticipantAccess,
      roundId: number,
      page: number,
      body: Record<string, unknown>,
    ): Promise<void> {
      const p = await load(access, roundId);
      if (p.submitted) throw new Conflict('Du har allerede besvaret denne undersøgelse. Tak for dit svar.');
      applyPage(p.instrument, p.draft, page, body);
      await saveDraft(roundId, access.participantId, p.draft);
    },

    /**
     * "Indsend" on a page: saves the page, then submits once. A page with errors saves nothing
     * (ValidationError, as savePage); a draft that still lacks answers is saved and refused
     * (IncompleteAnswers); otherwise the participation flag flips in the transaction that writes the
     * anonymous response.
     */
    async submitPage(
      access: ParticipantAccess,
      roundId: number,
      page: number,
      body: Record<string, unknown>,
    ): Promise<void> {
      const p = await load(access, roundId);
      if (p.submitted) throw new Conflict('Du har allerede besvaret denne undersøgelse. Tak for dit svar.');
      applyPage(p.instrument, p.draft, page, body);
      const missing = missingAnswers(p.instrument, p.draft);
      if (missing) {
        await saveDraft(roundId, access.participantId, p.draft);
        throw missing;
      }
      await storeResponse(p, access.participantId);
    },
  };
}
export type AnsweringService = ReturnType<typeof createAnsweringService>;
