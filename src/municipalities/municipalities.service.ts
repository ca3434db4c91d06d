import type { Db } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import { audit } from '../shared/audit.js';
import { NotFound, ValidationError } from '../shared/errors.js';
import { municipalitiesRepository, type Municipality } from './municipalities.repository.js';

type Deps = { db: Db; clock: Clock; kombitCvr: string };

/** Sets a municipality's CVR number, audited; refuses KOMBIT's own and one another municipality has. */
async function setCvr(deps: Deps, code: number, cvr: string, actorUserId: number): Promise<Municipality> {
  const { db, clock } = deps;
  const m = await municipalitiesRepository.byCode(db, code);
  if (!m) throw new NotFound('Kommunen findes ikke.');
  if (cvr === deps.kombitCvr)
    throw new ValidationError('Det er KOMBITs eget CVR-nummer.', {
      cvr: 'KOMBITs CVR-nummer kan ikke bruges til en kommune',
    });
  const taken = await municipalitiesRepository.cvrTakenBy(db, cvr, code);
  if (taken)
    throw new ValidationError(`CVR-nummeret bruges allerede af ${taken}.`, {
      cvr: `Bruges allerede af ${taken}`,
    });
  await db.transaction(async (trx) => {
    await municipalitiesRepository.setCvr(trx, code, cvr);
    await audit(trx, {
      actorUserId,
      action: 'municipality.cvr',
      subject: `kommune:${code}`,
      details: { from: m.cvr, to: cvr },
      at: clock.now(),
    });
  });
  return { ...m, cvr };
}

/** The municipalities: listing them, finding one, and the administrator's CVR numbers. */
export function createMunicipalitiesService(deps: Deps) {
  const { db } = deps;
  return {
    /** Every municipality, by code. */
    list: (): Promise<Municipality[]> => municipalitiesRepository.list(db),
    /** One municipality by its kommunekode. */
    byCode: (code: number): Promise<Municipality | undefined> => municipalitiesRepository.byCode(db, code),
    /** The municipality a CVR number belongs to. */
    byCvr: (cvr: string): Promise<Municipality | undefined> => municipalitiesRepository.byCvr(db, cvr),
    setCvr: (code: number, cvr: string, actorUserId: number) => setCvr(deps, code, cvr, actorUserId),
  };
}
export type MunicipalitiesService = ReturnType<typeof createMunicipalitiesService>;
