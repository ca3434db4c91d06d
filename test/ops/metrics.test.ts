import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { loginThroughDevIdp, responseOf, signedAssertion, startLogin, tokenInput } from '../support/saml.js';
import { startSmtpSink, type SmtpSink } from '../mail/support.js';
import { ATTR } from '../../src/auth/saml/attributes.js';
import { buildAssertionXml } from '../../src/auth/saml/dev-idp/token.js';
import { createMailService } from '../../src/mail/mail.service.js';
import { createMailWorker } from '../../src/mail/mail.worker.js';
import { outboxRepository, type NewMessage } from '../../src/mail/outbox.repository.js';
import { startScheduler } from '../../src/surveys/scheduler.js';
import { createLogger } from '../../src/shared/logger.js';
import { startupListener } from '../../src/web/readiness.js';
import { parsePrometheus as parse, type Sample } from '../support/prometheus.js';

/** The value of one series (0 when the series is not there yet). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find(
    (x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v),
  );
  return s?.value ?? 0;
}

async function scrape(t: TestApp): Promise<Sample[]> {
  const res = await request(t.app).get('/metrics').expect(200);
  return parse(res.text);
}

const message = (key: string, to: string): NewMessage => ({
  idempotencyKey: key,
  kind: 'test-passed',
  to: [to],
  subject: 'Du har bestået',
  html: '<p>Tillykke</p>',
  text: 'Tillykke',
  containsLink: false,
  messageId: `<${key}@parat.test>`,
});

let t: TestApp;
let sink: SmtpSink;
beforeAll(async () => {
  sink = await startSmtpSink();
  t = await createTestApp({ env: { SMTP_URL: sink.url, MAIL_MAX_ATTEMPTS: '3' } });
});
afterAll(async () => {
  await sink.close();
  await t.close();
});

describe('GET /metrics', () => {
  it("when it is scraped from this host, then it answers Prometheus text with Parat's series and sets no cookie", async () => {
    const res = await request(t.app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.headers['set-cookie']).toBeUndefined();
    for (const series of [
      'parat_http_requests_total',
      'parat_http_request_duration_seconds',
      'parat_outbox_messages',
      'parat_outbox_oldest_pending_age_seconds',
      'parat_mail_send_failures_total',
      'parat_logins_accepted_total',
      'parat_logins_refused_total',
      'parat_rounds',
      'parat_scheduler_ticks_total',
      'parat_scheduler_last_success_timestamp_seconds',
      'parat_db_pool_connections',
      'parat_db_pool_pending_acquires',
      'parat_database_up',
      'nodejs_eventloop_lag_seconds',
    ])
      expect(res.text).toContain(`# TYPE ${series} `);
    const samples = parse(res.text);
    expect(value(samples, 'parat_database_up')).toBe(1);
    expect(samples.some((s) => s.name === 'parat_db_pool_connections' && s.labels.state === 'used')).toBe(
      true,
    );
    expect(value(samples, 'parat_db_pool_max_connections')).toBeGreaterThanOrEqual(1);
    expect(samples.some((s) => s.name === 'nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });

  it('when pages are requested, then the request counter moves by route pattern and never shows the path of a personal link', async () => {
    const before = await scrape(t);
    const notFound = { route: 'unmatched', method: 'GET', status: '404' };
    const link = { route: '/l/:token', method: 'GET', status: '404' };
    await request(t.app).get('/findes-ikke/anne@aarhus.example.dk').expect(404);
    await request(t.app).get('/l/xyz').expect(404);
    await request(t.app).get('/l/xyz').expect(404);
    await request(t.app).get('/').expect(200);
    const res = await request(t.app).get('/metrics').expect(200);
    const after = parse(res.text);
    expect(value(after, 'parat_http_requests_total', notFound)).toBe(
      value(before, 'parat_http_requests_total', notFound) + 1,
    );
    expect(value(after, 'parat_http_requests_total', link)).toBe(
      value(before, 'parat_http_requests_total', link) + 2,
    );
    expect(value(after, 'parat_http_request_duration_seconds_count', link)).toBe(
      value(before, 'parat_http_request_duration_seconds_count', link) + 2,
    );
    expect(value(after, 'parat_http_requests_total', { route: '/', status: '200' })).toBeGreaterThan(0);
    expect(res.text).not.toContain('xyz');
    expect(res.text).not.toContain('aarhus.example.dk');
    expect(res.text).not.toContain('findes-ikke');
  });

  it('when a proxy on this host forwards a request from elsewhere, then it is refused', async () => {
    await request(t.app).get('/metrics').set('X-Forwarded-For', '203.0.113.9').expect(403);
    await request(t.app).get('/metrics').set('Forwarded', 'for=198.51.100.7;proto=https').expect(403);
    await request(t.app).get('/metrics').set('X-Forwarded-For', '127.0.0.1').expect(200);
  });

  it('when only another address is allowed, then this host needs the bearer token, and a wrong one gets the Danish 403 page', async () => {
    const token = crypto.randomBytes(24).toString('hex');
    const other = await createTestApp({ env: { METRICS_ALLOW: '10.0.0.1', METRICS_TOKEN: token } });
    try {
      const refused = await request(other.app).get('/metrics').expect(403);
      expect(refused.text).toContain('Ingen adgang');
      expect(refused.text).toContain('Du har ikke adgang til denne side.');
      expect(refused.headers['set-cookie']).toBeUndefined();
      const ok = await request(other.app).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
      expect(ok.text).toContain('parat_http_requests_total');
      await request(other.app)
        .get('/metrics')
        .set('Authorization', `Bearer ${token.slice(0, -1)}x`)
        .expect(403);
      await request(other.app).get('/metrics').set('Authorization', token).expect(403);
    } finally {
      await other.close();
    }
  });

  it('when messages are written to the outbox and sends fail, then the outbox series and the failure counter follow', async () => {
    const clock = new FixedClock(new Date('2027-03-01T09:00:00Z'));
    const mailSink = await startSmtpSink();
    const o = await createTestApp({ clock, env: { SMTP_URL: mailSink.url, MAIL_MAX_ATTEMPTS: '3' } });
    try {
      const empty = await scrape(o);
      expect(value(empty, 'parat_outbox_messages', { state: 'pending' })).toBe(0);
      expect(value(empty, 'parat_outbox_oldest_pending_age_seconds')).toBe(0);

      await outboxRepository.insert(o.db, message('m-1', 'anne@aarhus.example.dk'), 'pending', clock.now());
      await outboxRepository.insert(o.db, message('m-2', 'bo@aarhus.example.dk'), 'held', clock.now());
      clock.advance(60_000);
      await o.db.transaction((trx) =>
        createMailService(o.deps).enqueueTestPassed(trx, {
          to: 'carl@aarhus.example.dk',
          name: 'Carl Hansen',
          certificateUrl: 'http://localhost:3000/certifikat/1',
        }),
      );
      clock.advance(30_000);
      const queued = await scrape(o);
      expect(value(queued, 'parat_outbox_messages', { state: 'pending' })).toBe(2);
      expect(value(queued, 'parat_outbox_messages', { state: 'held' })).toBe(1);
      expect(value(queued, 'parat_outbox_messages', { state: 'sent' })).toBe(0);
      expect(value(queued, 'parat_outbox_oldest_pending_age_seconds')).toBe(90);

      const worker = createMailWorker(o.deps, { onSendFailure: o.deps.metrics.mailSendFailure });
      try {
        mailSink.mode = 'defer';
        expect(await worker.runOnce()).toEqual({ sent: 0, retried: 2, failed: 0 });
        mailSink.mode = 'reject';
        await o.db('outbox').where({ status: 'pending' }).update({ next_attempt_at: clock.now() });
        expect(await worker.runOnce()).toEqual({ sent: 0, retried: 0, failed: 2 });
      } finally {
        worker.close();
      }
      const failed = await scrape(o);
      expect(value(failed, 'parat_mail_send_failures_total', { type: 'temporary' })).toBe(2);
      expect(value(failed, 'parat_mail_send_failures_total', { type: 'permanent' })).toBe(2);
      expect(value(failed, 'parat_outbox_messages', { state: 'failed' })).toBe(2);
      expect(value(failed, 'parat_outbox_messages', { state: 'pending' })).toBe(0);
      expect(value(failed, 'parat_outbox_oldest_pending_age_seconds')).toBe(0);
    } finally {
      await o.close();
      await mailSink.close();
    }
  });

  it('when people log in and logins are refused, then the counters move with the reason before any free text', async () => {
    const before = await scrape(t);
    const accepted = await loginThroughDevIdp(request.agent(t.app), {
      municipality: 751,
      roles: ['projektleder'],
      firstName: 'Mette',
      lastName: 'Mikkelsen',
      email: 'mette.mikkelsen@aarhus.example.dk',
    });
    expect(accepted.status).toBe(303);

    await request(t.app).post('/saml/acs').type('form').send({}).expect(403);
    const agent = request.agent(t.app);
    const bad = tokenInput(t.deps, (await startLogin(agent)).requestId);
    bad.attributes[ATTR.privileges] = Buffer.from('dette er ikke XML').toString('base64');
    await agent
      .post('/saml/acs')
      .type('form')
      .send({ SAMLResponse: await responseOf(t.deps, bad, signedAssertion(t.deps, bad)) })
      .expect(403);
    const unsigned = tokenInput(t.deps, (await startLogin(agent)).requestId);
    await agent
      .post('/saml/acs')
      .type('form')
      .send({ SAMLResponse: await responseOf(t.deps, unsigned, buildAssertionXml(unsigned)) })
      .expect(403);

    const res = await request(t.app).get('/metrics').expect(200);
    const after = parse(res.text);
    expect(value(after, 'parat_logins_accepted_total')).toBe(
      value(before, 'parat_logins_accepted_total') + 1,
    );
    for (const reason of ['no-response', 'bpp', 'invalid'])
      expect(value(after, 'parat_logins_refused_total', { reason }), reason).toBe(
        value(before, 'parat_logins_refused_total', { reason }) + 1,
      );
    const reasons = after.filter((s) => s.name === 'parat_logins_refused_total').map((s) => s.labels.reason!);
    expect(reasons.every((r) => /^[a-z0-9-]+$/.test(r))).toBe(true);
    for (const personal of ['mette', 'Mikkelsen', 'aarhus.example.dk', '11111111-2222', '19751000'])
      expect(res.text).not.toContain(personal);
  });

  it('when rounds are planned and the scheduler ticks, then the round and scheduler series follow', async () => {
    const before = await scrape(t);
    const surveys = t.deps.surveys;
    await surveys.rounds.setPlan(461, { wave: 2, goLive: '2031-01-15' }, null);
    const ticked = new Promise<'ok' | 'error'>((resolve) => {
      const stop = startScheduler(surveys, createLogger('silent'), 3600, undefined, (outcome) => {
        t.deps.metrics.schedulerTick(outcome);
        stop();
        resolve(outcome);
      });
    });
    expect(await ticked).toBe('ok');
    const after = await scrape(t);
    const planned = await t.db('survey_rounds').where({ state: 'planned' }).count({ n: '*' }).first();
    expect(value(after, 'parat_rounds', { state: 'planned' })).toBe(Number(planned?.n));
    expect(value(after, 'parat_rounds', { state: 'planned' })).toBe(
      value(before, 'parat_rounds', { state: 'planned' }) + 3,
    );
    expect(value(after, 'parat_scheduler_ticks_total', { outcome: 'ok' })).toBe(
      value(before, 'parat_scheduler_ticks_total', { outcome: 'ok' }) + 1,
    );
    expect(value(after, 'parat_scheduler_last_success_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
  });
});

describe('GET /readyz', () => {
  it('when the database answers and no scheduler runs here, then it is ready and sets no cookie', async () => {
    const res = await request(t.app).get('/readyz').expect(200);
    expect(res.body).toEqual({ status: 'klar' });
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('when the database is gone, then it is not ready, and /metrics still answers and says so', async () => {
    const gone = await createTestApp();
    try {
      await gone.db.destroy();
      const res = await request(gone.app).get('/readyz').expect(503);
      expect(res.body).toEqual({ status: 'ikke klar', reasons: ['databasen svarer ikke'] });
      const samples = parse((await request(gone.app).get('/metrics').expect(200)).text);
      expect(value(samples, 'parat_database_up')).toBe(0);
      expect(samples.some((s) => s.name === 'parat_outbox_messages')).toBe(false);
    } finally {
      await gone.close();
    }
  });

  it('when the scheduler has not ticked successfully for three intervals, then it is not ready until it ticks again', async () => {
    const clock = new FixedClock(new Date('2027-03-01T09:00:00Z'));
    const s = await createTestApp({ clock, env: { SCHEDULER_INTERVAL_SECONDS: '60' } });
    try {
      const readyz = () => request(s.app).get('/readyz');
      s.deps.readiness.watchScheduler(60);
      clock.advance(180_000);
      expect((await readyz()).status).toBe(200);
      clock.advance(1_000);
      expect((await readyz()).body).toEqual({
        status: 'ikke klar',
        reasons: ['planlæggeren har ikke kørt i 181 sekunder'],
      });
      s.deps.readiness.schedulerTicked('ok');
      expect((await readyz()).status).toBe(200);
      clock.advance(120_000);
      s.deps.readiness.schedulerTicked('error');
      clock.advance(60_000);
      expect((await readyz()).status).toBe(200);
      clock.advance(1_000);
      expect((await readyz()).status).toBe(503);
    } finally {
      await s.close();
    }
  });

  it('when the app is still being built, then the port answers alive but not ready, and the same server serves the app after', async () => {
    const startup = startupListener();
    const server = http.createServer(startup.listener);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const migrating = await fetch(`${base}/readyz`);
      expect(migrating.status).toBe(503);
      expect(await migrating.json()).toEqual({ status: 'ikke klar', reasons: ['migrerer'] });
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('5');
      startup.setPhase('starter');
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({
        status: 'ikke klar',
        reasons: ['starter'],
      });

      server.removeAllListeners('request');
      server.on('request', t.app);
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'klar' });
      expect((await fetch(`${base}/`)).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
