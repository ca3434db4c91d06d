import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/knex.js';
import { baseServerEnv, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import {
  consistency,
  hasAnswered,
  nextSourceAddress,
  respondents,
  runLoad,
  sharedDb,
  summarize,
  type SharedDb,
} from './support.js';

describe('concurrent writers on one SQLite file', () => {
  let shared: SharedDb;

  beforeAll(async () => {
    shared = await sharedDb('sqlite');
  }, 240_000);
  afterAll(async () => {
    await shared?.cleanup();
  });

  it('when two connections run read-then-write transactions against each other, then every transaction commits once', async () => {
    // Each connection reads, then writes: the second writer's snapshot is stale by then, so SQLite refuses it at once.
    const other: Db = createDb({ client: 'sqlite3', filename: shared.file! });
    try {
      const write = (db: Db, i: number) =>
        db.transaction(async (trx) => {
          const n = await trx('audit_log').count({ n: '*' }).first();
          await trx('audit_log').insert({
            actor_user_id: null,
            action: 'test.write',
            subject: `skriver:${i}`,
            details: JSON.stringify({ seen: Number(n?.n) }),
            at: new Date(),
          });
        });
      const outcomes = await Promise.allSettled(
        Array.from({ length: 120 }, (_, i) => write(i % 2 ? shared.db : other, i)),
      );
      expect(
        outcomes
          .filter((o) => o.status === 'rejected')
          .map((o) => String((o as PromiseRejectedResult).reason)),
      ).toEqual([]);
      const rows = await shared.db('audit_log').where({ action: 'test.write' }).select('subject');
      expect(rows).toHaveLength(120);
      expect(new Set(rows.map((r) => r.subject)).size).toBe(120);
    } finally {
      await other.destroy();
    }
  }, 300_000);

  describe('two server processes on one SQLite file under load', () => {
    let a: ServerProcess;
    let b: ServerProcess;
    let tokens: string[];

    beforeAll(async () => {
      ({ tokens } = await respondents(shared.db, 751, 1_000));
      const env = baseServerEnv({
        ...shared.env,
        VAR_DIR: tempDir('parat-var-'),
        SCHEDULER_INTERVAL_SECONDS: '1',
      });
      [a, b] = await Promise.all([startServer({ name: 'A', env }), startServer({ name: 'B', env })]);
    }, 240_000);
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
    });

    it('when respondents write through both at once, then nothing fails with a 500: BUSY is retried, and what is left is a Danish 503 with Retry-After', async () => {
      let turn = 0;
      const seconds = Number(process.env.PARAT_SQLITE_WRITERS_SECONDS ?? 10);
      const result = await runLoad({
        base: () => (turn++ % 2 ? a.url : b.url),
        tokens,
        vus: 64,
        durationMs: seconds * 1000,
      });
      console.log(
        `two processes on one SQLite file: ${result.submitted} submits in ${(result.elapsedMs / 1000).toFixed(1)} s, errors ${JSON.stringify(summarize(result.errors))}`,
      );
      expect(result.errors.filter((e) => e.kind === 'connection')).toEqual([]);
      for (const e of result.errors) {
        expect(e.status).toBe(503);
        expect(e.result?.retryAfter).toBe('5');
        expect(e.result?.text).toContain('Vent et øjeblik, og prøv igen.');
      }
      expect(result.submitted).toBeGreaterThan(0);
      // Retrying the transaction absorbs nearly all of them: at most one respondent in a hundred sees a 503.
      expect(result.errors.length).toBeLessThanOrEqual(Math.ceil(result.submitted / 100));
      const c = await consistency(shared.db);
      expect(c).toMatchObject({ incomplete: 0, draftsLeft: 0, perRoundMismatch: 0 });
      let stored = 0;
      for (const token of result.unknown)
        if (await hasAnswered(a.url, token, nextSourceAddress())) stored += 1;
      expect(c.responses).toBe(result.submitted + stored);
      for (const p of [a, b]) {
        expect(p.exited()).toBeNull();
        expect(p.logLines('unhandled error')).toEqual([]);
        expect(p.logLines('scheduler tick failed')).toEqual([]);
      }
    }, 300_000);
  });
});
