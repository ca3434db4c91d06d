import crypto from 'node:crypto';
import type { Db } from '../db/knex.js';
import { formatDanishDate } from '../web/format.js';
import { AppError, Conflict, Forbidden, NotFound, ValidationError } from '../shared/errors.js';
import type { ParticipantAccess } from '../links/index.js';
import { roundsRepository, toRound, type Round } from './rounds.repository.js';
import { responsesRepository } from './responses.repository.js';
import { ROUND_LABELS } from './round-calendar.js';
import { elementsOf, type Instrument } from './instrument.js';
import type { Answer } from './scoring.js';
import type { AnswerForm, AnswerValue } from './answering.schemas.js';

/** A draft answer: 1–5, or 0 for "ved ikke". */
export type DraftValue = AnswerValue;
export type Draft = { answers: Record<string, DraftValue>; comment?: string };

/** One page's input as the service takes it (the answer schema's output, without the button). */
export type PageInput = Pick<AnswerForm, 'answers' | 'comment'>;

export class RoundNotOpen extends AppError {
  constructor(message: string) {
    super('round_not_open', message, 409);
  }
}

/** Submitting was refused because the draft still lacks answers (the page itself was fine and is saved). */
export class IncompleteAnswers extends ValidationError {}

export const MAX_COMMENT = 2000;

type Deps = { db: Db; instruments: Map<number, Instrument>; currentVersion: number };

type Loaded = {
  round: Round;
  instrument: Instrument;
  submitted: boolean;
  draft: Draft;
  surveyGroup: string | null;
};

const ALREADY = 'Du har allerede besvaret denne undersøgelse. Tak for dit svar.';

/** Refuses a round the participant may not answer now (another round's link, municipality or state). */
function checkOpen(access: ParticipantAccess, round: Round): void {
  if (round.municipalityCode !== access.municipalityCode)
    throw new Forbidden('Undersøgelsen hører til en anden kommune.');
  if (round.state === 'planned')
    throw new RoundNotOpen(
      `Undersøgelsen er ikke åbnet endnu. Den åbner ${formatDanishDate(round.opensOn)}.`,
    );
  if (round.state === 'closed')
    throw new RoundNotOpen('Undersøgelsen er lukket, så der kan ikke længere svares. Tak for din interesse.');
}

/**
 * The round (checked for this participant), their participation row (created on the first visit) and
 * their survey group, in one query; a write only on the first visit.
 */
async function load(deps: Deps, access: ParticipantAccess, roundId: number): Promise<Loaded> {
  if (access.via === 'link' && access.roundId !== roundId)
    throw new Forbidden('Dit personlige link gælder en anden undersøgelse.');
  const row = await responsesRepository.roundWithParticipation(deps.db, roundId, access.participantId);
  if (!row) throw new NotFound('Undersøgelsen findes ikke.');
  const round = toRound(row);
  checkOpen(access, round);
  const instrument = deps.instruments.get(round.instrumentVersion ?? deps.currentVersion);
  if (!instrument) throw new Error(`instrument version ${round.instrumentVersion} missing`);
  const part =
    row.sp_round_id === null || row.sp_round_id === undefined
      ? await responsesRepository.ensureParticipation(deps.db, roundId, access.participantId)
      : { submitted: row.sp_submitted, draft: row.sp_draft as string | null };
  return {
    round,
    instrument,
    submitted: Boolean(part.submitted),
    draft: part.draft ? (JSON.parse(part.draft) as Draft) : { answers: {} },
    surveyGroup: row.p_survey_group ?? null,
  };
}

/** Puts one page's answers into the draft; every item of the page needs a valid answer. */
function applyItems(instrument: Instrument, draft: Draft, page: number, answers: PageInput['answers']): void {
  const items = elementsOf(instrument)[page - 1]!.items;
  const fields: Record<string, string> = {};
  for (const item of items) {
    const value = answers[item.id];
    if (value === undefined || value === null) fields[item.id] = `Vælg et svar til "${item.text}"`;
    else draft.answers[item.id] = value;
  }
  if (Object.keys(fields).length)
    throw new ValidationError('Svar på alle udsagn. Vælg "Ved ikke", hvis du ikke kan svare.', fields);
}

/** Puts one page's answers (or, on the last page, the comment) into the draft; refuses anything else. */
function applyPage(instrument: Instrument, draft: Draft, page: number, input: PageInput): void {
  const elements = elementsOf(instrument);
  const known = new Set(elements[page - 1]?.items.map((i) => i.id) ?? []);
  const unknown = Object.keys(input.answers).filter((key) => !known.has(key));
  if (unknown.length)
    throw new ValidationError(
      'Svaret indeholder udsagn, som ikke hører til denne side. Genindlæs siden, og prøv igen.',
      Object.fromEntries(unknown.slice(0, 5).map((u) => [u, 'Ukendt udsagn'])),
    );
  if (page >= 1 && page <= elements.length) applyItems(instrument, draft, page, input.answers);
  else if (page === elements.length + 1) {
    const comment = input.comment ?? '';
    if (comment.length > MAX_COMMENT)
      throw new ValidationError(`Kommentaren må højst være ${MAX_COMMENT} tegn.`, {
        comment: 'Kommentaren er for lang',
      });
    draft.comment = comment;
  } else throw new NotFound('Siden findes ikke.');
}

async function saveDraft(deps: Deps, roundId: number, participantId: number, draft: Draft): Promise<void> {
  if (!(await responsesRepository.saveDraft(deps.db, roundId, participantId, JSON.stringify(draft))))
    throw new Conflict(ALREADY);
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
async function storeResponse(deps: Deps, loaded: Loaded, participantId: number): Promise<void> {
  const { round, instrument, draft, surveyGroup } = loaded;
  if (!surveyGroup) throw new NotFound('Deltageren findes ikke længere.');
  const answers: Record<string, Answer> = {};
  for (const [id, v] of Object.entries(draft.answers)) answers[id] = v === 0 ? null : (v as Answer);
  await deps.db.transaction(async (trx) => {
    if (!(await responsesRepository.claimSubmission(trx, round.id, participantId)))
      throw new Conflict(ALREADY);
    await responsesRepository.insertResponse(trx, {
      id: crypto.randomUUID(),
      roundId: round.id,
      municipalityCode: round.municipalityCode,
      roundNo: round.roundNo,
      surveyGroup,
      instrumentVersion: instrument.version,
      answers: JSON.stringify(answers),
      comment: draft.comment ? draft.comment : null,
    });
  });
}

/**
 * "Indsend" on a page: saves the page, then submits once. A page with errors saves nothing
 * (ValidationError, as savePage); a draft that still lacks answers is saved and refused
 * (IncompleteAnswers); otherwise the participation flag flips in the transaction that writes the
 * anonymous response.
 */
async function submitPage(
  deps: Deps,
  access: ParticipantAccess,
  roundId: number,
  page: number,
  input: PageInput,
) {
  const p = await load(deps, access, roundId);
  if (p.submitted) throw new Conflict(ALREADY);
  applyPage(p.instrument, p.draft, page, input);
  const missing = missingAnswers(p.instrument, p.draft);
  if (missing) {
    await saveDraft(deps, roundId, access.participantId, p.draft);
    throw missing;
  }
  await storeResponse(deps, p, access.participantId);
}

/** "Mine opgaver": the open rounds of the participant's municipality, still to answer or answered. */
async function myTasks(deps: Deps, access: ParticipantAccess) {
  const rounds = (await roundsRepository.forMunicipality(deps.db, access.municipalityCode)).filter(
    (r) => r.state === 'open',
  );
  const parts = await responsesRepository.participationIn(
    deps.db,
    access.participantId,
    rounds.map((r) => r.id),
  );
  const byRound = new Map(parts.map((p) => [p.roundId, p]));
  return {
    tasks: rounds
      .filter((r) => !byRound.get(r.id)?.submitted)
      .map((r) => ({
        roundId: r.id,
        label: ROUND_LABELS[r.roundNo],
        closesOn: r.closesOn,
        started: Boolean(byRound.get(r.id)?.draft),
      })),
    done: rounds.filter((r) => byRound.get(r.id)?.submitted).map((r) => ({ label: ROUND_LABELS[r.roundNo] })),
  };
}

/** Checks that the thank-you page of a round is the participant's to see. */
async function checkThanks(deps: Deps, access: ParticipantAccess, roundId: number): Promise<void> {
  const round = await roundsRepository.byId(deps.db, roundId);
  if (!round) throw new NotFound('Undersøgelsen findes ikke.');
  if (
    round.municipalityCode !== access.municipalityCode ||
    (access.via === 'link' && access.roundId !== roundId)
  )
    throw new Forbidden('Undersøgelsen hører til en anden kommune.');
}

/** Answering a round: save and resume, then one anonymous response per participant per round. */
export function createAnsweringService(deps: Deps) {
  return {
    /** The round, its instrument and the participant's draft (or that they have submitted). */
    async open(access: ParticipantAccess, roundId: number) {
      const { round, instrument, submitted, draft } = await load(deps, access, roundId);
      return { round, instrument, submitted, draft };
    },

    /** Saves one element's answers (and the comment on the last page) into the draft. */
    async savePage(
      access: ParticipantAccess,
      roundId: number,
      page: number,
      input: PageInput,
    ): Promise<void> {
      const p = await load(deps, access, roundId);
      if (p.submitted) throw new Conflict(ALREADY);
      applyPage(p.instrument, p.draft, page, input);
      await saveDraft(deps, roundId, access.participantId, p.draft);
    },

    /** Saves the page, then submits once (see submitPage above). */
    submitPage: (access: ParticipantAccess, roundId: number, page: number, input: PageInput) =>
      submitPage(deps, access, roundId, page, input),

    /** "Mine opgaver" of a participant. */
    myTasks: (access: ParticipantAccess) => myTasks(deps, access),

    /** Checks that the thank-you page of a round is the participant's to see. */
    checkThanks: (access: ParticipantAccess, roundId: number) => checkThanks(deps, access, roundId),
  };
}
export type AnsweringService = ReturnType<typeof createAnsweringService>;
