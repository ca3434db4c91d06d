import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresUrl } from '../support/db.js';
import { baseServerEnv, startServer, tempDir, type ServerProcess } from '../support/server-process.js';
import { loadOrCreateKeyPair } from '../../src/auth/saml/keys.js';
import {
  addParticipants,
  Browser,
  deliveriesByRecipient,
  hiddenValue,
  planRound,
  sharedDb,
  startSink,
  waitFor,
  type SharedDb,
  type Sink,
} from './support.js';

/** The address users reach Parat on: the load balancer in front of both instances. */
const PUBLIC_URL = 'http://parat.test';

if (!postgresUrl) {
  describe('two instances on one PostgreSQL', () => {
    it.skip('skipped: TEST_DATABASE_URL is not set, so no PostgreSQL server is available (.ci/run starts one)', () => {});
  });
}

if (postgresUrl) {
  describe('two instances on one PostgreSQL', () => {
    let shared: SharedDb;
    let sink: Sink;
    let a: ServerProcess;
    let b: ServerProcess;
    let varDir: string;
    const invited = new Map<number, Array<{ id: number; email: string }>>();

    beforeAll(async () => {
      shared = await sharedDb('postgres');
      sink = await startSink();
      // What the instances share besides the database: session secret (baseServerEnv), SP key pair and IdP.
      varDir = tempDir('parat-var-');
      const sp = await loadOrCreateKeyPair({
        keyPath: undefined,
        certPath: undefined,
        varDir,
        name: 'saml-sp',
        allowGenerate: true,
      });
      await loadOrCreateKeyPair({
        keyPath: undefined,
        certPath: undefined,
        varDir,
        name: 'dev-idp',
        allowGenerate: true,
      });
      fs.writeFileSync(`${varDir}/sp-key.pem`, sp.key);
      fs.writeFileSync(`${varDir}/sp-cert.pem`, sp.cert);
      // Three municipalities whose round 1/3 is due today; the instances' schedulers open them.
      for (const [code, n] of [
        [751, 25],
        [101, 20],
        [461, 15],
      ] as const) {
        await planRound(shared.db, code, { open: false });
        invited.set(code, await addParticipants(shared.db, code, n, 'inviteret'));
      }
      const env = baseServerEnv({
        ...shared.env,
        PUBLIC_URL,
        VAR_DIR: varDir,
        SAML_SP_KEY: `${varDir}/sp-key.pem`,
        SAML_SP_CERT: `${varDir}/sp-cert.pem`,
        LOG_LEVEL: 'debug',
        SCHEDULER_INTERVAL_SECONDS: '1',
        MAIL_WORKER_INTERVAL_SECONDS: '1',
        SMTP_URL: sink.url,
      });
      // Started together, as a deployment would: they race for migrations, the first tick and the outbox.
      [a, b] = await Promise.all([startServer({ name: 'A', env }), startServer({ name: 'B', env })]);
    }, 240_000);
    afterAll(async () => {
      await Promise.all([a?.stop(), b?.stop()]);
      await sink?.close();
      await shared?.cleanup();
      if (varDir) fs.rmSync(varDir, { recursive: true, force: true });
    });

    it('when a login starts on instance A and the IdP answers to instance B, then the user is logged in on both', async () => {
      const browser = new Browser(a.url);
      try {
        const login = await browser.get('/saml/login', a.url);
        expect(login.status).toBe(302);
        const idp = new URL(login.location!);
        expect(idp.origin).toBe(PUBLIC_URL);
        // The load balancer sends the IdP page to B and the persona form to A.
        const page = await browser.get(idp.pathname + idp.search, b.url);
        expect(page.status).toBe(200);
        const posted = await browser.post(
          '/dev-idp/sso',
          {
            _csrf: hiddenValue(page.text, '_csrf'),
            requestId: hiddenValue(page.text, 'requestId'),
            relayState: hiddenValue(page.text, 'relayState'),
            municipality: '751',
            roles: ['projektleder'],
            firstName: 'Mette',
            lastName: 'Skaleret',
            email: 'mette.skaleret@aarhus.example.dk',
          },
          a.url,
        );
        expect(posted.status).toBe(200);
        const samlResponse = hiddenValue(posted.text, 'SAMLResponse');
        const acs = await browser.post('/saml/acs', { SAMLResponse: samlResponse }, b.url);
        expect(acs.status).toBe(303);
        const start = acs.location!;
        for (const instance of [a, b, a, b]) {
          const res = await browser.get(start, instance.url);
          expect(res.status, `${start} on ${instance.name}`).toBe(200);
          expect(res.text).toContain('Mette Skaleret');
        }
        // The same response posted again, now to A, finds its request id used up: one login per response.
        const replay = await new Browser(a.url).post('/saml/acs', { SAMLResponse: samlResponse });
        expect(replay.status).toBe(403);
        // Logging out on A ends the session on B too.
        const onA = await browser.get(start, a.url);
        expect(
          (await browser.post('/saml/logout', { _csrf: hiddenValue(onA.text, '_csrf') }, a.url)).status,
        ).toBe(200);
        const after = await browser.get(start, b.url);
        expect(after.status).toBe(303);
        expect(after.location).toMatch(/^\/\?naeste=/);
      } finally {
        browser.close();
      }
    }, 300_000);

    it('when both instances run the scheduler and the mail worker, then each round opens once and each invitation arrives once', async () => {
      const total = [...invited.values()].reduce((s, list) => s + list.length, 0);
      await waitFor('every invitation delivered', async () => {
        const open = await shared.db('outbox').whereNot({ status: 'sent' }).count({ n: '*' }).first();
        return sink.messages.length >= total && Number(open?.n) === 0;
      });
      // Both instances ticked and polled the outbox the whole time, side by side.
      await waitFor(
        'a few more ticks on both',
        () =>
          [a, b].every(
            (p) => p.logLines('scheduler tick ran').length >= 3 && p.logLines('mail worker pass').length >= 3,
          ),
        20_000,
      );

      const rounds = await shared
        .db('survey_rounds')
        .where({ round_no: 1 })
        .whereIn('municipality_code', [...invited.keys()])
        .select('id', 'state', 'opened_at');
      expect(rounds).toHaveLength(3);
      expect(rounds.every((r) => r.state === 'open' && r.opened_at)).toBe(true);
      const perRound = await shared
        .db('survey_rounds')
        .whereIn('municipality_code', [...invited.keys()])
        .groupBy('municipality_code', 'round_no')
        .select('municipality_code', 'round_no')
        .count({ n: '*' });
      expect(perRound.every((r) => Number(r.n) === 1)).toBe(true);

      // Each "opened" event happened on exactly one instance.
      const opened = [a, b].flatMap((p) =>
        p
          .logLines('scheduler tick')
          .flatMap((l) => (l.events as string[]).filter((e) => e.startsWith('opened:'))),
      );
      expect(opened.sort()).toEqual(rounds.map((r) => `opened:${r.id}`).sort());

      const expected = [...invited.values()]
        .flat()
        .map((p) => p.email.toLowerCase())
        .sort();
      expect(sink.messages).toHaveLength(total);
      expect([...deliveriesByRecipient(sink).keys()].sort()).toEqual(expected);
      expect([...deliveriesByRecipient(sink).values()].every((n) => n === 1)).toBe(true);
      expect(new Set(sink.messages.map((m) => m.messageId)).size).toBe(total);
      expect(sink.messages.every((m) => /^Invitation: /.test(m.subject ?? ''))).toBe(true);

      const outbox = await shared.db('outbox').select('status', 'attempts', 'claimed_by');
      expect(outbox).toHaveLength(total);
      expect(outbox.every((r) => r.status === 'sent' && Number(r.attempts) === 1)).toBe(true);
      for (const p of [a, b]) {
        expect(p.logLines('scheduler tick failed')).toEqual([]);
        expect(p.logLines('mail worker pass failed')).toEqual([]);
        expect(p.stderr()).toBe('');
      }
    }, 300_000);
  });
}
