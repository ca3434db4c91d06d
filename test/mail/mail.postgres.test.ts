import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { createTestDb, postgresUrl } from '../support/db.js';
import { startSmtpSink, toAddresses, type SmtpSink } from './support.js';
import { createMailService } from '../../src/mail/mail.service.js';
import { createMailWorker } from '../../src/mail/mail.worker.js';

if (!postgresUrl) {
  describe('two mail workers on one PostgreSQL', () => {
    it.skip('skipped: TEST_DATABASE_URL is not set, so no PostgreSQL server is available (.ci/run starts one)', () => {});
  });
}

if (postgresUrl) {
  describe('two mail workers on one PostgreSQL', () => {
    const clock = new FixedClock(new Date('2027-03-01T09:00:00Z'));
    let t: TestApp;
    let sink: SmtpSink;
    let cleanup: () => Promise<void>;

    beforeAll(async () => {
      sink = await startSmtpSink();
      const pg = await createTestDb('postgres');
      cleanup = pg.cleanup;
      t = await createTestApp({ clock, db: pg.db, env: { SMTP_URL: sink.url } });
    });
    afterAll(async () => {
      await sink.close();
      await t.close();
      await cleanup();
    });

    it('when two workers run side by side, then each message is sent exactly once', async () => {
      const mail = createMailService(t.deps);
      const total = 40;
      await t.db.transaction(async (trx) => {
        for (let i = 0; i < total; i++) {
          await mail.enqueueTestPassed(trx, {
            to: `learner${i}@aarhus.example.dk`,
            name: `Learner ${i}`,
            certificateUrl: `http://localhost:3000/certifikat/${i}`,
          });
        }
      });
      const a = createMailWorker(t.deps, { workerId: 'a', batchSize: 3 });
      const b = createMailWorker(t.deps, { workerId: 'b', batchSize: 3 });
      const sentBy = { a: 0, b: 0 };
      try {
        for (let round = 0; round < 50; round++) {
          const [ra, rb] = await Promise.all([a.runOnce(), b.runOnce()]);
          sentBy.a += ra.sent;
          sentBy.b += rb.sent;
          if (ra.sent + rb.sent + ra.retried + rb.retried === 0) break;
        }
      } finally {
        a.close();
        b.close();
      }
      expect(sentBy.a + sentBy.b).toBe(total);
      expect(sentBy.a).toBeGreaterThan(0);
      expect(sentBy.b).toBeGreaterThan(0);
      expect(sink.messages.length).toBe(total);
      const addresses = sink.messages.flatMap(toAddresses);
      expect(new Set(addresses).size).toBe(total);
      expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(total);
      const rows = await t.db('outbox').select('status', 'attempts', 'claimed_by');
      expect(rows.every((r) => r.status === 'sent' && Number(r.attempts) === 1)).toBe(true);
      expect(new Set(rows.map((r) => r.claimed_by))).toEqual(new Set(['a', 'b']));
    });
  });
}
