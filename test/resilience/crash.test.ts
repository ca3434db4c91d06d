import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDbKind } from '../support/db.js';
import { baseServerEnv, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import {
  addParticipants,
  consistency,
  deliveriesByRecipient,
  hasAnswered,
  nextSourceAddress,
  planRound,
  respondents,
  runLoad,
  sharedDb,
  sleep,
  startLoad,
  startSink,
  summarize,
  waitFor,
  type SharedDb,
  type Sink,
} from './support.js';

describe(`kill -9 during load on ${testDbKind()}`, () => {
  let shared: SharedDb;
  let sink: Sink;
  let server: ServerProcess;
  let env: Record<string, string>;
  let tokens: string[];
  let invited: Array<{ id: number; email: string }>;

  beforeAll(async () => {
    shared = await sharedDb(testDbKind());
    sink = await startSink();
    ({ tokens } = await respondents(shared.db, 751, 1_000));
    await planRound(shared.db, 101, { open: false });
    invited = await addParticipants(shared.db, 101, 30, 'inviteret');
    env = baseServerEnv({
      ...shared.env,
      VAR_DIR: tempDir('parat-var-'),
      SCHEDULER_INTERVAL_SECONDS: '1',
      MAIL_WORKER_INTERVAL_SECONDS: '1',
      MAIL_LEASE_SECONDS: '5',
      SMTP_URL: sink.url,
    });
    // The mail server keeps every delivery waiting, so the worker holds leased messages when it dies.
    sink.mode = 'hold';
    server = await startServer({ name: 'before', env });
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await sink?.close();
    await shared?.cleanup();
  });

  it('when the server is killed mid-load and restarted, then the database is consistent, every acknowledged submit is kept and the outbox delivers each message once', async () => {
    await waitFor('invitations queued and some leased', async () => {
      const leased = await shared.db('outbox').where({ status: 'sending' }).count({ n: '*' }).first();
      const all = await shared.db('outbox').count({ n: '*' }).first();
      return Number(all?.n) === invited.length && Number(leased?.n) > 0 && sink.held > 0;
    });

    let stopLoad!: () => void;
    const stop = new Promise<void>((r) => (stopLoad = r));
    const load = startLoad({
      base: () => server.url,
      tokens,
      vus: 64,
      durationMs: 120_000,
      stop,
      rampMs: 6_000,
    });
    // Killed once respondents are spread over every step of the flow, some of them submitting.
    await waitFor('a first submits', () => load.live.submitted >= 40, 90_000, 50);
    await sleep(Math.random() * 1000);
    await server.kill9();
    stopLoad();
    const result = await load.done;
    expect(server.exited()?.signal).toBe('SIGKILL');
    const before = await shared.db('outbox').select('id', 'status');
    const leasedAtKill = before.filter((m) => m.status === 'sending').map((m) => Number(m.id));
    expect(leasedAtKill.length).toBeGreaterThan(0);
    expect(sink.messages).toHaveLength(0);

    // The database as the killed process left it.
    if (shared.kind === 'sqlite') {
      const integrity = await shared.db.raw('PRAGMA integrity_check');
      expect(integrity).toEqual([{ integrity_check: 'ok' }]);
      expect(await shared.db.raw('PRAGMA foreign_key_check')).toEqual([]);
    }
    const c = await consistency(shared.db);
    expect(c.incomplete).toBe(0);
    expect(c.draftsLeft).toBe(0);
    expect(c.perRoundMismatch).toBe(0);
    expect(result.submitted).toBeGreaterThan(0);
    // Every acknowledged submit is stored; beyond those, only submits whose answer was lost in the kill.
    expect(c.responses).toBeGreaterThanOrEqual(result.submitted);
    expect(c.responses).toBeLessThanOrEqual(result.submitted + result.unknown.length);

    sink.mode = 'ok';
    const restartedAt = Date.now();
    server = await startServer({ name: 'after', env });
    const readyMs = Date.now() - restartedAt;

    // Whether each lost answer was stored, the restarted server tells the respondent: exactly the surplus.
    let stored = 0;
    for (const token of result.unknown)
      if (await hasAnswered(server.url, token, nextSourceAddress())) stored += 1;
    expect(c.responses).toBe(result.submitted + stored);

    // Pending messages go out at once, the killed worker's leased ones when their lease runs out.
    const deliveredMs = await waitFor('every invitation delivered after the restart', async () => {
      const open = await shared.db('outbox').whereNot({ status: 'sent' }).count({ n: '*' }).first();
      return Number(open?.n) === 0;
    });
    const counts = deliveriesByRecipient(sink);
    expect([...counts.keys()].sort()).toEqual(invited.map((p) => p.email).sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(sink.messages).toHaveLength(invited.length);
    const leasedRows = await shared.db('outbox').whereIn('id', leasedAtKill).select('status', 'attempts');
    expect(leasedRows.every((r) => r.status === 'sent' && Number(r.attempts) === 2)).toBe(true);

    // And the restarted server takes respondents again, without errors.
    const remaining = tokens.slice(result.started);
    const after = await runLoad({ base: () => server.url, tokens: remaining, vus: 16, durationMs: 4_000 });
    expect(summarize(after.errors)).toEqual({});
    expect(after.submitted).toBeGreaterThan(0);
    const final = await consistency(shared.db);
    expect(final).toMatchObject({
      responses: c.responses + after.submitted,
      incomplete: 0,
      draftsLeft: 0,
      perRoundMismatch: 0,
    });
    console.log(
      `kill -9 (${shared.kind}): ${result.submitted} acknowledged submits before the kill, ${result.unknown.length} in flight (${stored} of them stored), errors ${JSON.stringify(summarize(result.errors))}; ` +
        `restart ready in ${readyMs} ms; outbox drained ${deliveredMs} ms after that (${leasedAtKill.length} leased by the killed worker); ${after.submitted} submits in 4 s after the restart`,
    );
  }, 300_000);
});
