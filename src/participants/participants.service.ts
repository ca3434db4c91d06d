import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { ImportRejected, NotFound, ValidationError } from '../shared/errors.js';
import { participantsRepository, type Participant } from './participants.repository.js';
import { parseParticipantCsv } from './participants.csv.js';
import type { ParticipantInput } from './participants.schemas.js';

export type { Participant };

type Deps = { db: Db; clock: Clock };

const duplicate = () =>
  new ValidationError('Der findes allerede en deltager med den e-mailadresse.', {
    email: 'E-mailadressen er allerede på listen',
  });

/** Imports all rows or none: a file with one bad row imports nothing. Existing emails are updated. */
async function importCsv(
  deps: Deps,
  code: number,
  text: string,
  actorUserId: number,
): Promise<{ created: number; updated: number }> {
  if (!text.trim()) throw new ImportRejected('Vælg en CSV-fil.', [{ line: 1, reason: 'Ingen fil valgt.' }]);
  const { rows, problems } = parseParticipantCsv(text);
  if (problems.length)
    throw new ImportRejected(
      'Filen blev ikke importeret, fordi nogle linjer har fejl. Ret dem, og prøv igen.',
      problems,
    );
  return deps.db.transaction(async (trx) => {
    const existing = new Map(
      (await participantsRepository.idsAndEmails(trx, code)).map((p) => [p.email.toLowerCase(), p.id]),
    );
    let created = 0;
    let updated = 0;
    for (const r of rows) {
      const id = existing.get(r.email);
      if (id) {
        await participantsRepository.update(trx, code, id, {
          name: r.name,
          surveyGroup: r.surveyGroup,
          superuser: r.superuser,
        });
        updated++;
      } else {
        await participantsRepository.insert(trx, code, r, deps.clock.now());
        created++;
      }
    }
    await audit(trx, {
      actorUserId,
      action: 'participants.import',
      subject: `kommune:${code}`,
      details: { created, updated },
      at: deps.clock.now(),
    });
    return { created, updated };
  });
}

async function add(deps: Deps, code: number, input: ParticipantInput, actorUserId: number): Promise<number> {
  return deps.db.transaction(async (trx) => {
    if (await participantsRepository.emailTaken(trx, code, input.email)) throw duplicate();
    const id = await participantsRepository.insert(trx, code, input, deps.clock.now());
    await audit(trx, {
      actorUserId,
      action: 'participants.add',
      subject: `kommune:${code}`,
      at: deps.clock.now(),
    });
    return id;
  });
}

async function update(
  deps: Deps,
  code: number,
  id: number,
  input: ParticipantInput,
  actorUserId: number,
): Promise<void> {
  await deps.db.transaction(async (trx) => {
    if (await participantsRepository.emailTaken(trx, code, input.email, id)) throw duplicate();
    if (!(await participantsRepository.update(trx, code, id, input)))
      throw new NotFound('Deltageren findes ikke.');
    await audit(trx, {
      actorUserId,
      action: 'participants.update',
      subject: `deltager:${id}`,
      at: deps.clock.now(),
    });
  });
}

/** The project leader's participant list: import, add, edit (erasure is the personal-data service's). */
export function createParticipantsService(deps: Deps) {
  return {
    /** The municipality's list, by group then name. */
    list: (code: number): Promise<Participant[]> => participantsRepository.list(deps.db, code),
    /** One participant of the municipality; NotFound when not theirs. */
    async get(code: number, id: number): Promise<Participant> {
      const p = await participantsRepository.inMunicipality(deps.db, code, id);
      if (!p) throw new NotFound('Deltageren findes ikke.');
      return {
        id: p.id,
        municipalityCode: p.municipalityCode,
        name: p.name,
        email: p.email,
        surveyGroup: p.surveyGroup,
        superuser: p.superuser,
      };
    },
    /** Imports a CSV, all rows or none (ImportRejected lists every bad line). */
    importCsv: (code: number, text: string, actorUserId: number) => importCsv(deps, code, text, actorUserId),
    /** Adds one participant; returns the new id. */
    add: (code: number, input: ParticipantInput, actorUserId: number) => add(deps, code, input, actorUserId),
    /** Changes one participant of the municipality. */
    update: (code: number, id: number, input: ParticipantInput, actorUserId: number) =>
      update(deps, code, id, input, actorUserId),
  };
}
export type ParticipantsService = ReturnType<typeof createParticipantsService>;
