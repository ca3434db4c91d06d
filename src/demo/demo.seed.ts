import crypto from 'node:crypto';
import { buildQuietRounds, type Container } from '../container.js';
import { addDays, addMonths, isoDay } from '../shared/clock.js';
import { seededRng } from '../shared/random.js';
import { municipalitiesRepository } from '../municipalities/municipalities.repository.js';
import { currentVersion, elementsOf } from '../surveys/instrument.js';
import { SURVEY_GROUPS, type SurveyGroup } from '../surveys/groups.js';
import { seedDemoElearning } from './demo.elearning.js';

/** Go-live per wave relative to today, so municipalities are in every phase of the three rounds. */
function waveGoLive(today: string): Record<number, string> {
  return {
    1: addMonths(today, -9), // all three rounds closed
    2: addDays(addMonths(today, -6), -5), // 3/3 open
    3: addMonths(today, -3), // 1/3 and 2/3 closed, 3/3 planned
    4: addDays(addMonths(today, -1), -7), // 2/3 open
    5: addMonths(today, 2), // 1/3 closed
    6: addDays(addMonths(today, 6), -10), // 1/3 open
    7: addMonths(today, 9), // nothing opened yet
    8: addMonths(today, 14), // reserve
  };
}
const FIXED_WAVES: Record<number, number> = { 101: 4, 751: 5, 461: 3 };

const normal = (rnd: () => number) => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

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
const COMMENTS = [
  'Vi mangler stadig at vide præcis, hvornår undervisningen ligger.',
  'Det er godt, at der kommer automatiske afgørelser, men jeg er spændt på, om de rammer rigtigt.',
  'Superbrugerne har været gode til at svare på spørgsmål.',
  'Jeg er bekymret for travlheden i de første uger efter go-live.',
  'E-læringen var god, men jeg vil gerne have mere hands-on træning.',
  'Det ville hjælpe med flere huskesedler til de sjældne sagstyper.',
  'Ledelsen har været tydelig om, hvorfor vi skifter system.',
  'Vi har brug for tid i kalenderen til at øve os.',
  'Opgavelisten giver et bedre overblik end advis i det gamle system.',
  'Jeg savner information om, hvad der sker med de gamle sager.',
];
const slug = (name: string) =>
  name
    .toLowerCase()
    .replace(/æ/g, 'ae')
    .replace(/ø/g, 'oe')
    .replace(/å/g, 'aa')
    .replace(/[^a-z0-9]+/g, '-');

/** Demo waves, go-live dates, participants and answers (idempotent: only into an empty database). */
export async function seedDemoData(deps: Container): Promise<void> {
  const { db } = deps;
  const municipalities = await municipalitiesRepository.list(db);
  if (municipalities.some((m) => m.wave !== null)) return;
  const today = isoDay(deps.clock.now());
  const goLive = waveGoLive(today);
  // Seeded, so the demo looks the same on every machine.
  const rnd = seededRng(20261127);
  await db.transaction(async (trx) => {
    let pilotIndex = 0;
    let index = 0;
    for (const m of municipalities) {
      const wave = FIXED_WAVES[m.code] ?? (m.pilot ? 1 + (pilotIndex++ % 2) : 3 + (index++ % 5));
      await municipalitiesRepository.setPlan(trx, m.code, { wave, goLive: goLive[wave] ?? null });
    }
    for (const [wave, date] of Object.entries(goLive))
      await trx('waves')
        .where({ number: Number(wave) })
        .update({ planned_go_live: date });
    for (const m of municipalities) {
      const size = m.code === 101 ? 60 : 4 + Math.floor(rnd() * 30);
      const counts: Record<SurveyGroup, number> = {
        'leder-ydelsescenter': 1,
        'leder-jobcenter': 1,
        'sagsbehandler-ydelsescenter': size,
        'sagsbehandler-udenfor': 2 + Math.floor(rnd() * size * 0.5),
        informationssoegende: 1 + Math.floor(rnd() * 8),
      };
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
            created_at: deps.clock.now(),
          });
        }
      }
      if (m.code === 101) {
        rows.push({
          municipality_code: 101,
          name: 'Anette Sagsbehandler',
          email: 'anette.sagsbehandler@kk.example.dk',
          survey_group: 'sagsbehandler-ydelsescenter',
          superuser: true,
          created_at: deps.clock.now(),
        });
      }
      await trx.batchInsert('participants', rows, 200);
    }
  });

  // No invitations for the demo's past rounds: the demo mailbox starts empty.
  await buildQuietRounds(deps).tick();
  const inst = deps.instruments.get(currentVersion(deps.instruments))!;
  const elements = elementsOf(inst);
  const active = await db('survey_rounds')
    .whereIn('state', ['open', 'closed'])
    .select('id', 'municipality_code', 'round_no', 'state');
  const levels = new Map<number, number>();
  for (const round of active) {
    const code = Number(round.municipality_code);
    if (!levels.has(code)) levels.set(code, 2.5 + rnd() * 1.4);
    const base = levels.get(code)!;
    const roundNo = Number(round.round_no);
    const rate = round.state === 'open' ? 0.2 + rnd() * 0.4 : 0.5 + rnd() * 0.45;
    const participants = await db('participants')
      .where({ municipality_code: code })
      .whereNot({ email: 'anette.sagsbehandler@kk.example.dk' })
      .select('id', 'survey_group');
    const participation: Array<Record<string, unknown>> = [];
    const responses: Array<Record<string, unknown>> = [];
    // Awareness high, knowledge low before training; knowledge and support improve over the rounds.
    const offsets: Record<string, number> = {
      opmaerksomhed: 0.6,
      motivation: 0.1,
      viden: -0.5 + 0.45 * (roundNo - 1),
      stoette: -0.1 + 0.2 * (roundNo - 1),
      anerkendelse: -0.2,
    };
    for (const p of participants) {
      if (rnd() > rate) continue;
      const person = normal(rnd) * 0.5 + (p.survey_group.startsWith('leder') ? 0.4 : 0);
      const answers: Record<string, number | null> = {};
      for (const el of elements) {
        for (const item of el.items) {
          if (rnd() < 0.05) {
            answers[item.id] = null;
            continue;
          }
          const v = Math.round(base + offsets[el.key]! + person + normal(rnd) * 0.6);
          answers[item.id] = Math.min(5, Math.max(1, v));
        }
      }
      participation.push({ round_id: round.id, participant_id: p.id, submitted: true });
      responses.push({
        id: crypto.randomUUID(),
        round_id: round.id,
        municipality_code: code,
        round_no: roundNo,
        survey_group: p.survey_group,
        instrument_version: inst.version,
        answers: JSON.stringify(answers),
        comment: rnd() < 0.25 ? COMMENTS[Math.floor(rnd() * COMMENTS.length)]! : null,
      });
    }
    // Shuffle so the insertion order of responses says nothing about who answered.
    responses.sort(() => rnd() - 0.5);
    await db.transaction(async (trx) => {
      await trx.batchInsert('survey_participation', participation, 200);
      await trx.batchInsert('survey_responses', responses, 200);
    });
  }
  const content = deps.elearning.content;
  await seedDemoElearning(db, deps.clock, content, rnd, deps.config.testPassPercent);
  // Aarhus held a classroom course; its evaluations reach k so the dashboard shows them.
  const [session] = await db('course_sessions')
    .insert({
      municipality_code: 751,
      title: 'KSD tilstedeværelseskursus',
      place: 'Rådhuset, lokale 2',
      held_on: addDays(today, -20),
      code: 'AAR751',
      created_by_user_id: null,
      created_at: deps.clock.now(),
    })
    .returning('id');
  const sessionId = Number(typeof session === 'object' ? session.id : session);
  for (let i = 0; i < 8; i++) {
    const answers = Object.fromEntries(
      content.evaluations.classroom.items.map((it) => [
        it.id,
        Math.max(1, Math.min(5, Math.round(3.8 + (rnd() - 0.5) * 2))),
      ]),
    );
    await db('evaluation_responses').insert({
      id: crypto.randomUUID(),
      municipality_code: 751,
      kind: 'classroom',
      course_session_id: sessionId,
      answers: JSON.stringify(answers),
      comment: null,
    });
  }
}
