import type { Db, DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { NotFound } from '../shared/errors.js';
import { participantsRepository } from './participants.repository.js';
import { SURVEY_GROUP_LABELS } from './survey-groups.js';

type Exported = Array<Record<string, unknown>>;

/**
 * What the personal-data service asks of each feature that keeps data about a participant. The features
 * sit above participants, so the container hands their owners in: the outbox (mail), personal links,
 * e-learning and the surveys.
 */
type Deps = {
  db: Db;
  clock: Clock;
  /** Lists and links of a municipality are purged this many days after its round 3/3 closed. */
  purgeAfterDays: number;
  outbox: { forgetAddresses(db: DbOrTrx, emails: readonly string[]): Promise<void> };
  links: {
    exportFor(db: DbOrTrx, participantId: number): Promise<Exported>;
    eraseForParticipants(db: DbOrTrx, participantIds: readonly number[]): Promise<void>;
  };
  elearning: {
    exportForParticipants(
      db: DbOrTrx,
      participantIds: readonly number[],
    ): Promise<{ fremdrift: Exported; testforsoeg: Exported; kursusbeviser: Exported }>;
    eraseForParticipants(db: DbOrTrx, participantIds: readonly number[]): Promise<void>;
  };
  surveys: {
    exportFor(db: DbOrTrx, participantId: number): Promise<Exported>;
    eraseForParticipants(db: DbOrTrx, participantIds: readonly number[]): Promise<void>;
    /** Freezes the response rates of the municipality's closed rounds, so an erasure does not change them. */
    freezeMunicipalityRates(db: DbOrTrx, code: number): Promise<void>;
    /** Municipalities whose round 3/3 closed at or before the cutoff. */
    finalRoundClosedBy(db: DbOrTrx, cutoff: Date): Promise<number[]>;
  };
};

/**
 * Erases people in the caller's transaction: each owner forgets its part (links, e-learning, survey
 * participation, the addresses in the outbox) and the participant rows go last. The rates of closed rounds
 * are frozen first; anonymous answers stay, as they cannot be tied to anyone.
 */
async function erase(deps: Deps, trx: DbOrTrx, code: number, people: Array<{ id: number; email: string }>) {
  const ids = people.map((p) => p.id);
  await deps.surveys.freezeMunicipalityRates(trx, code);
  await deps.links.eraseForParticipants(trx, ids);
  await deps.elearning.eraseForParticipants(trx, ids);
  await deps.surveys.eraseForParticipants(trx, ids);
  await participantsRepository.deleteByIds(trx, ids);
  await deps.outbox.forgetAddresses(
    trx,
    people.map((p) => p.email),
  );
}

/** Erases a person (GDPR art. 17): links, participation, learning and certificates go; anonymous answers stay. */
async function remove(deps: Deps, code: number, id: number, actorUserId: number): Promise<void> {
  await deps.db.transaction(async (trx) => {
    const p = await participantsRepository.inMunicipality(trx, code, id);
    if (!p) throw new NotFound('Deltageren findes ikke.');
    await erase(deps, trx, code, [{ id, email: p.email }]);
    await audit(trx, {
      actorUserId,
      action: 'participants.remove',
      subject: `deltager:${id}`,
      at: deps.clock.now(),
    });
  });
}

/** Everything Parat holds about one person (GDPR art. 15); anonymous answers cannot be tied to them. */
async function exportPerson(deps: Deps, code: number, id: number, actorUserId: number) {
  return deps.db.transaction(async (trx) => {
    const p = await participantsRepository.inMunicipality(trx, code, id);
    if (!p) throw new NotFound('Deltageren findes ikke.');
    const data = {
      deltager: {
        navn: p.name,
        email: p.email,
        gruppe: SURVEY_GROUP_LABELS[p.surveyGroup] ?? p.surveyGroup,
        superbruger: p.superuser,
        oprettet: p.createdAt,
      },
      parathedsundersoegelser: await deps.surveys.exportFor(trx, id),
      personlige_links: await deps.links.exportFor(trx, id),
      e_laering: await deps.elearning.exportForParticipants(trx, [id]),
      bemaerkning:
        'Svarene i parathedsundersøgelser og evalueringer er anonyme og kan ikke knyttes til dig, så de er ikke med her.',
    };
    await audit(trx, {
      actorUserId,
      action: 'participants.export',
      subject: `deltager:${id}`,
      at: deps.clock.now(),
    });
    return data;
  });
}

/** Purges a municipality's participant list and links a while after its round 3/3 closed; returns how many. */
async function purgeMunicipality(deps: Deps, trx: DbOrTrx, code: number): Promise<number> {
  const people = await participantsRepository.idsAndEmails(trx, code);
  await erase(deps, trx, code, people);
  await audit(trx, {
    actorUserId: null,
    action: 'participants.purge',
    subject: `kommune:${code}`,
    details: { count: people.length },
    at: deps.clock.now(),
  });
  return people.length;
}

/** Purges the lists of municipalities whose round 3/3 closed `purgeAfterDays` ago; returns their codes. */
async function purgeDue(deps: Deps): Promise<number[]> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.purgeAfterDays * 86_400_000);
  const due = await deps.surveys.finalRoundClosedBy(deps.db, cutoff);
  const codes = await participantsRepository.municipalitiesWithParticipants(deps.db, due);
  for (const code of codes) await deps.db.transaction((trx) => purgeMunicipality(deps, trx, code));
  return codes;
}

/** A person's data across Parat: export (art. 15), erasure (art. 17) and the purge after the last round. */
export function createPersonalDataService(deps: Deps) {
  return {
    /** Everything Parat holds about one participant of the municipality, as JSON-ready data. */
    exportPerson: (code: number, id: number, actorUserId: number) =>
      exportPerson(deps, code, id, actorUserId),
    /** Erases one participant of the municipality and all their data. */
    remove: (code: number, id: number, actorUserId: number) => remove(deps, code, id, actorUserId),
    /** Purges the lists that are due (the scheduler runs it). */
    purgeDue: () => purgeDue(deps),
    /** Purges one municipality's list inside the caller's transaction. */
    purgeMunicipality: (trx: DbOrTrx, code: number) => purgeMunicipality(deps, trx, code),
  };
}
export type PersonalDataService = ReturnType<typeof createPersonalDataService>;
