import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, FixedClock, type TestApp } from '../support/app.js';
import { addParticipant, roundId } from '../surveys/support.js';
import { createApp } from '../../src/app.js';
import { createMailService } from '../../src/mail/mail.service.js';
import { createMailWorker } from '../../src/mail/mail.worker.js';
import { devMailboxEnabled } from '../../src/mail/mail.routes.js';
import { readinessCsvBuffer } from '../../src/reporting/readiness.export.js';

// No SMTP_URL: the default. Mail is held in the outbox and read on /dev/postkasse.
const clock = new FixedClock(new Date('2026-12-01T06:00:00Z'));
let t: TestApp;

beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => t.close());

describe('development mailbox', () => {
  it('when no SMTP is configured, then mail is held, the worker sends nothing, and the mailbox lists and shows it', async () => {
    await addParticipant(t, 147, { email: 'karen@frederiksberg.example.dk', name: 'Karen Holm' });
    const s = t.deps.surveys;
    await s.rounds.setPlan(147, { wave: 7, goLive: '2027-06-01' }, null);
    await s.rounds.tick();
    const row = await t.db('outbox').where({ kind: 'invitation', municipality_code: 147 }).first();
    expect(row.status).toBe('held');
    expect(await createMailWorker(t.deps).runOnce()).toEqual({ sent: 0, retried: 0, failed: 0 });
    expect((await t.db('outbox').where({ id: row.id }).first()).status).toBe('held');

    const list = await request(t.app).get('/dev/postkasse').expect(200);
    expect(list.text).toContain('<h1>Udviklingspostkasse</h1>');
    expect(list.text).toContain(
      `<a href="/dev/postkasse/${row.id}">Invitation: Spørgeskema om parathed til KSD (1/3)</a>`,
    );
    expect(list.text).toContain('karen@frederiksberg.example.dk');

    const show = await request(t.app).get(`/dev/postkasse/${row.id}`).expect(200);
    expect(show.text).toContain(`<iframe sandbox="" src="/dev/postkasse/${row.id}/html"`);
    expect(show.text).toContain('Kære Karen Holm');
    const link = /http:\/\/localhost:3000(\/l\/[A-Za-z0-9_-]+)/.exec(show.text)![1]!;
    expect((await request(t.app).get(link).expect(303)).headers.location).toBe(
      `/undersoegelse/${await roundId(t, 147, 1)}`,
    );

    const html = await request(t.app).get(`/dev/postkasse/${row.id}/html`).expect(200);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.headers['content-security-policy']).toContain('sandbox');
    expect(html.headers['content-security-policy']).not.toContain("script-src 'self'");
    expect(html.text).toContain('<html lang="da">');
  });

  it('when a message has attachments, then they download with their type and name', async () => {
    const code = 101;
    await t.db.transaction(async (trx) => {
      await createMailService(t.deps).enqueue(trx, {
        idempotencyKey: `test:${crypto.randomUUID()}`,
        kind: 'results',
        municipalityCode: code,
        to: ['pl@kobenhavn.example.dk'],
        subject: 'Vedhæftningsprøve',
        html: '<p>Hej</p>',
        text: 'Hej',
        containsLink: false,
        attachments: [
          {
            filename: 'parathed-kommune-101.csv',
            contentType: 'text/csv; charset=utf-8',
            content: await readinessCsvBuffer({ ...t.deps, db: trx }, { municipalityCode: code }),
          },
        ],
      });
    });
    const row = await t.db('outbox').where({ subject: 'Vedhæftningsprøve' }).first();
    const att = await t.db('outbox_attachments').where({ outbox_id: row.id }).first();
    const show = await request(t.app).get(`/dev/postkasse/${row.id}`).expect(200);
    expect(show.text).toContain(`href="/dev/postkasse/${row.id}/vedhaeftning/${att.id}"`);
    const dl = await request(t.app)
      .get(`/dev/postkasse/${row.id}/vedhaeftning/${att.id}`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(dl.status).toBe(200);
    expect(dl.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(dl.headers['content-disposition']).toContain('parathed-kommune-101.csv');
    expect(
      Buffer.compare(dl.body as Buffer, await readinessCsvBuffer(t.deps, { municipalityCode: code })),
    ).toBe(0);
    expect((await request(t.app).get(`/dev/postkasse/${row.id}/vedhaeftning/999999`)).status).toBe(404);
  });

  it('when the app runs with a production config, then the mailbox does not exist', async () => {
    expect(devMailboxEnabled({ env: 'production' })).toBe(false);
    expect(devMailboxEnabled({ env: 'development' })).toBe(true);
    const config = {
      ...t.deps.config,
      env: 'production' as const,
      saml: { ...t.deps.config.saml, devIdpEnabled: false },
    };
    const prod = createApp({ ...t.deps, config, saml: { ...t.deps.saml, devIdp: null } });
    const row = await t.db('outbox').first('id');
    expect((await request(prod).get('/dev/postkasse')).status).toBe(404);
    expect((await request(prod).get(`/dev/postkasse/${row.id}`)).status).toBe(404);
    expect((await request(prod).get(`/dev/postkasse/${row.id}/html`)).status).toBe(404);
  });

  it('when a learner passes the final test, then a Danish mail with the certificate link is queued once', async () => {
    const mail = createMailService(t.deps);
    const args = {
      to: 'Anette@Aarhus.example.dk',
      name: 'Anette Jensen',
      certificateUrl: 'http://localhost:3000/certifikat/ABCD-1234',
    };
    const id = await t.db.transaction((trx) => mail.enqueueTestPassed(trx, args));
    expect(await t.db.transaction((trx) => mail.enqueueTestPassed(trx, args))).toBeNull();
    const row = await t.db('outbox').where({ id }).first();
    expect(JSON.parse(row.recipients)).toEqual(['anette@aarhus.example.dk']);
    expect(row.subject).toBe('Du har bestået den afsluttende test i KSD');
    expect(row.text).toContain('Kære Anette Jensen');
    expect(row.text).toContain('http://localhost:3000/certifikat/ABCD-1234');
    expect(row.html).toContain('href="http://localhost:3000/certifikat/ABCD-1234"');
  });
});
