import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { buildAssertionXml } from '../../src/auth/saml/dev-idp/token.js';
import { buildBpp } from '../../src/auth/saml/bpp.js';
import { ATTR } from '../../src/auth/saml/attributes.js';
import { generateKeyPair } from '../../src/auth/saml/keys.js';
import { signAssertion } from '../../src/auth/saml/dev-idp/token.js';
import { createApp } from '../../src/app.js';
import { createTestApp, type TestApp } from '../support/app.js';
import {
  csrfFrom,
  loginThroughDevIdp,
  responseOf,
  signedAssertion,
  startLogin,
  tokenInput,
} from '../support/saml.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

async function sessionCount(): Promise<number> {
  const row = await t.db('sessions').count<{ n: number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Posts a response to the ACS and expects a refusal page with no session cookie. */
async function expectRefused(agent: ReturnType<typeof request.agent>, samlResponse: string, text?: RegExp) {
  const before = await sessionCount();
  const res = await agent.post('/saml/acs').type('form').send({ SAMLResponse: samlResponse });
  expect(res.status).toBe(403);
  expect(res.text).toContain('Log ind mislykkedes');
  if (text) expect(res.text).toMatch(text);
  expect(res.headers['set-cookie'] ?? []).not.toEqual(
    expect.arrayContaining([expect.stringContaining('parat.sid')]),
  );
  expect(await sessionCount()).toBe(before);
  const me = await agent.get('/mine-opgaver');
  expect(me.status).toBe(303);
  return res;
}

describe('SAML login round trip', () => {
  it('when the project leader of Aarhus logs in through the development IdP, then the session has her role and municipality', async () => {
    const agent = request.agent(t.app);
    const res = await loginThroughDevIdp(agent, {
      municipality: 751,
      roles: ['projektleder'],
      firstName: 'Mette',
      lastName: 'Hansen',
      email: 'Mette@Aarhus.example.dk',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/kommune');
    const page = await agent.get('/kommune').expect(200);
    expect(page.text).toContain('Aarhus Kommune');
    expect(page.text).toContain('Mette Hansen');
    expect(page.text).toContain('KSD-projektleder');
    const user = await t.db('users').where({ name: 'Mette Hansen' }).first();
    expect(user.municipality_code).toBe(751);
    expect(user.email).toBe('mette@aarhus.example.dk');
    const roles = await t.db('user_roles').where({ user_id: user.id }).pluck('role');
    expect(roles).toEqual(['projektleder']);
  });

  it('when a KOMBIT consultant logs in, then she lands on the national overview with no municipality', async () => {
    const agent = request.agent(t.app);
    const res = await loginThroughDevIdp(agent, { roles: ['kombit'], email: 'k@kombit.example.dk' });
    expect(res.headers.location).toBe('/national');
    const page = await agent.get('/national').expect(200);
    expect(page.text).toContain('Aarhus');
    expect(page.text).toContain('98 kommuner');
  });

  it('when a caseworker logs in, then she lands on Mine opgaver and may not open the national overview', async () => {
    const agent = request.agent(t.app);
    const res = await loginThroughDevIdp(agent, {
      municipality: 101,
      roles: ['sagsbehandler-ydelsescenter', 'superbruger'],
      email: 'a@kk.example.dk',
    });
    expect(res.headers.location).toBe('/mine-opgaver');
    await agent.get('/mine-opgaver').expect(200);
    const national = await agent.get('/national');
    expect(national.status).toBe(403);
    expect(national.text).toContain('Ingen adgang');
  });

  it('when a return path was asked for, then login comes back to it (RelayState), and never to another site', async () => {
    const agent = request.agent(t.app);
    const res = await loginThroughDevIdp(
      agent,
      { municipality: 751, roles: ['projektleder'], email: 'r@aarhus.example.dk' },
      '/tilgaengelighed',
    );
    expect(res.headers.location).toBe('/tilgaengelighed');
    const other = request.agent(t.app);
    const evil = await loginThroughDevIdp(
      other,
      { municipality: 751, roles: ['projektleder'], email: 'r@aarhus.example.dk' },
      '//evil.example.com/',
    );
    expect(evil.headers.location).toBe('/kommune');
  });

  it('when the user logs in again, then the session id changes (regenerated) and logout ends it', async () => {
    const agent = request.agent(t.app);
    const first = await loginThroughDevIdp(agent, {
      municipality: 751,
      roles: ['projektleder'],
      email: 's@aarhus.example.dk',
    });
    const sessionCookie = (res: typeof first) =>
      String(res.headers['set-cookie']).match(/parat\.sid=[^;]+/)![0];
    const cookie1 = sessionCookie(first);
    const second = await loginThroughDevIdp(agent, {
      municipality: 751,
      roles: ['projektleder'],
      email: 's@aarhus.example.dk',
    });
    const cookie2 = sessionCookie(second);
    expect(cookie1).not.toBe(cookie2);
    const page = await agent.get('/kommune').expect(200);
    const out = await agent
      .post('/saml/logout')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(200);
    expect(out.text).toContain('Du er logget ud');
    expect((await agent.get('/kommune')).status).toBe(303);
  });

  it('when a user logs in twice, then the user row is updated, not duplicated, and roles follow the token', async () => {
    const agent = request.agent(t.app);
    await loginThroughDevIdp(agent, {
      municipality: 461,
      roles: ['leder-ydelsescenter'],
      email: 'dup@odense.example.dk',
    });
    await loginThroughDevIdp(agent, {
      municipality: 461,
      roles: ['leder-jobcenter'],
      email: 'dup@odense.example.dk',
    });
    const users = await t.db('users').where({ email: 'dup@odense.example.dk' });
    expect(users).toHaveLength(1);
    expect(await t.db('user_roles').where({ user_id: users[0].id }).pluck('role')).toEqual([
      'leder-jobcenter',
    ]);
  });
});

describe('SAML responses that must be refused', () => {
  it('when the assertion is not signed, then login is refused', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId);
    await expectRefused(agent, await responseOf(t.deps, input, buildAssertionXml(input)));
  });

  it('when an attribute of a signed assertion was changed afterwards, then login is refused', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId, { roles: ['sagsbehandler-ydelsescenter'] });
    const signed = signedAssertion(t.deps, input);
    const evilBpp = buildBpp([
      { cvr: '19751000', privileges: [`${t.deps.config.saml.roleBase}/projektleder/1`] },
    ]);
    const originalBpp = input.attributes[ATTR.privileges]!;
    expect(signed).toContain(originalBpp);
    await expectRefused(agent, await responseOf(t.deps, input, signed.replace(originalBpp, evilBpp)));
  });

  it("when an assertion is signed by a key other than the IdP's, then login is refused", async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId);
    const other = await generateKeyPair('evil');
    await expectRefused(
      agent,
      await responseOf(t.deps, input, signAssertion(buildAssertionXml(input), other.key, other.cert)),
    );
  });

  it('when the signed assertion is wrapped beside a forged one (XSW), then login is refused', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const genuine = signedAssertion(
      t.deps,
      tokenInput(t.deps, requestId, { roles: ['sagsbehandler-ydelsescenter'] }),
    );
    const forgedInput = tokenInput(t.deps, requestId, { roles: ['projektleder'] });
    const forged = buildAssertionXml(forgedInput);
    // XSW: the forged assertion comes first; the genuine signed one is hidden in an Extensions element.
    const wrapped = forged.replace(
      '</saml:Issuer>',
      `</saml:Issuer><samlp:Extensions xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">${genuine}</samlp:Extensions>`,
    );
    await expectRefused(agent, await responseOf(t.deps, forgedInput, wrapped, false));
    // XSW with two assertions side by side in the Response.
    const { requestId: id2 } = await startLogin(agent);
    const g2 = signedAssertion(t.deps, tokenInput(t.deps, id2));
    const f2 = buildAssertionXml(tokenInput(t.deps, id2, { roles: ['kombit'] }));
    await expectRefused(agent, await responseOf(t.deps, tokenInput(t.deps, id2), f2 + g2, false));
  });

  it('when the audience is another service, then login is refused', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId, { spEntityId: 'https://other.example.dk/saml' });
    await expectRefused(agent, await responseOf(t.deps, input, signedAssertion(t.deps, input)));
  });

  it('when the issuer is not the configured IdP, then login is refused', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId, { idpEntityId: 'https://evil-idp.example.com' });
    await expectRefused(agent, await responseOf(t.deps, input, signedAssertion(t.deps, input)));
  });

  it('when the assertion has expired (beyond the 60 s clock skew), then login is refused', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId, {
      now: new Date(Date.now() - 10 * 60_000),
      validForMs: 5 * 60_000,
    });
    await expectRefused(agent, await responseOf(t.deps, input, signedAssertion(t.deps, input)));
  });

  it('when the InResponseTo is unknown, then login is refused', async () => {
    const agent = request.agent(t.app);
    const input = tokenInput(t.deps, '_never-requested-by-parat');
    await expectRefused(agent, await responseOf(t.deps, input, signedAssertion(t.deps, input)));
  });

  it('when the same response is posted twice, then the second is refused', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId);
    const response = await responseOf(t.deps, input, signedAssertion(t.deps, input));
    const first = await agent.post('/saml/acs').type('form').send({ SAMLResponse: response });
    expect(first.status).toBe(303);
    await expectRefused(request.agent(t.app), response);
  });

  it('when the BPP scope CVR matches no municipality, then login is refused with a clear reason', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId, { cvr: '12345678' });
    await expectRefused(
      agent,
      await responseOf(t.deps, input, signedAssertion(t.deps, input)),
      /ikke er en kommune i Parat/,
    );
  });

  it('when the token holds no Parat role, then login is refused with a clear reason', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId, { roles: ['some-other-system-role'] });
    await expectRefused(
      agent,
      await responseOf(t.deps, input, signedAssertion(t.deps, input)),
      /ingen rolle i Parat/,
    );
  });

  it('when the BPP carries a DOCTYPE or entity, then login is refused', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId);
    const xml =
      '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' +
      '<bpp:PrivilegeList xmlns:bpp="http://itst.dk/oiosaml/basic_privilege_profile"><bpp:PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:19751000">' +
      `<bpp:Privilege>${t.deps.config.saml.roleBase}/projektleder/1&e;</bpp:Privilege></bpp:PrivilegeGroup></bpp:PrivilegeList>`;
    input.attributes[ATTR.privileges] = Buffer.from(xml).toString('base64');
    await expectRefused(
      agent,
      await responseOf(t.deps, input, signedAssertion(t.deps, input)),
      /kunne ikke læses/,
    );
  });

  it('when encrypted assertions are required and the assertion comes in clear, then login is refused', async () => {
    const strict = createApp({
      ...t.deps,
      config: { ...t.deps.config, saml: { ...t.deps.config.saml, requireEncryptedAssertions: true } },
    });
    const agent = request.agent(strict);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId);
    const res = await agent
      .post('/saml/acs')
      .type('form')
      .send({ SAMLResponse: await responseOf(t.deps, input, signedAssertion(t.deps, input), false) });
    expect(res.status).toBe(403);
    expect(res.text).toContain('ikke krypteret');
  });

  it('when a signed but unencrypted assertion arrives and encryption is optional, then it is accepted', async () => {
    const agent = request.agent(t.app);
    const { requestId } = await startLogin(agent);
    const input = tokenInput(t.deps, requestId);
    const res = await agent
      .post('/saml/acs')
      .type('form')
      .send({ SAMLResponse: await responseOf(t.deps, input, signedAssertion(t.deps, input), false) });
    expect(res.status).toBe(303);
  });
});

describe('several app instances', () => {
  it('when the first instance sends the AuthnRequest, then the second accepts the response (shared request store)', async () => {
    const second = createApp(t.deps);
    const a = request.agent(t.app);
    const started = await a.get('/saml/login').expect(302);
    const requestId = /ID="([^"]+)"/.exec(
      zlib
        .inflateRawSync(
          Buffer.from(new URL(started.headers.location as string).searchParams.get('SAMLRequest')!, 'base64'),
        )
        .toString(),
    )![1]!;
    const input = tokenInput(t.deps, requestId);
    const response = await responseOf(t.deps, input, signedAssertion(t.deps, input));
    // The same browser (its cookies) posts the response to the second instance.
    const b = request.agent(second);
    const browserCookies = (started.headers['set-cookie'] as unknown as string[])
      .map((c) => c.split(';')[0])
      .join('; ');
    const res = await b
      .post('/saml/acs')
      .set('Cookie', browserCookies)
      .type('form')
      .send({ SAMLResponse: response });
    expect(res.status).toBe(303);
    await b.get('/kommune').expect(200);
  });
});

describe('SP metadata and AuthnRequest', () => {
  it('when metadata is fetched, then it says requests are signed, assertions must be signed, and names keys and the ACS', async () => {
    const res = await request(t.app).get('/saml/metadata').expect(200);
    expect(res.text).toContain('AuthnRequestsSigned="true"');
    expect(res.text).toContain('WantAssertionsSigned="true"');
    expect(res.text).toContain('use="signing"');
    expect(res.text).toContain('use="encryption"');
    expect(res.text).toContain('Location="http://localhost:3000/saml/acs"');
    expect(res.text).toContain('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST');
  });

  it('when login starts, then the AuthnRequest is signed with RSA-SHA256 over HTTP-Redirect and its id is stored', async () => {
    const agent = request.agent(t.app);
    const { requestId, location } = await startLogin(agent);
    const url = new URL(location);
    expect(url.pathname).toBe('/dev-idp/sso');
    expect(url.searchParams.get('SigAlg')).toBe('http://www.w3.org/2001/04/xmldsig-more#rsa-sha256');
    expect(url.searchParams.get('Signature')).toBeTruthy();
    expect(await t.db('saml_requests').where({ id: requestId }).first()).toBeTruthy();
  });

  it('when the development IdP gets a request with a broken signature, then it refuses it', async () => {
    const agent = request.agent(t.app);
    const { location } = await startLogin(agent);
    const url = new URL(location);
    url.searchParams.set('Signature', Buffer.from('nope').toString('base64'));
    const res = await agent.get(url.pathname + url.search);
    expect(res.status).toBe(422);
    expect(res.text).toContain('Signaturen på AuthnRequest er ugyldig');
  });
});

describe('a database outage during login', () => {
  it('when the used-response insert fails because the database is unreachable, then the answer is the 503 page, not "already used"', async () => {
    const { createTestDb } = await import('../support/db.js');
    const { createTestApp: make } = await import('../support/app.js');
    const owned = await createTestDb();
    const broken = await make({ db: owned.db });
    try {
      if (owned.db.client.config.client === 'pg') {
        await owned.db.raw(
          "create function parat_outage() returns trigger language plpgsql as $$ begin raise exception 'Connection terminated unexpectedly'; end $$",
        );
        await owned.db.raw(
          'create trigger outage before insert on saml_used_responses for each row execute function parat_outage()',
        );
      } else {
        await owned.db.raw(
          "create trigger outage before insert on saml_used_responses begin select raise(abort, 'Connection terminated unexpectedly'); end",
        );
      }
      const agent = request.agent(broken.app);
      const { requestId } = await startLogin(agent);
      const input = tokenInput(broken.deps, requestId);
      const res = await agent
        .post('/saml/acs')
        .type('form')
        .send({ SAMLResponse: await responseOf(broken.deps, input, signedAssertion(broken.deps, input)) });
      expect(res.status).toBe(503);
      expect(res.text).not.toContain('allerede brugt');
      expect(res.text).toContain('midlertidigt utilgængelig');
    } finally {
      await owned.cleanup();
    }
  });
});
