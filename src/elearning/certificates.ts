// Certificate codes: the pure helpers; the certificates table is in certificates.repository.ts.
import { CODE_ALPHABET, randomCode } from '../shared/random.js';

/** Characters in a certificate code. */
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
