import { roundHalfAway } from '../shared/numbers.js';
import { formatDecimal } from '../web/format.js';
import { ELEMENTS, type ElementKey } from './groups.js';

/** A Likert answer; null is "ved ikke" or unanswered and counts as no answer. */
export type Answer = 1 | 2 | 3 | 4 | 5 | null;

/** Which element each item id belongs to (from the instrument version the round opened with). */
export type ItemElementMap = Record<string, ElementKey>;

/** One respondent's element scores: the mean of their answered items; null when none answered. */
export type RespondentScores = Record<ElementKey, number | null>;

/** A group's element score: mean over respondents with a score in the element, and how many they are. */
export type ElementStat = { mean: number | null; n: number };

export type Status = 'ok' | 'folg-op' | 'indsats';

export const STATUS_LABELS: Record<Status, string> = {
  ok: 'OK',
  'folg-op': 'følg op',
  indsats: 'indsatsområde',
};

/** Thresholds from the handbook §5.2.2: 4 and above is OK, 3 and below is an area to work on. */
const OK_FROM = 4.0;
const INDSATS_TO = 3.0;

function mapElements<T>(f: (e: ElementKey) => T): Record<ElementKey, T> {
  return Object.fromEntries(ELEMENTS.map((e) => [e, f(e)])) as Record<ElementKey, T>;
}

/** Element scores for one response; item ids missing from the map (another instrument version) are ignored. */
export function respondentScores(answers: Record<string, Answer>, items: ItemElementMap): RespondentScores {
  const sums = mapElements(() => ({ sum: 0, count: 0 }));
  for (const [itemId, answer] of Object.entries(answers)) {
    const element = Object.hasOwn(items, itemId) ? items[itemId] : undefined;
    if (element === undefined || answer === null || typeof answer !== 'number') continue;
    sums[element].sum += answer;
    sums[element].count += 1;
  }
  return mapElements((e) => (sums[e].count > 0 ? sums[e].sum / sums[e].count : null));
}

/** A group's element scores: respondents without a score in an element count neither in its mean nor in n. */
export function groupElementScores(respondents: RespondentScores[]): Record<ElementKey, ElementStat> {
  return mapElements((e) => {
    let sum = 0;
    let n = 0;
    for (const r of respondents) {
      const score = r[e];
      if (score === null) continue;
      sum += score;
      n += 1;
    }
    return { mean: n > 0 ? sum / n : null, n };
  });
}

/** One decimal, half away from zero, as every score is shown. */
export function roundOne(x: number): number {
  return roundHalfAway(x, 1);
}

/** Classified on the value as shown, so a score displayed as 3,0 is always an indsatsområde. */
export function statusOf(mean: number): Status {
  const shown = roundOne(mean);
  if (shown >= OK_FROM) return 'ok';
  if (shown <= INDSATS_TO) return 'indsats';
  return 'folg-op';
}

/** The handbook's rule: the leftmost element scoring 3 or lower is worked on first, even if a later one is lower. */
export function barrierPoint(scores: Record<ElementKey, number | null>): ElementKey | null {
  for (const e of ELEMENTS) {
    const score = scores[e];
    if (score !== null && roundOne(score) <= INDSATS_TO) return e;
  }
  return null;
}

/** What to do first when an element is the barrier point (handbook §5.2.1–5.2.3). */
export const BARRIER_ADVICE: Record<ElementKey, string> = {
  opmaerksomhed:
    'Fortæl medarbejderne, hvad KSD er, hvorfor kommunen skifter, og hvornår det sker. Brug kommunikationsplanen, så alle kender forandringen, før der arbejdes med motivation og uddannelse.',
  motivation:
    'Forklar, hvorfor KSD er nødvendigt, og hvad den enkelte får ud af skiftet, og involvér lederne i dialogen. Vent med mere uddannelse, til motivationen er på plads, for ellers er den typisk spildt.',
  viden:
    'Sørg for, at medarbejderne får uddannelsen: e-læring, huskesedler, undervisning og sidemandsoplæring ved superbrugerne. Følg op på, hvem der endnu mangler at gennemføre den.',
  stoette:
    'Giv medarbejderne tid til at lære og bruge KSD, og gør superbrugerne synlige og lette at få fat i. Lederne skal bakke tydeligt op og fjerne praktiske forhindringer.',
  anerkendelse:
    'Anerkend og fejr medarbejdernes indsats og de første resultater med KSD. Følg op, og del erfaringer og hjælpeværktøjer, så den nye måde at arbejde på fastholdes.',
};

/** How many respondents have each element as their own barrier point; 'ingen' = none. */
export type BarrierDistribution = Record<ElementKey | 'ingen', number>;

/** Counts each respondent's own barrier point; a respondent with no element ≤ 3,0 (or no answers) counts as 'ingen'. */
export function barrierDistribution(respondents: RespondentScores[]): BarrierDistribution {
  const counts: BarrierDistribution = { ...mapElements(() => 0), ingen: 0 };
  for (const r of respondents) counts[barrierPoint(r) ?? 'ingen'] += 1;
  return counts;
}

/** Change per element between the shown (rounded) scores, so the trend always matches the two figures on screen. */
export function trend(
  base: Record<ElementKey, number | null>,
  later: Record<ElementKey, number | null>,
): Record<ElementKey, number | null> {
  return mapElements((e) => {
    const b = base[e];
    const l = later[e];
    return b === null || l === null ? null : roundOne(roundOne(l) - roundOne(b));
  });
}

/** Answered / invited, kept within [0, 1]; null when nobody was invited. */
export function responseRate(answered: number, invited: number): number | null {
  if (!(invited > 0)) return null;
  return Math.min(1, Math.max(0, answered / invited));
}

/** A score as every score is shown: one decimal (see roundOne), Danish comma; '–' when there is no score. */
export function formatScore(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '–';
  return formatDecimal(roundOne(x), 1);
}
