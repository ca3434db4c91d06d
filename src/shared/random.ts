import crypto from 'node:crypto';

/** A source of uniform numbers in [0, 1); injectable so draws and shuffles are reproducible in tests. */
export type Rng = () => number;

/** Cryptographic randomness for anything a person could otherwise predict (quiz draws, comment order). */
export const secureRng: Rng = () => crypto.randomInt(0, 2 ** 47) / 2 ** 47;

/** A small seeded generator (mulberry32): repeatable randomness for demo data, tests and property checks. */
export function seededRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates on a copy; the input is left as it was. */
export function shuffle<T>(items: readonly T[], rng: Rng = secureRng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    // The clamp guards against an rng that returns exactly 1.
    const j = Math.min(i, Math.floor(rng() * (i + 1)));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** No 0/O, 1/I/L: codes are read aloud and typed from paper. */
export const CODE_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A cryptographically random code of `length` characters from `alphabet` (log2(31) ≈ 5 bits each by default). */
export function randomCode(length: number, alphabet: string = CODE_ALPHABET): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[crypto.randomInt(0, alphabet.length)];
  return out;
}
