import { shuffle, secureRng, type Rng } from './random.js';

/**
 * The k-anonymity rules of PRODUCT.md "Anonymity", for every feature: a figure over fewer than k people is
 * not shown, and free text needs more people still, because a comment can give its writer away by its
 * content. How a survey round pools small groups to reach k is in surveys/anonymity.ts.
 */

/** The threshold may be configured higher, never lower than this. */
export const MIN_K = 3;
/** Free-text comments are only shown from this many respondents, and never below k. */
export const COMMENT_MIN_RESPONDENTS = 10;

/** The threshold actually applied: a configured k below 3 (or fractional) is never honoured as such. */
export function effectiveK(k: number): number {
  if (Number.isNaN(k)) throw new RangeError('k must be a number');
  return Math.max(MIN_K, Math.floor(k));
}

/** Whether a figure over n people must be hidden under threshold k: fewer than the effective k. */
export function suppressBelowK(n: number, k: number): boolean {
  return !(n >= effectiveK(k));
}

/** The fewest respondents whose comments may be shown: max(k, 10), for surveys and evaluations alike. */
export function commentThreshold(k: number): number {
  return Math.max(effectiveK(k), COMMENT_MIN_RESPONDENTS);
}

/** Whether the comments of n respondents may be shown under threshold k. */
export function commentsPublishable(n: number, k: number): boolean {
  return n >= commentThreshold(k);
}

/**
 * The comments that may be shown for n respondents under threshold k: trimmed, empty ones dropped, and
 * shuffled so their order says nothing about who answered when; none below max(k, 10) respondents.
 */
export function publishComments(
  texts: readonly (string | null)[],
  n: number,
  k: number,
  rng: Rng = secureRng,
): string[] {
  if (!commentsPublishable(n, k)) return [];
  return shuffle(
    texts.map((t) => (t ?? '').trim()).filter((t) => t.length > 0),
    rng,
  );
}
