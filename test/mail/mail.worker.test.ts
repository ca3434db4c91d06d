import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { csrfFrom } from '../support/saml.js';
import { loggedIn } from '../surveys/support.js';
import { startSmtpSink, toAddresses, type SmtpSink } from './support.js';
import { createMailService } from '../../src/mail/mail.service.js';
import { backoffMs, createMailWorker, isPermanent, type MailWorker } from '../../src/mail/mail.worker.js';
import { outboxRepository } from '../../src/mail/outbox.repository.js';
import { redactPaths } from '../../src/shared/logger.js';

const clock = new FixedClock(new Date('2027-03-01T09:00:00Z'));
let t: TestApp;
let sink: SmtpSink;
let worker: MailWorker;
let n = 0;

/** Enqueues one message the way the e-learning code does, and returns its outbox id. */
async function enqueue(to = `learner${++n}@aarhus.example.dk`): Promise<number> {
  const id = await t.db.transaction((trx) =>
    createMailService(t.deps).enqueueTestPassed(trx, {
      to,
      name: 'Anette Jensen',
      certificateUrl: `http://localhost:3000/certifikat/${n}`,
    }),
  );
  return id!;
}
const row = (id: number) => outboxRepository.byId(t.db, id);

beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ clock, env: { SMTP_URL: sink.url, MAIL_MAX_ATTEMPTS: '4' } });
});
beforeEach(async () => {
  sink.mode = 'ok';
  sink.messages.length = 0;
  worker = createMailWorker(t.deps, { backoffBaseMs: 60_000 });
  // Earlier tests' leftovers must not be picked up.
  await t.db('outbox').whereIn('status', ['pending', 'sending']).update({ status: 'sent' });
});
afterEach(() => worker.close());
afterAll(async () => {
  await sink.close();
  await t.close();
});

describe('outbox', () => {
  it('when the transaction that wrote a message rolls back, then the outbox holds nothing; the same key twice gives one row', async () => {
    const mail = createMailService(t.deps);
    await expect(
      t.db.transaction(async (trx) => {
        await mail.enqueueTestPassed(trx, {
          to: 'rollback@aarhus.example.dk',
          name: 'X',
          certificateUrl: 'http://localhost:3000/certifikat/rb',
        });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(
      await t
        .db('outbox')
        .where({ subject: 'Du har bestået den afsluttende test i KSD' })
        .whereRaw('recipients like ?', ['%rollback%'])
        .first(),
    ).toBeUndefined();

    const args = {
      to: 'twice@aarhus.example.dk',
      name: 'Y',
      certificateUrl: 'http://localhost:3000/certifikat/tw',
    };
    const first = await t.db.transaction((trx) => mail.enqueueTestPassed(trx, args));
    const second = await t.db.transaction((trx) => mail.enqueueTestPassed(trx, args));
    expect(first).toBeGreaterThan(0);
    expect(second).toBeNull();
    expect((await row(first!))!.text).toContain('http://localhost:3000/certifikat/tw');
  });

  it('when SMTP answers 421, then the message is retried with exponential back-off and delivered exactly once when the server accepts', async () => {
    const id = await enqueue('deferred@aarhus.example.dk');
    sink.mode = 'defer';
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 1, failed: 0 });
    let r = (await row(id))!;
    expect(r).toMatchObject({ status: 'pending', attempts: 1 });
    expect(r.lastError).toContain('421');
    expect(r.nextAttemptAt.getTime() - clock.now().getTime()).toBe(60_000);

    // Not due yet: nothing happens.
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(60_000);
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 1, failed: 0 });
    r = (await row(id))!;
    expect(r.attempts).toBe(2);
    expect(r.nextAttemptAt.getTime() - clock.now().getTime()).toBe(120_000);

    sink.mode = 'ok';
    clock.advance(120_000);
    expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0 });
    clock.advance(3600_000);
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(sink.messages.map((m) => toAddresses(m))).toEqual([['deferred@aarhus.example.dk']]);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 3 });
  });

  it('when the SMTP server is down, then the message waits and is delivered exactly once when it is back', async () => {
    const id = await enqueue('down@aarhus.example.dk');
    await sink.stop();
    try {
      expect(await worker.runOnce()).toEqual({ sent: 0, retried: 1, failed: 0 });
      expect((await row(id))!.lastError).toMatch(/ECONNREFUSED|ECONNECTION|ESOCKET/);
    } finally {
      await sink.start();
    }
    clock.advance(60_000);
    expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0 });
    clock.advance(3600_000);
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect(sink.messages.length).toBe(1);
    expect(await row(id)).toMatchObject({ status: 'sent', attempts: 2 });
  });

  it('when temporary failures reach MAIL_MAX_ATTEMPTS, then the message is marked failed', async () => {
    const id = await enqueue();
    sink.mode = 'defer';
    for (let i = 0; i < 4; i++) {
      await worker.runOnce();
      clock.advance(24 * 3600_000);
    }
    expect(await row(id)).toMatchObject({ status: 'failed', attempts: 4 });
    expect(sink.messages.length).toBe(0);
  });

  it('when SMTP answers 550, then the message is failed with the error, shown in the admin mail log, and "Send igen" delivers it', async () => {
    const id = await enqueue('nobody@aarhus.example.dk');
    sink.mode = 'reject';
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 1 });
    const r = (await row(id))!;
    expect(r).toMatchObject({ status: 'failed', attempts: 1 });
    expect(r.lastError).toContain('550');

    const admin = await loggedIn(t, { roles: ['administrator'], email: 'admin@kombit.example.dk' });
    const page = await admin.get('/admin/mail').expect(200);
    expect(page.text).toContain('<h1>Mail-log</h1>');
    expect(page.text).toMatch(
      new RegExp(
        `<td class="num">${id}</td>[\\s\\S]*?Mislykket[\\s\\S]*?550 Postkassen findes ikke[\\s\\S]*?action="/admin/mail/${id}/send-igen"`,
      ),
    );

    // Without the CSRF token the button does nothing.
    expect((await admin.post(`/admin/mail/${id}/send-igen`).type('form').send({})).status).toBe(403);
    sink.mode = 'ok';
    const res = await admin
      .post(`/admin/mail/${id}/send-igen`)
      .type('form')
      .send({ _csrf: csrfFrom(page.text) });
    expect(res.status).toBe(303);
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await admin.get('/admin/mail').expect(200)).text).toContain(
      `Besked nr. ${id} er sat i kø til at blive sendt igen.`,
    );
    expect(
      await t
        .db('audit_log')
        .where({ action: 'mail.resend', subject: `mail:${id}` })
        .first(),
    ).toBeTruthy();
    // Only a failed message can be sent again.
    expect(
      (
        await admin
          .post(`/admin/mail/${id}/send-igen`)
          .type('form')
          .send({ _csrf: csrfFrom(page.text) })
      ).status,
    ).toBe(409);

    expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(sink.messages.map((m) => toAddresses(m))).toEqual([['nobody@aarhus.example.dk']]);
  });

  it('when someone other than an administrator opens the mail log, then it is refused', async () => {
    const leader = await loggedIn(t, {
      municipality: 751,
      roles: ['projektleder'],
      email: 'pl@aarhus.example.dk',
    });
    expect((await leader.get('/admin/mail')).status).toBe(403);
  });

  it('when a worker dies after claiming a message, then another worker sends it once the lease has run out', async () => {
    const id = await enqueue('lease@aarhus.example.dk');
    const now = clock.now();
    expect(
      await outboxRepository.claim(t.db, {
        now,
        leaseUntil: new Date(now.getTime() + 300_000),
        workerId: 'dead',
        limit: 10,
      }),
    ).toEqual([id]);
    expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
    clock.advance(300_001);
    expect(await worker.runOnce()).toEqual({ sent: 1, retried: 0, failed: 0 });
    expect(sink.messages.length).toBe(1);
  });

  it('when the worker logs a sent, a retried and a failed message, then no address, subject or body is in the log', async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: 'info', redact: { paths: redactPaths, censor: '[skjult]' } },
      new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }),
    );
    const w = createMailWorker({ ...t.deps, logger });
    try {
      await enqueue('logged.ok@aarhus.example.dk');
      expect((await w.runOnce()).sent).toBe(1);
      await enqueue('logged.defer@aarhus.example.dk');
      sink.mode = 'defer';
      expect((await w.runOnce()).retried).toBe(1);
      await enqueue('logged.reject@aarhus.example.dk');
      sink.mode = 'reject';
      clock.advance(3600_000);
      expect((await w.runOnce()).failed).toBe(2);
    } finally {
      w.close();
    }
    const log = lines.join('');
    expect(log).toContain('"msg":"mail sent"');
    expect(log).toContain('"msg":"mail will be retried"');
    expect(log).toContain('"msg":"mail failed"');
    expect(log).not.toMatch(/@|aarhus|bestået|Anette|certifikat/i);
  });

  it('when errors are classified, then 5xx is permanent and 4xx or connection trouble is temporary; back-off doubles up to the cap', () => {
    expect(isPermanent(Object.assign(new Error('x'), { responseCode: 550 }))).toBe(true);
    expect(isPermanent(Object.assign(new Error('x'), { responseCode: 451 }))).toBe(false);
    expect(isPermanent(Object.assign(new Error('x'), { code: 'ECONNECTION' }))).toBe(false);
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 60_000, 200_000))).toEqual([
      60_000, 120_000, 200_000, 200_000,
    ]);
  });
});
