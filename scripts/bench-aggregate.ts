/**
 * National-scale benchmark: 98 municipalities × 3 closed rounds × ~3,400 respondents (≥ 1,000,000
 * anonymous responses). Prints how long the KOMBIT dashboard takes to render over HTTP and how much
 * resident memory grows while the national CSV streams. Usage: npm run bench:aggregate
 * (BENCH_RESPONDENTS overrides respondents per municipality-round; DATABASE_URL runs it on PostgreSQL).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { loadConfig } from '../src/config.js';
import { buildContainer, buildQuietRounds } from '../src/container.js';
import { createApp } from '../src/app.js';
import { createDb } from '../src/db/knex.js';
import { createLogger } from '../src/shared/logger.js';
import { FixedClock } from '../src/shared/clock.js';
import { effectiveK } from '../src/shared/k-anonymity.js';
import { toRound } from '../src/surveys/rounds.repository.js';
import { SURVEY_GROUPS } from '../src/surveys/groups.js';
import { loginThroughDevIdp } from '../test/support/saml.js';

const PER_ROUND = Number(process.env.BENCH_RESPONDENTS ?? 3402);
const ITEM_IDS = ['opm', 'mot', 'vid', 'sto', 'ane'].flatMap((p) => [1, 2, 3, 4].map((i) => `${p}${i}`));
const GROUP_SHARE: Array<[string, number]> = [
  ['leder-ydelsescenter', 0.002],
  ['leder-jobcenter', 0.002],
  ['sagsbehandler-ydelsescenter', 0.55],
  ['sagsbehandler-udenfor', 0.3],
  ['informationssoegende', 0.146],
];

const ms = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e6;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-bench-'));
  const env = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    VAR_DIR: dir,
    SQLITE_FILE: path.join(dir, 'bench.sqlite'),
    SESSION_SECRET: 'bench-secret-bench-secret-bench-secret-00',
    SCHEDULER_INTERVAL_SECONDS: '0',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  };
  const config = loadConfig(env);
  const clock = new FixedClock(new Date('2030-01-01T08:00:00Z'));
  const db = createDb(config.database);
  const deps = await buildContainer(config, createLogger('silent'), { db, clock });
  console.log(
    `database: ${config.database.client}${config.database.client === 'sqlite3' ? ` (${config.database.filename})` : ''}`,
  );

  let t = process.hrtime.bigint();
  const surveys = { rounds: buildQuietRounds(deps) };
  const municipalities = await db('municipalities').select('code').orderBy('code');
  for (const [i, m] of municipalities.entries())
    await surveys.rounds.setPlan(Number(m.code), { wave: 3 + (i % 5), goLive: '2028-06-01' }, null);
  await surveys.rounds.tick();
  const rounds = (await db('survey_rounds').orderBy('id')).map(toRound);
  if (rounds.some((r) => r.state !== 'closed')) throw new Error('expected every round closed');

  // Participants: PER_ROUND per municipality, spread over the five groups.
  const participantsByMunicipality = new Map<number, Array<{ id: number; group: string }>>();
  for (const m of municipalities) {
    const rows = [];
    for (let i = 0; i < PER_ROUND; i++) {
      let acc = 0;
      const x = (i + 0.5) / PER_ROUND;
      const group = GROUP_SHARE.find(([, share]) => (acc += share) >= x)?.[0] ?? 'informationssoegende';
      rows.push({
        municipality_code: m.code,
        name: `Deltager ${i}`,
        email: `d${i}@k${m.code}.example.dk`,
        survey_group: group,
        superuser: false,
        created_at: clock.now(),
      });
    }
    await db.batchInsert('participants', rows, 500);
    const inserted = await db('participants')
      .where({ municipality_code: m.code })
      .select('id', 'survey_group');
    participantsByMunicipality.set(
      Number(m.code),
      inserted.map((r) => ({ id: Number(r.id), group: String(r.survey_group) })),
    );
  }
  console.log(`participants: ${PER_ROUND * municipalities.length} in ${(ms(t) / 1000).toFixed(1)} s`);

  t = process.hrtime.bigint();
  let total = 0;
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (const r of rounds) {
    const people = participantsByMunicipality.get(r.municipalityCode)!;
    const level = 2.5 + rnd() * 1.5;
    const responses: Array<Record<string, unknown>> = [];
    const participation: Array<Record<string, unknown>> = [];
    for (const p of people) {
      const answers: Record<string, number | null> = {};
      for (const id of ITEM_IDS)
        answers[id] = rnd() < 0.04 ? null : Math.max(1, Math.min(5, Math.round(level + (rnd() - 0.5) * 2.5)));
      responses.push({
        id: crypto.randomUUID(),
        round_id: r.id,
        municipality_code: r.municipalityCode,
        round_no: r.roundNo,
        survey_group: p.group,
        instrument_version: 1,
        answers: JSON.stringify(answers),
        comment: null,
      });
      participation.push({ round_id: r.id, participant_id: p.id, submitted: true });
    }
    await db.transaction(async (trx) => {
      await trx.batchInsert('survey_responses', responses, 500);
      await trx.batchInsert('survey_participation', participation, 500);
    });
    total += responses.length;
  }
  console.log(`responses: ${total} in ${(ms(t) / 1000).toFixed(1)} s`);

  // Closing a round stores its published aggregate once; here every round has closed.
  t = process.hrtime.bigint();
  await deps.aggregates.forRounds(rounds);
  console.log(
    `pre-aggregation of ${rounds.length} closed rounds: ${(ms(t) / 1000).toFixed(1)} s (once, at close)`,
  );

  const app = createApp(deps);
  const agent = request.agent(app);
  const login = await loginThroughDevIdp(agent, { roles: ['kombit'], email: 'bench@kombit.example.dk' });
  if (login.status !== 303) throw new Error('login failed');
  const times: number[] = [];
  for (let i = 0; i < 12; i++) {
    const s = process.hrtime.bigint();
    const res = await agent.get('/national');
    if (res.status !== 200) throw new Error(`/national: ${res.status}`);
    times.push(ms(s));
  }
  const warm = times.slice(2);
  console.log(
    `KOMBIT dashboard GET /national over ${total} responses: median ${median(warm).toFixed(0)} ms, max ${Math.max(...warm).toFixed(0)} ms (first ${times[0]!.toFixed(0)} ms; target ≤ 300 ms)`,
  );

  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  t = process.hrtime.bigint();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    agent
      .get('/national/download/parathed.csv')
      .buffer(false)
      .parse((res, cb) => {
        res.on('data', (c: Buffer) => {
          bytes += c.length;
        });
        res.on('end', () => cb(null, null));
        res.on('error', reject);
      })
      .end((err) => (err ? reject(err) : resolve()));
  });
  clearInterval(sampler);
  console.log(
    `national CSV: ${(bytes / 1024).toFixed(0)} KiB in ${ms(t).toFixed(0)} ms; resident memory grew ${((peak - before) / 1048576).toFixed(1)} MB (target < 64 MB)`,
  );
  console.log(
    `${SURVEY_GROUPS.length} groups × 5 elements per municipality-round; k = ${effectiveK(config.kThreshold)}`,
  );
  await db.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
