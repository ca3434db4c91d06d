import type { DbOrTrx } from '../db/knex.js';
import { municipalitiesRepository } from '../municipalities/index.js';
import { CODE_ALPHABET } from '../shared/random.js';
import { CODE_LENGTH, generateCode } from './certificates.js';

/** A certificate as the learner and the verification page see it. */
export type Certificate = {
  code: string;
  name: string;
  municipalityCode: number | null;
  municipalityName: string | null;
  passedOn: string;
};

const SELECT = ['c.code', 'c.name', 'c.municipality_code', 'm.name as municipality_name', 'c.passed_on'];

/** Certificates with their municipality's name; the municipalities table is joined through its owner's builder. */
function withMunicipality(db: DbOrTrx) {
  return db('certificates as c').leftJoin(
    municipalitiesRepository.names(db).as('m'),
    'm.code',
    'c.municipality_code',
  );
}

function toCertificate(r: Record<string, unknown>): Certificate {
  return {
    code: String(r.code),
    name: String(r.name),
    municipalityCode: r.municipality_code === null ? null : Number(r.municipality_code),
    municipalityName:
      r.municipality_name === null || r.municipality_name === undefined ? null : String(r.municipality_name),
    passedOn: String(r.passed_on),
  };
}

/** SQL for certificates; callers own the transaction. */
export const certificatesRepository = {
  /** The learner's certificate, if they have passed. */
  async forLearner(db: DbOrTrx, learnerId: number): Promise<Certificate | null> {
    const r = await withMunicipality(db)
      .where('c.learner_id', learnerId)
      .first(...SELECT);
    return r ? toCertificate(r) : null;
  },

  /** Issues the learner's certificate unless they have one; returns the new code, or null. */
  async issueOnce(
    db: DbOrTrx,
    c: {
      learnerId: number;
      attemptId: number;
      name: string;
      municipalityCode: number | null;
      passedOn: string;
    },
  ): Promise<string | null> {
    if (await db('certificates').where({ learner_id: c.learnerId }).first('id')) return null;
    let code = generateCode();
    while (await db('certificates').where({ code }).first('id')) code = generateCode();
    await db('certificates').insert({
      learner_id: c.learnerId,
      attempt_id: c.attemptId,
      code,
      name: c.name,
      municipality_code: c.municipalityCode,
      passed_on: c.passedOn,
    });
    return code;
  },

  /** Public verification: name, municipality and date only. */
  async verify(
    db: DbOrTrx,
    code: string,
  ): Promise<Pick<Certificate, 'name' | 'municipalityName' | 'passedOn'> | null> {
    if (!new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`).test(code)) return null;
    const r = await withMunicipality(db)
      .where('c.code', code)
      .first(...SELECT);
    if (!r) return null;
    const c = toCertificate(r);
    return { name: c.name, municipalityName: c.municipalityName, passedOn: c.passedOn };
  },

  /** The certificates of these learners for the GDPR export. */
  async exportFor(db: DbOrTrx, learnerIds: readonly number[]): Promise<Array<Record<string, unknown>>> {
    return db('certificates').whereIn('learner_id', learnerIds).select('code', 'name', 'passed_on');
  },
};
