import crypto from 'node:crypto';
import type { Db } from '../db/knex.js';
import type { Rng } from '../shared/random.js';
import { currentVersion, elementsOf, type Instrument } from '../surveys/index.js';
import { ANETTE_EMAIL } from './demo.participants.js';

/** A standard normal draw (Box–Muller); it takes two draws from `rnd`. */
const normal = (rnd: Rng) => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());

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

type Element = ReturnType<typeof elementsOf>[number];
type Row = Record<string, unknown>;
/** The instrument the demo answers, and its elements. */
type Survey = { inst: Instrument; elements: Element[] };

/** Awareness high, knowledge low before training; knowledge and support improve over the rounds. */
function elementOffsets(roundNo: number): Record<string, number> {
  return {
    opmaerksomhed: 0.6,
    motivation: 0.1,
    viden: -0.5 + 0.45 * (roundNo - 1),
    stoette: -0.1 + 0.2 * (roundNo - 1),
    anerkendelse: -0.2,
  };
}

/** One person's answers around the municipality's level: about 5 % skipped, the rest on the 1–5 scale. */
function answersOf(
  elements: Element[],
  level: number,
  offsets: Record<string, number>,
  person: number,
  rnd: Rng,
): Record<string, number | null> {
  const answers: Record<string, number | null> = {};
  for (const el of elements) {
    for (const item of el.items) {
      if (rnd() < 0.05) {
        answers[item.id] = null;
        continue;
      }
      const v = Math.round(level + offsets[el.key]! + person + normal(rnd) * 0.6);
      answers[item.id] = Math.min(5, Math.max(1, v));
    }
  }
  return answers;
}

type DemoRound = { id: unknown; municipality_code: unknown; round_no: unknown; state: string };

/** One round's answers: a response rate by the round's state, and one response per participant who answered. */
async function answerRound(
  db: Db,
  { inst, elements }: Survey,
  round: DemoRound,
  level: number,
  rnd: Rng,
): Promise<void> {
  const code = Number(round.municipality_code);
  const roundNo = Number(round.round_no);
  const rate = round.state === 'open' ? 0.2 + rnd() * 0.4 : 0.5 + rnd() * 0.45;
  const participants = await db('participants')
    .where({ municipality_code: code })
    .whereNot({ email: ANETTE_EMAIL })
    .select('id', 'survey_group');
  const participation: Row[] = [];
  const responses: Row[] = [];
  const offsets = elementOffsets(roundNo);
  for (const p of participants) {
    if (rnd() > rate) continue;
    const person = normal(rnd) * 0.5 + (p.survey_group.startsWith('leder') ? 0.4 : 0);
    const answers = answersOf(elements, level, offsets, person, rnd);
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

/** Answers every open and closed round; each municipality keeps one readiness level across its rounds. */
export async function answerRounds(db: Db, instruments: Map<number, Instrument>, rnd: Rng): Promise<void> {
  const inst = instruments.get(currentVersion(instruments))!;
  const survey: Survey = { inst, elements: elementsOf(inst) };
  const active = await db('survey_rounds')
    .whereIn('state', ['open', 'closed'])
    .select('id', 'municipality_code', 'round_no', 'state');
  const levels = new Map<number, number>();
  for (const round of active) {
    const code = Number(round.municipality_code);
    if (!levels.has(code)) levels.set(code, 2.5 + rnd() * 1.4);
    await answerRound(db, survey, round, levels.get(code)!, rnd);
  }
}
