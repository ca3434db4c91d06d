import crypto from 'node:crypto';
import type { DbOrTrx } from '../db/knex.js';
import { buildQuietRounds, type Container } from '../container.js';
import { addDays, addMonths, isoDay } from '../shared/clock.js';
import { seededRng, type Rng } from '../shared/random.js';
import { municipalitiesRepository, type Municipality } from '../municipalities/index.js';
import { seedDemoElearning } from './demo.elearning.js';
import { addParticipants } from './demo.participants.js';
import { answerRounds } from './demo.answers.js';

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

/** Puts every municipality in a wave (pilots in waves 1–2, the rest spread over 3–7) and dates the waves' go-lives. */
async function planWaves(
  trx: DbOrTrx,
  municipalities: Municipality[],
  goLive: Record<number, string>,
): Promise<void> {
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
}

/** Aarhus held a classroom course; its evaluations reach k so the dashboard shows them. */
async function seedClassroomCourse(deps: Container, today: string, rnd: Rng): Promise<void> {
  const { db } = deps;
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
      deps.elearning.content.evaluations.classroom.items.map((it) => [
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

/**
 * Demo waves, go-live dates, participants and answers (idempotent: only into an empty database).
 * One seeded generator runs through every step in turn, so the steps' order is part of the demo.
 */
export async function seedDemoData(deps: Container): Promise<void> {
  const { db } = deps;
  const municipalities = await municipalitiesRepository.list(db);
  if (municipalities.some((m) => m.wave !== null)) return;
  const today = isoDay(deps.clock.now());
  const goLive = waveGoLive(today);
  // Seeded, so the demo looks the same on every machine.
  const rnd = seededRng(20261127);
  await db.transaction(async (trx) => {
    await planWaves(trx, municipalities, goLive);
    await addParticipants(trx, municipalities, rnd, deps.clock);
  });
  // No invitations for the demo's past rounds: the demo mailbox starts empty.
  await buildQuietRounds(deps).tick();
  await answerRounds(db, deps.instruments, rnd);
  await seedDemoElearning(db, deps.clock, deps.elearning.content, rnd, deps.config.testPassPercent);
  await seedClassroomCourse(deps, today, rnd);
}
