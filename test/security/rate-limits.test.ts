import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Response } from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { responseOf, signedAssertion, startLogin, tokenInput } from '../support/saml.js';
import { buildWorld, type World } from './world.js';
import { LINK_LIMIT } from '../../src/links/links.routes.js';
import { VERIFY_LIMIT } from '../../src/elearning/certificates.routes.js';
import { ACS_LIMIT, LOGIN_START_LIMIT } from '../../src/auth/auth.routes.js';
import { COURSE_CODE_LIMIT } from '../../src/elearning/evaluations.routes.js';

/** A 429 as a person meets it: a Danish page saying what happened, and when to try again. */
function expectLimited(res: Response, windowMs: number, message: string) {
  expect(res.status).toBe(429);
  expect(res.text).toContain('<html lang="da">');
  expect(res.text).toContain(message);
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= windowMs / 1000).toBe(true);
  expect(String(res.headers['ratelimit-policy'])).toContain(`w=${windowMs / 1000}`);
}

const statusesOf = async (n: number, send: (i: number) => Promise<Response>): Promise<number[]> => {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await send(i)).status);
  return out;
};

let w: World;
let saml: TestApp;
let proxied: TestApp;
beforeAll(async () => {
  w = await buildWorld();
  saml = await createTestApp();
  proxied = await createTestApp({ env: { PUBLIC_URL: 'https://parat.example.dk' } });
});
afterAll(async () => {
  await w.t.close();
  await saml.close();
  await proxied.close();
});

describe('rate limits', () => {
  it('when a good personal link is opened again and again, then it is never limited; unknown tokens are, with a Danish 429 and Retry-After', async () => {
    const good = await statusesOf(LINK_LIMIT.limit + 5, () => request(w.t.app).get(`/l/${w.testLinkToken}`));
    expect(good.every((s) => s === 303)).toBe(true);
    const bad = await statusesOf(LINK_LIMIT.limit, (i) => request(w.t.app).get(`/l/${'x'.repeat(40)}${i}`));
    expect(bad.every((s) => s === 404)).toBe(true);
    expectLimited(
      await request(w.t.app).get('/l/ikke-et-link'),
      LINK_LIMIT.windowMs,
      'For mange forsøg med ugyldige links',
    );
    // Once limited, even a good link waits: the limit is per address, not per token.
    expect((await request(w.t.app).get(`/l/${w.testLinkToken}`)).status).toBe(429);
  });

  it('when certificates are checked, then found codes are not counted and unknown codes are limited with a Danish 429', async () => {
    const found = await statusesOf(VERIFY_LIMIT.limit + 5, () =>
      request(w.t.app).get(`/certifikat/verificer/${w.certificateCode}`),
    );
    expect(found.every((s) => s === 200)).toBe(true);
    const guesses = await statusesOf(VERIFY_LIMIT.limit, (i) =>
      request(w.t.app).get(
        `/certifikat/verificer/ABCDEFGH${String(i).padStart(2, '2').replace(/[01]/g, '9')}`,
      ),
    );
    expect(guesses.every((s) => s === 404)).toBe(true);
    expectLimited(
      await request(w.t.app).get('/certifikat/verificer/ABCDEFGHJK'),
      VERIFY_LIMIT.windowMs,
      'For mange opslag på kort tid',
    );
  });

  it('when course codes are typed, then a good code is never counted and unknown codes are limited with a Danish 429', async () => {
    const code = String((await w.t.db('course_sessions').where({ id: w.courseSession }).first('code')).code);
    const good = await statusesOf(COURSE_CODE_LIMIT.limit + 5, () =>
      request(w.t.app).get(`/evaluering?kode=${code}`),
    );
    expect(good.every((s) => s === 303)).toBe(true);
    const guesses = await statusesOf(COURSE_CODE_LIMIT.limit, (i) =>
      request(w.t.app).get(`/evaluering?kode=ZZ${i}`),
    );
    expect(guesses.every((s) => s === 404)).toBe(true);
    expectLimited(
      await request(w.t.app).get('/evaluering?kode=ZZZZZZ'),
      COURSE_CODE_LIMIT.windowMs,
      'For mange forkerte koder',
    );
  });

  it('when logins are started over and over from one address, then the start of the SAML login is limited with a Danish 429', async () => {
    const starts = await statusesOf(LOGIN_START_LIMIT.limit, () => request(saml.app).get('/saml/login'));
    expect(starts.every((s) => s === 302)).toBe(true);
    expectLimited(
      await request(saml.app).get('/saml/login'),
      LOGIN_START_LIMIT.windowMs,
      'For mange loginforsøg',
    );
    // A start that was refused stored no request id.
    expect(Number((await saml.db('saml_requests').count<{ n: number }[]>({ n: '*' }).first())!.n)).toBe(
      LOGIN_START_LIMIT.limit,
    );
  });

  it('when login responses are refused, then they are counted per address and good logins are not', async () => {
    const app = await createTestApp();
    try {
      // Three good responses first: if they were counted, the refused ones below would meet the limit early.
      for (let i = 0; i < 3; i++) {
        const agent = request.agent(app.app);
        const { requestId } = await startLogin(agent);
        const t = tokenInput(app.deps, requestId);
        const ok = await agent
          .post('/saml/acs')
          .type('form')
          .send({ SAMLResponse: await responseOf(app.deps, t, signedAssertion(app.deps, t)) });
        expect(ok.status).toBe(303);
      }
      const refused = await statusesOf(ACS_LIMIT.limit, (i) =>
        request(app.app)
          .post('/saml/acs')
          .type('form')
          .send({ SAMLResponse: Buffer.from(`<samlp:Response ID="_${i}"/>`).toString('base64') }),
      );
      expect(refused.every((s) => s === 403)).toBe(true);
      expectLimited(
        await request(app.app).post('/saml/acs').type('form').send({ SAMLResponse: 'eA==' }),
        ACS_LIMIT.windowMs,
        'For mange loginforsøg',
      );
    } finally {
      await app.close();
    }
  });

  it('when Parat runs behind its proxy, then limits are kept per client address from X-Forwarded-For, not for the proxy as a whole', async () => {
    const from = (ip: string, path: string) =>
      request(proxied.app).get(path).set('X-Forwarded-For', ip).set('X-Forwarded-Proto', 'https');
    const first = await statusesOf(LINK_LIMIT.limit + 1, (i) => from('203.0.113.7', `/l/ukendt-${i}`));
    expect(first.slice(0, LINK_LIMIT.limit).every((s) => s === 404)).toBe(true);
    expect(first.at(-1)).toBe(429);
    expect((await from('203.0.113.8', '/l/ukendt')).status).toBe(404);
  });
});
