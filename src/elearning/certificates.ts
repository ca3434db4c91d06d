import type { DbOrTrx } from '../db/knex.js';
import { CODE_ALPHABET, randomCode } from '../shared/random.js';

export const CODE_LENGTH = 10;

/** A random verification code (~49 bits). */
export function generateCode(length = CODE_LENGTH): string {
  return randomCode(length, CODE_ALPHABET);
}

/** Upper-cases and drops spaces and dashes, so "abcde-fghjk" finds ABCDEFGHJK. */
export function normalizeCode(input: string): string {
  return input.toUpperCase().replace(/[\s-]/g, '');
}

/** ABCDE-FGHJK, easier to read off paper. */
export function formatCode(code: string): string {
  return code.length === 10 ? `${code.slice(0, 5)}-${code.slice(5)}` : code;
}

export type Certificate = {
  code: string;
  name: string;
  municipalityCode: number | null;
  municipalityName: string | null;
  passedOn: string;
};

export const certificatesRepository = {
  async forLearner(db: DbOrTrx, learnerId: number): Promise<Certificate | null> {
    const r = await db('certificates as c')
      .leftJoin('municipalities as m', 'm.code', 'c.municipality_code')
      .where('c.learner_id', learnerId)
      .first('c.code', 'c.name', 'c.municipality_code', 'm.name as municipality_name', 'c.passed_on');
    return r ? toCertificate(r) : null;
  },

  /** Issues the learner's certificate once, on their first passed attempt. */
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
    const r = await db('certificates as c')
      .leftJoin('municipalities as m', 'm.code', 'c.municipality_code')
      .where('c.code', code)
      .first('c.code', 'c.name', 'c.municipality_code', 'm.name as municipality_name', 'c.passed_on');
    if (!r) return null;
    const c = toCertificate(r);
    return { name: c.name, municipalityName: c.municipalityName, passedOn: c.passedOn };
  },
};

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
