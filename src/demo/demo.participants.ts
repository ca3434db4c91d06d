import type { DbOrTrx } from '../db/knex.js';
import type { Clock } from '../shared/clock.js';
import type { Rng } from '../shared/random.js';
import { SURVEY_GROUPS, type SurveyGroup } from '../surveys/index.js';
import type { Municipality } from '../municipalities/index.js';

const FIRST = [
  'Anne',
  'Mette',
  'Lars',
  'Jens',
  'Hanne',
  'Peter',
  'Susanne',
  'Michael',
  'Camilla',
  'Søren',
  'Louise',
  'Thomas',
  'Birgitte',
  'Henrik',
  'Line',
  'Rasmus',
  'Maria',
  'Jesper',
  'Lene',
  'Mads',
  'Ida',
  'Frederik',
  'Karen',
  'Niels',
  'Sofie',
  'Ole',
  'Trine',
  'Martin',
  'Helle',
  'Anders',
];
const LAST = [
  'Nielsen',
  'Jensen',
  'Hansen',
  'Pedersen',
  'Andersen',
  'Christensen',
  'Larsen',
  'Sørensen',
  'Rasmussen',
  'Jørgensen',
  'Petersen',
  'Madsen',
  'Kristensen',
  'Olsen',
  'Thomsen',
  'Poulsen',
  'Johansen',
  'Møller',
  'Mortensen',
  'Østergaard',
];
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'oe')
    .replace(/å/g, 'aa')
    .replace(/[^a-z0-9]+/g, '-');

/** The demo case worker Anette (Copenhagen), who logs in through a link and is left out of the answers and the e-learning. */
export const ANETTE_EMAIL = 'anette.sagsbehandler@kk.example.dk';

/** How many participants a municipality gets per survey group: Copenhagen (101) a fixed 60 case workers, the others a random size. */
function groupCounts(code: number, rnd: Rng): Record<SurveyGroup, number> {
  const size = code === 101 ? 60 : 4 + Math.floor(rnd() * 30);
  return {
    'leder-ydelsescenter': 1,
    'leder-jobcenter': 1,
    'sagsbehandler-ydelsescenter': size,
    'sagsbehandler-udenfor': 2 + Math.floor(rnd() * size * 0.5),
    informationssoegende: 1 + Math.floor(rnd() * 8),
  };
}

/** One municipality's participant list: random Danish names, numbered e-mail addresses, some superusers. */
function participantRows(m: Municipality, rnd: Rng, clock: Clock): Array<Record<string, unknown>> {
  const counts = groupCounts(m.code, rnd);
  const rows: Array<Record<string, unknown>> = [];
  let n = 0;
  for (const g of SURVEY_GROUPS) {
    for (let i = 0; i < counts[g]; i++) {
      const first = FIRST[Math.floor(rnd() * FIRST.length)]!;
      const last = LAST[Math.floor(rnd() * LAST.length)]!;
      rows.push({
        municipality_code: m.code,
        name: `${first} ${last}`,
        email: `${slug(first)}.${slug(last)}.${++n}@${slug(m.name)}.example.dk`,
        survey_group: g,
        superuser: g.startsWith('sagsbehandler') && rnd() < 0.12,
        created_at: clock.now(),
      });
    }
  }
  if (m.code === 101) {
    rows.push({
      municipality_code: 101,
      name: 'Anette Sagsbehandler',
      email: ANETTE_EMAIL,
      survey_group: 'sagsbehandler-ydelsescenter',
      superuser: true,
      created_at: clock.now(),
    });
  }
  return rows;
}

/** Adds every municipality's participants, in the municipalities' order (the seeded draws depend on it). */
export async function addParticipants(
  trx: DbOrTrx,
  municipalities: Municipality[],
  rnd: Rng,
  clock: Clock,
): Promise<void> {
  for (const m of municipalities) {
    await trx.batchInsert('participants', participantRows(m, rnd, clock), 200);
  }
}
