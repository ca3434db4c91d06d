import { describe, expect, it } from 'vitest';
import {
  ELEMENTS,
  ELEMENT_LABELS,
  SURVEY_GROUPS,
  SURVEY_GROUP_LABELS,
  isSurveyGroup,
  type ElementKey,
} from '../../src/surveys/groups.js';
import {
  BARRIER_ADVICE,
  STATUS_LABELS,
  barrierDistribution,
  barrierPoint,
  formatScore,
  groupElementScores,
  respondentScores,
  responseRate,
  roundOne,
  statusOf,
  trend,
  type Answer,
  type ItemElementMap,
  type RespondentScores,
} from '../../src/surveys/scoring.js';
import { formatPercent } from '../../src/web/format.js';

/** Element scores with every element not given left as "no score". */
function scores(partial: Partial<Record<ElementKey, number | null>>): RespondentScores {
  return {
    opmaerksomhed: null,
    motivation: null,
    viden: null,
    stoette: null,
    anerkendelse: null,
    ...partial,
  };
}

/** Respondents who each have `value` in one element only. */
function onlyIn(element: ElementKey, values: number[]): RespondentScores[] {
  return values.map((v) => scores({ [element]: v }));
}

const items: ItemElementMap = {
  o1: 'opmaerksomhed',
  o2: 'opmaerksomhed',
  m1: 'motivation',
  m2: 'motivation',
  v1: 'viden',
  s1: 'stoette',
  a1: 'anerkendelse',
  a2: 'anerkendelse',
};

describe('groups and elements', () => {
  it('when listed, then groups and elements keep the handbook order and Danish labels', () => {
    expect(SURVEY_GROUPS.map((g) => SURVEY_GROUP_LABELS[g])).toEqual([
      'Leder af Ydelsescentret',
      'Leder af Jobcenteret',
      'Sagsbehandler i Ydelsescentret',
      'Sagsbehandler uden for Ydelsescentret',
      'Informationssøgende medarbejder',
    ]);
    expect(ELEMENTS.map((e) => ELEMENT_LABELS[e])).toEqual([
      'Opmærksomhed',
      'Motivation',
      'Viden/Færdigheder',
      'Støtte',
      'Anerkendelse',
    ]);
  });

  it('when a string is checked, then only the five group keys are survey groups', () => {
    expect(isSurveyGroup('sagsbehandler-udenfor')).toBe(true);
    expect(isSurveyGroup('superbruger')).toBe(false);
    expect(isSurveyGroup('toString')).toBe(false);
  });
});

describe('respondentScores', () => {
  it('when an item is answered "ved ikke", then it counts as no answer, not as a low score', () => {
    // o1 = 4, o2 = ved ikke -> 4 (not (4 + 0) / 2 = 2)
    const s = respondentScores({ o1: 4, o2: null }, items);
    expect(s.opmaerksomhed).toBe(4);
  });

  it('when an element is partly answered, then only its answered items make up the mean', () => {
    // m1 = 2, m2 = 5 -> 3.5; a1 = 5, a2 unanswered -> 5
    const s = respondentScores({ m1: 2, m2: 5, a1: 5 }, items);
    expect(s.motivation).toBe(3.5);
    expect(s.anerkendelse).toBe(5);
  });

  it('when no item in an element is answered, then its score is null', () => {
    const s = respondentScores({ o1: 3, v1: null }, items);
    expect(s).toEqual(scores({ opmaerksomhed: 3 }));
  });

  it('when an answer has an item id outside the instrument, then it is ignored', () => {
    const answers: Record<string, Answer> = { o1: 2, x9: 5 };
    answers['toString'] = 1; // an inherited name must not reach Object.prototype
    const s = respondentScores(answers, items);
    expect(s).toEqual(scores({ opmaerksomhed: 2 }));
  });
});

describe('groupElementScores', () => {
  it('when respondents lack a score in an element, then they count neither in its mean nor in n', () => {
    const group = [
      scores({ opmaerksomhed: 4, motivation: 3.5 }),
      scores({ opmaerksomhed: 2, viden: 3 }),
      scores({ opmaerksomhed: 3 }),
    ];
    const g = groupElementScores(group);
    expect(g.opmaerksomhed).toEqual({ mean: 3, n: 3 }); // (4 + 2 + 3) / 3
    expect(g.motivation).toEqual({ mean: 3.5, n: 1 });
    expect(g.viden).toEqual({ mean: 3, n: 1 });
    expect(g.stoette).toEqual({ mean: null, n: 0 });
    expect(g.anerkendelse).toEqual({ mean: null, n: 0 });
  });

  it('when there are no respondents, then every element is null with n 0', () => {
    const g = groupElementScores([]);
    for (const e of ELEMENTS) expect(g[e]).toEqual({ mean: null, n: 0 });
  });
});

describe('roundOne', () => {
  it('when a value is exactly halfway, then it rounds away from zero despite float noise', () => {
    expect(roundOne(3.05)).toBe(3.1); // 3.05 * 10 is 30.499999999999996 in binary
    expect(roundOne(2.95)).toBe(3.0);
    expect(roundOne(0.15)).toBe(0.2);
    expect(roundOne(-0.25)).toBe(-0.3);
  });

  it('when a value is below the half, then it rounds down, and a tiny negative becomes plain 0', () => {
    expect(roundOne(2.949)).toBe(2.9);
    expect(roundOne(3.04)).toBe(3.0);
    expect(Object.is(roundOne(-0.04), 0)).toBe(true);
  });
});

describe('statusOf', () => {
  it('when a mean is exactly 3.0, then it is an indsatsområde', () => {
    expect(statusOf(3.0)).toBe('indsats');
  });

  it('when a mean is exactly 4.0, then it is OK', () => {
    expect(statusOf(4.0)).toBe('ok');
  });

  it('when a mean is 3.1 or 3.9, then it is følg op', () => {
    expect(statusOf(3.1)).toBe('folg-op');
    expect(statusOf(3.9)).toBe('folg-op');
  });

  it('when a mean of 2.96 is shown as 3,0, then it is an indsatsområde, as shown', () => {
    expect(formatScore(2.96)).toBe('3,0');
    expect(statusOf(2.96)).toBe('indsats');
    expect(statusOf(3.04)).toBe('indsats');
    expect(statusOf(3.05)).toBe('folg-op');
  });

  it('when a mean of 3.96 is shown as 4,0, then it is OK, but 3.949 (shown 3,9) is følg op', () => {
    expect(formatScore(3.96)).toBe('4,0');
    expect(statusOf(3.96)).toBe('ok');
    expect(statusOf(3.949)).toBe('folg-op');
  });

  it('when group means come from respondents (2, 4, 3), (3, 3, 3, 3, 2.8) and (4, 4, 4, 4, 3.8), then they are 3.0, 2.96 and 3.96', () => {
    const exact = groupElementScores(onlyIn('stoette', [2, 4, 3])).stoette;
    const low = groupElementScores(onlyIn('stoette', [3, 3, 3, 3, 2.8])).stoette;
    const high = groupElementScores(onlyIn('stoette', [4, 4, 4, 4, 3.8])).stoette;
    expect(exact.mean).toBe(3);
    expect(statusOf(exact.mean!)).toBe('indsats');
    expect(low.mean).toBeCloseTo(2.96, 10);
    expect(statusOf(low.mean!)).toBe('indsats');
    expect(high.mean).toBeCloseTo(3.96, 10);
    expect(statusOf(high.mean!)).toBe('ok');
  });

  it('when shown, then the status words are Danish', () => {
    expect(STATUS_LABELS).toEqual({ ok: 'OK', 'folg-op': 'følg op', indsats: 'indsatsområde' });
  });
});

describe('barrierPoint', () => {
  it('when a later element scores lower, then the leftmost element at or below 3.0 is still the barrier', () => {
    const b = barrierPoint(
      scores({ opmaerksomhed: 4.2, motivation: 2.9, viden: 3.5, stoette: 1.5, anerkendelse: 2 }),
    );
    expect(b).toBe('motivation');
  });

  it('when a score is shown as 3,0 (3.04), then it is a barrier', () => {
    expect(barrierPoint(scores({ opmaerksomhed: 4, motivation: 3.3, viden: 3.04, stoette: 2 }))).toBe(
      'viden',
    );
  });

  it('when every score is above 3.0 (lowest 3.05, shown 3,1), then there is no barrier', () => {
    const b = barrierPoint(
      scores({ opmaerksomhed: 3.05, motivation: 4, viden: 3.5, stoette: 4.8, anerkendelse: 3.1 }),
    );
    expect(b).toBeNull();
  });

  it('when an element has no score, then it is skipped', () => {
    expect(barrierPoint(scores({ opmaerksomhed: null, motivation: 2, viden: 1 }))).toBe('motivation');
    expect(barrierPoint(scores({}))).toBeNull();
  });

  it('when a barrier is found, then there is Danish advice for it, and for Motivation it puts communication before training', () => {
    for (const e of ELEMENTS) expect(BARRIER_ADVICE[e].length).toBeGreaterThan(40);
    expect(BARRIER_ADVICE.motivation).toMatch(/hvorfor/);
    expect(BARRIER_ADVICE.motivation).toMatch(/uddannelse/);
  });
});

describe('barrierDistribution', () => {
  it('when five respondents are counted, then each is counted once at their own leftmost barrier or as ingen', () => {
    const d = barrierDistribution([
      scores({ opmaerksomhed: 2, motivation: 1 }), // opmaerksomhed (leftmost, though motivation is lower)
      scores({ opmaerksomhed: 4, motivation: 3, viden: 2 }), // motivation
      scores({ opmaerksomhed: 4, motivation: 4, viden: 4, stoette: 4, anerkendelse: 4 }), // ingen
      scores({ motivation: 4, viden: 2.5 }), // viden
      scores({}), // answered nothing: ingen
    ]);
    expect(d).toEqual({ opmaerksomhed: 1, motivation: 1, viden: 1, stoette: 0, anerkendelse: 0, ingen: 2 });
  });
});

describe('trend', () => {
  it('when a later round is compared with 1/3, then each element shows the change between the shown scores', () => {
    const t = trend(
      scores({ opmaerksomhed: 2.96, motivation: 3, viden: null, stoette: 4, anerkendelse: 3.3 }),
      scores({ opmaerksomhed: 3.54, motivation: 3, viden: 3.5, stoette: null, anerkendelse: 3.1 }),
    );
    // opmaerksomhed: shown 3,0 -> 3,5 = +0,5; anerkendelse 3,3 -> 3,1 = -0,2 (not -0.19999999999999973)
    expect(t).toEqual({ opmaerksomhed: 0.5, motivation: 0, viden: null, stoette: null, anerkendelse: -0.2 });
  });
});

describe('responseRate', () => {
  it('when nobody was invited, then there is no rate', () => {
    expect(responseRate(0, 0)).toBeNull();
  });

  it('when 23 of 50 answered, then the rate is 0.46; 0 of 10 is 0', () => {
    expect(responseRate(23, 50)).toBe(0.46);
    expect(responseRate(0, 10)).toBe(0);
  });

  it('when more answered than were invited, then the rate stays at 1', () => {
    expect(responseRate(5, 4)).toBe(1);
  });
});

describe('Danish formatting', () => {
  it('when a score is formatted, then it has one decimal and a decimal comma', () => {
    expect(formatScore(3)).toBe('3,0');
    expect(formatScore(3.05)).toBe('3,1');
    expect(formatScore(4.25)).toBe('4,3');
    expect(formatScore(null)).toBe('–');
  });

  it('when a rate is formatted, then it is whole percent with a space before %', () => {
    expect(formatPercent(0.456)).toBe('46 %');
    expect(formatPercent(0.285)).toBe('29 %'); // 0.285 * 100 is 28.499999999999996 in binary
    expect(formatPercent(0)).toBe('0 %');
    expect(formatPercent(1)).toBe('100 %');
    expect(formatPercent(null)).toBe('–');
  });
});
