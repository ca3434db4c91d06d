import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseServerEnv, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import { privateClusterUnavailable, startPrivateCluster, type PrivateCluster } from './pg-cluster.js';
import {
  addParticipants,
  consistency,
  deliveriesByRecipient,
  hasAnswered,
  nextSourceAddress,
  planRound,
  respond,
  respondents,
  sharedDb,
  sleep,
  startLoad,
  startSink,
  summarize,
  waitFor,
  type SharedDb,
  type Sink,
} from './support.js';

const unavailable = privateClusterUnavailable();

if (unavailable) {
  describe('PostgreSQL restart during load', () => {
    it.skip(`skipped: ${unavailable}`, () => {});
  });
}

if (!unavailable) {
  describe('PostgreSQL restart during load', () => {
    let cluster: PrivateCluster;
    let shared: SharedDb;
    let sink: Sink;
    let server: ServerProcess;
    let tokens: string[];

    beforeAll(async () => {
      cluster = await startPrivateCluster();
      shared = await sharedDb('postgres', cluster.url);
      sink = await startSink();
      ({ tokens } = await respondents(shared.db, 751, 1_000));
      server = await startServer({
        name: 'parat',
        env: baseServerEnv({
          ...shared.env,
          VAR_DIR: tempDir('parat-var-'),
          SCHEDULER_INTERVAL_SECONDS: '1',
          MAIL_WORKER_INTERVAL_SECONDS: '1',
          SMTP_URL: sink.url,
        }),
      });
    }, 240_000);
    afterAll(async () => {
      await server?.stop();
      await sink?.close();
      try {
        cluster.start();
      } catch {
        // already running
      }
      await shared?.cleanup();
      cluster?.destroy();
    });

    it('when the database restarts under load, then requests meanwhile fail as a Danish 503, and afterwards the same process serves, schedules and mails again', async () => {
      const pid = server.pid;
      let stopLoad!: () => void;
      const load = startLoad({
        base: () => server.url,
        tokens,
        vus: 16,
        durationMs: 150_000,
        rampMs: 4_000,
        stop: new Promise<void>((r) => (stopLoad = r)),
      });
      await waitFor('a first submits', () => load.live.submitted >= 20, 90_000, 50);

      const downAt = Date.now();
      cluster.stop();
      await sleep(3_000);
      cluster.start();
      const upAt = Date.now();
      const healthyMs = await waitFor(
        'healthz after the restart',
        async () => (await fetch(`${server.url}/healthz`).catch(() => null))?.status === 200,
        60_000,
        100,
      );
      const recoveredAt = Date.now();
      // A fresh respondent gets all the way through once the database is back.
      const probe = tokens[tokens.length - 1]!;
      await respond(server.url, probe, nextSourceAddress());
      const firstSubmitMs = Date.now() - upAt;
      const submittedAtRecovery = load.live.submitted;
      await sleep(5_000);
      stopLoad();
      const result = await load.done;

      console.log(
        `PostgreSQL restart: down ${upAt - downAt} ms; /healthz ok ${healthyMs} ms and a full submit ${firstSubmitMs} ms after it was back; ` +
          `${result.submitted} submits (${result.submitted - submittedAtRecovery} in the 5 s after recovery), errors ${JSON.stringify(summarize(result.errors))}`,
      );
      expect(server.exited()).toBeNull();
      expect(server.pid).toBe(pid);
      // No connection errors (the app never went away) and nothing but 503s while the database was gone.
      // (A page whose session could not be saved any more when the database went away gives its form a token the
      // session never kept: that form's POST is refused as expired, in Danish, and the respondent reloads it.)
      for (const e of result.errors) {
        expect(e.kind).toBe('status');
        expect(e.at).toBeLessThan(recoveredAt + 1_000);
        if (e.status === 403) {
          expect(e.result?.text).toContain('Formularen er udløbet eller ugyldig');
          continue;
        }
        expect(e.status).toBe(503);
        expect(e.result?.retryAfter).toBe('5');
        expect(e.result?.text).toContain('Parat kan ikke nå sin database lige nu');
      }
      expect(result.errors.filter((e) => e.status === 503).length).toBeGreaterThan(0);
      expect(result.submitted - submittedAtRecovery).toBeGreaterThan(0);
      expect(server.logLines('unhandled error')).toEqual([]);

      // No half-written responses, and every acknowledged submit kept.
      const c = await consistency(shared.db);
      expect(c).toMatchObject({ incomplete: 0, draftsLeft: 0, perRoundMismatch: 0 });
      let stored = 0;
      for (const token of result.unknown)
        if (await hasAnswered(server.url, token, nextSourceAddress())) stored += 1;
      expect(c.responses).toBe(result.submitted + 1 + stored);

      // The scheduler and the mail worker carry on: a round due now opens and its invitations arrive, once each.
      await planRound(shared.db, 101, { open: false });
      const invited = await addParticipants(shared.db, 101, 10, 'inviteret');
      await waitFor(
        'invitations after the restart',
        async () => {
          const open = await shared.db('outbox').whereNot({ status: 'sent' }).count({ n: '*' }).first();
          const all = await shared.db('outbox').count({ n: '*' }).first();
          return Number(all?.n) === invited.length && Number(open?.n) === 0;
        },
        60_000,
      );
      const counts = deliveriesByRecipient(sink);
      expect([...counts.keys()].sort()).toEqual(invited.map((p) => p.email).sort());
      expect([...counts.values()].every((n) => n === 1)).toBe(true);
      expect(server.exited()).toBeNull();
    }, 300_000);
  });
}
