import { describe, expect, it } from 'vitest';
import { publishRound } from '../../src/surveys/anonymity.js';
import type { RoundResults } from '../../src/surveys/results.service.js';
import type { Municipality } from '../../src/municipalities/municipalities.repository.js';
import type { RespondentScores } from '../../src/surveys/scoring.js';
import type { SurveyGroup } from '../../src/surveys/groups.js';
import {
  combinedTable,
  municipalityResultsView,
  templateHelpers,
} from '../../src/surveys/results.presenter.js';
import { renderMail } from '../../src/mail/templates.js';

const r = (o: number, m: number, v: number, s: number, a: number): RespondentScores => ({
  opmaerksomhed: o,
  motivation: m,
  viden: v,
  stoette: s,
  anerkendelse: a,
});
const times = (n: number, x: RespondentScores) => Array.from({ length: n }, () => x);

function results(groups: Array<[SurveyGroup, RespondentScores[]]>): RoundResults {
  const publication = publishRound(
    groups.map(([group, respondents]) => ({ group, respondents })),
    5,
  );
  const answered = groups.reduce((s, [, list]) => s + list.length, 0);
  return {
    round: {
      id: 1,
      municipalityCode: 1,
      roundNo: 1,
      state: 'closed',
      opensOn: '2026-12-01',
      closesOn: '2026-12-22',
      instrumentVersion: 1,
      remindersSent: 2,
      manual: false,
    },
    publication,
    rates: [],
    totalRate: { invited: answered + 2, answered, rate: answered / (answered + 2) },
    trend: [],
    comments: ['never in mail'],
  };
}
const muni = (code: number, name: string): Municipality => ({
  code,
  name,
  region: 'Region Midtjylland',
  pilot: false,
  wave: 6,
  goLive: '2027-06-01',
  cvr: `19${code}000`,
  resultsEmail: null,
});

describe('combined results for KOMBIT', () => {
  it('when a group is pooled in one municipality, then its respondents count nationally only in "Øvrige grupper", never in the group row', () => {
    // A: 5 caseworkers at 4, published. B: 3 job-centre leaders (< k) are pooled, and B's 5 caseworkers must join the pool.
    const a = results([['sagsbehandler-ydelsescenter', times(5, r(4, 4, 4, 4, 4))]]);
    const b = results([
      ['sagsbehandler-ydelsescenter', times(5, r(2, 2, 2, 2, 2))],
      ['leder-jobcenter', times(3, r(1, 1, 1, 1, 1))],
    ]);
    expect(b.publication.cells.map((c) => c.key)).toEqual(['oevrige']);
    const rows = combinedTable([
      { municipality: muni(751, 'Aarhus'), results: a },
      { municipality: muni(461, 'Odense'), results: b },
    ]);
    const byLabel = new Map(rows.map((x) => [x.label, x]));
    // Caseworkers nationally: only A's published cell (B's caseworkers are inside B's pool).
    expect(byLabel.get('Sagsbehandler i Ydelsescentret')).toMatchObject({ n: 5 });
    expect(byLabel.get('Sagsbehandler i Ydelsescentret')!.cells.opmaerksomhed).toMatchObject({
      score: '4,0',
      status: 'OK',
    });
    expect(byLabel.has('Leder af Jobcenteret')).toBe(false);
    // Pool: (5·2 + 3·1)/8 = 1,6; all: (5·4 + 5·2 + 3·1)/13 = 2,5.
    expect(byLabel.get('Øvrige grupper')).toMatchObject({ n: 8 });
    expect(byLabel.get('Øvrige grupper')!.cells.opmaerksomhed).toMatchObject({
      score: '1,6',
      status: 'indsatsområde',
      barrier: true,
    });
    expect(byLabel.get('Alle grupper')).toMatchObject({ n: 13, total: true, barrier: 'Opmærksomhed' });
    expect(byLabel.get('Alle grupper')!.cells.opmaerksomhed.score).toBe('2,5');
  });
});

describe('municipality results mail', () => {
  it('when the municipality has fewer than k respondents in total, then the mail shows the response rate only, and never comments', async () => {
    const res = results([['sagsbehandler-ydelsescenter', times(4, r(1, 1, 1, 1, 1))]]);
    res.rates = [
      {
        group: 'sagsbehandler-ydelsescenter',
        label: 'Sagsbehandler i Ydelsescentret',
        invited: 6,
        answered: 4,
        rate: 4 / 6,
      },
    ];
    const view = municipalityResultsView(res);
    expect(view.rows).toEqual([]);
    const { html, text } = await renderMail('results', {
      ...templateHelpers,
      municipality: muni(751, 'Aarhus'),
      view,
      url: 'http://x/kommune/resultater/1',
      roundLabel: '1/3 – indledende parathedsundersøgelse',
    });
    expect(text).toContain('Der er færre end 5 besvarelser i alt');
    expect(text).toContain('- Sagsbehandler i Ydelsescentret: 4 / 6 (67 %)');
    expect(text).not.toContain('1,0');
    expect(html).not.toContain('Score pr. gruppe');
    expect(html + text).not.toContain('never in mail');
    expect(html).toMatch(/<th scope="col"[^>]*>Svarprocent<\/th>/);
  });
});
