/**
 * Rounds half away from zero; toPrecision strips binary noise first, so 3.05 rounds like the 3,05 a person
 * reads (to 3,1) and never shows as -0.
 */
export function roundHalfAway(x: number, decimals: number): number {
  if (!Number.isFinite(x)) return x;
  const factor = 10 ** decimals;
  const scaled = Number((Math.abs(x) * factor).toPrecision(12));
  const rounded = (Math.sign(x) * Math.round(scaled)) / factor;
  return rounded === 0 ? 0 : rounded;
}
