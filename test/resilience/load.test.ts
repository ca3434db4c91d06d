import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDbKind } from '../support/db.js';
import { baseServerEnv, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import { consistency, respondents, runLoad, sharedDb, summarize, type SharedDb } from './support.js';

const seconds = Number(process.env.PARAT_LOAD_SECONDS ?? 60);
const VUS = 64;

describe(`load without loss: ${VUS} concurrent respondents for ${seconds} s on ${testDbKind()}`, () => {
  let shared: SharedDb;
  let server: ServerProcess;
  let tokens: string[];

  beforeAll(async () => {
    shared = await sharedDb(testDbKind());
    // More links than the server can use up in the time: a respondent never waits for one.
    ({ tokens } = await respondents(shared.db, 751, Math.max(2_000, seconds * 100)));
    server = await startServer({
      name: 'parat',
      env: baseServerEnv({ ...shared.env, VAR_DIR: tempDir('parat-var-') }),
    });
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await shared?.cleanup();
  });

  it(
    'when 64 respondents answer at once for the whole period, then every submit succeeds and is stored once, whole',
    async () => {
      const result = await runLoad({ base: () => server.url, tokens, vus: VUS, durationMs: seconds * 1000 });
      const perMinute = Math.round((result.submitted * 60_000) / result.elapsedMs);
      console.log(
        `load (${testDbKind()}): ${result.submitted} submits in ${(result.elapsedMs / 1000).toFixed(1)} s (${perMinute} per 60 s), errors ${JSON.stringify(summarize(result.errors))}`,
      );
      expect(result.started).toBeLessThan(tokens.length);
      expect(summarize(result.errors)).toEqual({});
      expect(result.submitted).toBeGreaterThan(0);
      const c = await consistency(shared.db);
      expect(c).toEqual({
        responses: result.submitted,
        submitted: result.submitted,
        incomplete: 0,
        draftsLeft: 0,
        perRoundMismatch: 0,
      });
      expect(server.exited()).toBeNull();
      expect(server.stderr()).toBe('');
    },
    seconds * 1000 + 180_000,
  );
});
