import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/db.js';
import { baseServerEnv, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import { LINK_LIMIT } from '../../src/links/links.routes.js';
import { addParticipants, issueLinks, planRound, sharedDb, sleep, type SharedDb } from './support.js';

/** Short, so the test can wait a window out. */
const WINDOW_SECONDS = 4;

type Opened = { status: number; retryAfter: string | null; rateLimit: string | null; text: string };

/** Opens a personal link as a browser at the municipality's one address would (the 127.0.0.1 loopback here). */
async function open(base: string, token: string): Promise<Opened> {
  const res = await fetch(`${base}/l/${token}`, { redirect: 'manual' });
  return {
    status: res.status,
    retryAfter: res.headers.get('retry-after'),
    rateLimit: res.headers.get('ratelimit'),
    text: await res.text(),
  };
}

const remaining = (o: Opened) => Number(/remaining=(\d+)/.exec(o.rateLimit ?? '')?.[1]);

async function validTokens(db: SharedDb['db'], n: number, prefix: string): Promise<string[]> {
  const roundId = Number(
    (await db('survey_rounds').where({ municipality_code: 751, round_no: 1 }).first('id'))?.id ??
      (await planRound(db, 751, { open: true })),
  );
  const people = await addParticipants(db, 751, n, prefix);
  return issueLinks(
    db,
    751,
    roundId,
    people.map((p) => p.id),
  );
}

describe('rate limits through a real server process (one address for everyone)', () => {
  let shared: SharedDb;
  let server: ServerProcess;
  let varDir: string;

  beforeAll(async () => {
    shared = await sharedDb('sqlite');
    varDir = tempDir('parat-var-');
    server = await startServer({
      name: 'A',
      env: baseServerEnv({
        ...shared.env,
        VAR_DIR: varDir,
        RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
      }),
    });
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
    await shared?.cleanup();
  });

  it('when 60 valid links are opened at the same moment, then all 60 pass and nothing is counted; 20 bad links lock the address out until the window ends', async () => {
    const tokens = await validTokens(shared.db, 61, 'samtidig');
    const together = await Promise.all(tokens.slice(0, 60).map((t) => open(server.url, t)));
    expect(together.map((o) => o.status)).toEqual(Array(60).fill(303));
    const next = await open(server.url, tokens[60]!);
    expect(next.status).toBe(303);
    expect(remaining(next)).toBe(LINK_LIMIT.limit);

    const bad = await Promise.all(
      Array.from({ length: LINK_LIMIT.limit }, (_, i) => open(server.url, `ukendt-link-${i}`)),
    );
    expect(bad.map((o) => o.status)).toEqual(Array(LINK_LIMIT.limit).fill(404));
    // The 21st request of any kind for a link is refused, a valid one too, with how long to wait.
    const locked = await open(server.url, tokens[0]!);
    expect(locked.status).toBe(429);
    expect(Number(locked.retryAfter)).toBeGreaterThan(0);
    expect(Number(locked.retryAfter)).toBeLessThanOrEqual(WINDOW_SECONDS);
    expect(locked.text).toContain('For mange forsøg med ugyldige links');
    expect(locked.text).toMatch(/Du kan prøve igen om \d+ sekunder?\./);
    expect(locked.text).toContain('bed din KSD-projektleder om et nyt');

    await sleep((Number(locked.retryAfter) + 0.5) * 1000);
    const after = await open(server.url, tokens[1]!);
    expect(after.status).toBe(303);
  }, 120_000);
});

if (!postgresUrl) {
  describe('rate limits shared by two instances on one PostgreSQL', () => {
    it.skip('skipped: TEST_DATABASE_URL is not set, so no PostgreSQL server is available (.ci/run starts one)', () => {});
  });
}

if (postgresUrl) {
  describe('rate limits shared by two instances on one PostgreSQL', () => {
    let shared: SharedDb;
    let a: ServerProcess;
    let b: ServerProcess;

    beforeAll(async () => {
      shared = await sharedDb('postgres');
      const env = baseServerEnv({ ...shared.env, VAR_DIR: tempDir('parat-var-') });
      [a, b] = await Promise.all([startServer({ name: 'A', env }), startServer({ name: 'B', env })]);
    }, 180_000);
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await shared?.cleanup();
    });

    it('when 11 bad links are tried on A and 10 on B (limit 20), then the address is refused on either', async () => {
      const [token] = await validTokens(shared.db, 1, 'delt');
      for (let i = 0; i < 11; i++) expect((await open(a.url, `ukendt-a-${i}`)).status).toBe(404);
      for (let i = 0; i < 9; i++) expect((await open(b.url, `ukendt-b-${i}`)).status).toBe(404);
      // 20 counted across the two: the 10th on B, and anything after it on A, is refused.
      expect((await open(b.url, token!)).status).toBe(429);
      expect((await open(a.url, token!)).status).toBe(429);
      expect(
        Number((await shared.db('rate_limits').where('bucket', 'like', 'link:%').first('count'))?.count),
      ).toBe(LINK_LIMIT.limit);
    }, 120_000);
  });
}
