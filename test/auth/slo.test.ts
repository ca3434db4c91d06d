import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { DOMParser } from '@xmldom/xmldom';
import {
  buildAssertionXml,
  encryptAssertion,
  signAssertion,
  wrapResponse,
} from '../../src/auth/saml/dev-idp/token.js';
import { certBody, generateKeyPair, type KeyPair } from '../../src/auth/saml/keys.js';
import { loadIdpSource } from '../../src/auth/saml/idp-metadata.js';
import { createApp } from '../../src/app.js';
import type { Container } from '../../src/container.js';
import { createLogger } from '../../src/shared/logger.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { csrfFrom, tokenInput } from '../support/saml.js';

/**
 * An outside IdP with single logout, configured through SAML_IDP_METADATA: its messages are signed here
 * with its own key over the HTTP-Redirect binding (SAML 2.0 Bindings, 3.4.4.1).
 */
const IDP = 'https://idp.kommune.example.dk/saml';
const IDP_SLO = 'https://idp.kommune.example.dk/saml/slo';
const RSA_SHA256 = 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256';

const metadata = (entityId: string, certs: string[], slo: boolean, extra = '') =>
  `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${entityId}"${extra}>` +
  `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` +
  certs
    .map(
      (c) =>
        `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certBody(c)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`,
    )
    .join('') +
  (slo
    ? `<md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${IDP_SLO}"/>`
    : '') +
  `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.kommune.example.dk/saml/sso"/>` +
  `</md:IDPSSODescriptor></md:EntityDescriptor>`;

let idpKeys: KeyPair;
let t: TestApp;
beforeAll(async () => {
  idpKeys = await generateKeyPair('kommune-idp');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'parat-idp-')), 'idp.xml');
  fs.writeFileSync(file, metadata(IDP, [idpKeys.cert], true));
  t = await createTestApp({ env: { SAML_IDP_METADATA: file } });
});
afterAll(async () => t.close());

const samlId = () => '_' + crypto.randomBytes(12).toString('hex');

/** A message in the HTTP-Redirect binding, signed with `key` (or not at all). */
function redirectQuery(
  kind: 'SAMLRequest' | 'SAMLResponse',
  xml: string,
  key: string | null,
  relayState?: string,
): string {
  const parts = [`${kind}=${encodeURIComponent(zlib.deflateRawSync(Buffer.from(xml)).toString('base64'))}`];
  if (relayState) parts.push(`RelayState=${encodeURIComponent(relayState)}`);
  if (!key) return parts.join('&');
  parts.push(`SigAlg=${encodeURIComponent(RSA_SHA256)}`);
  const signature = crypto.sign('RSA-SHA256', Buffer.from(parts.join('&')), key).toString('base64');
  return `${parts.join('&')}&Signature=${encodeURIComponent(signature)}`;
}

/** Reads and checks a signed redirect message Parat sent; returns its XML document. */
function readSignedRedirect(location: string, kind: 'SAMLRequest' | 'SAMLResponse') {
  const url = new URL(location);
  const raw = url.search.slice(1).split('&');
  const get = (k: string) => raw.find((p) => p.startsWith(`${k}=`));
  const signed = [get(kind), get('RelayState'), get('SigAlg')].filter(Boolean).join('&');
  const ok = crypto.verify(
    'RSA-SHA256',
    Buffer.from(signed),
    t.deps.saml.sp.keys.cert,
    Buffer.from(url.searchParams.get('Signature')!, 'base64'),
  );
  expect(ok).toBe(true);
  const xml = zlib.inflateRawSync(Buffer.from(url.searchParams.get(kind)!, 'base64')).toString('utf8');
  return new DOMParser().parseFromString(xml, 'text/xml');
}

/**
 * Starts a login in `agent` and answers it as the outside IdP would: an assertion signed with `signer`,
 * encrypted to `encCert`, in a Response. Returns the base64 Response and what the IdP put in it.
 */
async function idpAnswer(
  agent: ReturnType<typeof request.agent>,
  opts: { deps?: Container; signer?: KeyPair; encCert?: string; nameId?: string } = {},
) {
  const deps = opts.deps ?? t.deps;
  const signer = opts.signer ?? idpKeys;
  const started = await agent.get('/saml/login').expect(302);
  const xml = zlib
    .inflateRawSync(
      Buffer.from(new URL(started.headers.location as string).searchParams.get('SAMLRequest')!, 'base64'),
    )
    .toString('utf8');
  const requestId = /ID="([^"]+)"/.exec(xml)![1]!;
  const input = {
    ...tokenInput(deps, requestId),
    idpEntityId: IDP,
    ...(opts.nameId ? { nameId: opts.nameId } : {}),
  };
  const assertion = signAssertion(buildAssertionXml(input), signer.key, signer.cert);
  const encrypted = await encryptAssertion(assertion, opts.encCert ?? deps.saml.sp.encKeys.cert);
  return {
    samlResponse: Buffer.from(wrapResponse(encrypted, input)).toString('base64'),
    sessionIndex: /SessionIndex="([^"]+)"/.exec(assertion)![1]!,
    started,
  };
}

/** Logs in through the outside IdP (same browser); returns the NameID and SessionIndex the IdP gave. */
async function login(agent: ReturnType<typeof request.agent>) {
  const nameId = `urn:uuid:${crypto.randomUUID()}`;
  const { samlResponse, sessionIndex } = await idpAnswer(agent, { nameId });
  const res = await agent.post('/saml/acs').type('form').send({ SAMLResponse: samlResponse });
  expect(res.status).toBe(303);
  return {
    nameId,
    sessionIndex,
    cookies: (res.headers['set-cookie'] as unknown as string[]).map((c) => c.split(';')[0]).join('; '),
  };
}

const logoutRequestXml = (nameId: string, sessionIndex: string | null, issuer = IDP) =>
  `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
  `ID="${samlId()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${t.deps.saml.sp.sloUrl}">` +
  `<saml:Issuer>${issuer}</saml:Issuer>` +
  `<saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${nameId}</saml:NameID>` +
  (sessionIndex ? `<samlp:SessionIndex>${sessionIndex}</samlp:SessionIndex>` : '') +
  `</samlp:LogoutRequest>`;

describe('single logout started in Parat', () => {
  it('when the user presses Log ud and the IdP has a logout service, then the session ends and a signed LogoutRequest with NameID and SessionIndex goes to the IdP', async () => {
    const agent = request.agent(t.app);
    const { nameId, sessionIndex } = await login(agent);
    const page = await agent.get('/mine-opgaver').expect(200);
    expect(page.text).toContain('action="/saml/logout"');
    const out = await agent
      .post('/saml/logout')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .expect(303);
    expect(out.headers.location).toMatch(new RegExp(`^${IDP_SLO}\\?SAMLRequest=`));
    const doc = readSignedRedirect(out.headers.location as string, 'SAMLRequest');
    const root = doc.documentElement!;
    expect(root.localName).toBe('LogoutRequest');
    expect(root.getAttribute('Destination')).toBe(IDP_SLO);
    expect(
      doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'NameID')[0]?.textContent,
    ).toBe(nameId);
    expect(
      doc.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'SessionIndex')[0]?.textContent,
    ).toBe(sessionIndex);
    expect((await agent.get('/mine-opgaver')).status).toBe(303);

    // The IdP answers with a signed LogoutResponse to that request.
    const response =
      `<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ` +
      `ID="${samlId()}" Version="2.0" IssueInstant="${new Date().toISOString()}" Destination="${t.deps.saml.sp.sloUrl}" InResponseTo="${root.getAttribute('ID')}">` +
      `<saml:Issuer>${IDP}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`;
    const back = await agent
      .get(`/saml/slo?${redirectQuery('SAMLResponse', response, idpKeys.key)}`)
      .expect(200);
    expect(back.text).toContain('Du er nu logget ud af Parat');
    expect(back.text).not.toContain('bekræftede ikke');
  });

  it('when Log ud is asked for without the form token, then nothing ends', async () => {
    const agent = request.agent(t.app);
    await login(agent);
    const res = await agent.post('/saml/logout').type('form').send({});
    expect(res.status).toBe(403);
    await agent.get('/mine-opgaver').expect(200);
  });

  it('when an old Log ud link is followed, then a page asks before logging out', async () => {
    const agent = request.agent(t.app);
    await login(agent);
    const res = await agent.get('/saml/logout').expect(200);
    expect(res.text).toContain('Vil du logge ud af Parat?');
    await agent.get('/mine-opgaver').expect(200);
  });
});

describe('single logout started by the IdP', () => {
  it('when the IdP sends a signed LogoutRequest, then every Parat session of that login ends on every instance and a signed LogoutResponse goes back', async () => {
    const second = createApp(t.deps);
    const a = request.agent(t.app);
    const { nameId, sessionIndex, cookies } = await login(a);
    // The same login's session, used through a second instance.
    await request(second).get('/mine-opgaver').set('Cookie', cookies).expect(200);
    const other = request.agent(t.app);
    await login(other);

    const res = await request(second).get(
      `/saml/slo?${redirectQuery('SAMLRequest', logoutRequestXml(nameId, sessionIndex), idpKeys.key, 'rs-1')}`,
    );
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(new RegExp(`^${IDP_SLO}\\?SAMLResponse=`));
    expect(new URL(res.headers.location as string).searchParams.get('RelayState')).toBe('rs-1');
    const doc = readSignedRedirect(res.headers.location as string, 'SAMLResponse');
    expect(doc.documentElement!.localName).toBe('LogoutResponse');
    expect(
      doc
        .getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:protocol', 'StatusCode')[0]
        ?.getAttribute('Value'),
    ).toBe('urn:oasis:names:tc:SAML:2.0:status:Success');

    expect((await a.get('/mine-opgaver')).status).toBe(303);
    expect((await request(second).get('/mine-opgaver').set('Cookie', cookies)).status).toBe(303);
    // Another person's session is untouched.
    await other.get('/mine-opgaver').expect(200);
  });

  it('when a LogoutRequest is unsigned, signed by another key, or from another issuer, then it is refused and no session ends', async () => {
    const agent = request.agent(t.app);
    const { nameId, sessionIndex } = await login(agent);
    const evil = await generateKeyPair('evil');
    for (const query of [
      redirectQuery('SAMLRequest', logoutRequestXml(nameId, sessionIndex), null),
      redirectQuery('SAMLRequest', logoutRequestXml(nameId, sessionIndex), evil.key),
      redirectQuery(
        'SAMLRequest',
        logoutRequestXml(nameId, sessionIndex, 'https://evil.example.com'),
        idpKeys.key,
      ),
    ]) {
      const res = await request(t.app).get(`/saml/slo?${query}`);
      expect(res.status).toBe(400);
      expect(res.text).toContain('ingen session er afsluttet');
    }
    await agent.get('/mine-opgaver').expect(200);
    const audits = await t
      .db('audit_log')
      .where({ action: 'login-refused' })
      .where('subject', 'like', 'logout-request%');
    expect(audits.length).toBeGreaterThanOrEqual(3);
  });
});

describe('a login bound to the browser that started it', () => {
  it('when a response captured from one browser is posted from another, then it is refused and logs nobody in', async () => {
    const victim = request.agent(t.app);
    const { samlResponse } = await idpAnswer(victim);
    const attacker = request.agent(t.app);
    await attacker.get('/saml/login').expect(302);
    const res = await attacker.post('/saml/acs').type('form').send({ SAMLResponse: samlResponse });
    expect(res.status).toBe(403);
    expect(res.text).toContain('ikke blev startet i denne browser');
    expect((await attacker.get('/mine-opgaver')).status).toBe(303);
    // The browser that started it still can.
    const own = await victim.post('/saml/acs').type('form').send({ SAMLResponse: samlResponse });
    expect(own.status).toBe(303);
  });

  it('when the binding cookie is tampered with, then it is not trusted', async () => {
    const agent = request.agent(t.app);
    const started = await agent.get('/saml/login').expect(302);
    const cookie = (started.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('parat.login='),
    )!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/Path=\/saml/);
    const value = decodeURIComponent(cookie.split(';')[0]!.slice('parat.login='.length));
    const forged = `_forged~${value}`;
    const input = { ...tokenInput(t.deps, '_forged'), idpEntityId: IDP };
    const assertion = signAssertion(buildAssertionXml(input), idpKeys.key, idpKeys.cert);
    const samlResponse = Buffer.from(
      wrapResponse(await encryptAssertion(assertion, t.deps.saml.sp.encKeys.cert), input),
    ).toString('base64');
    const res = await request(t.app)
      .post('/saml/acs')
      .set('Cookie', `parat.login=${encodeURIComponent(forged)}`)
      .type('form')
      .send({ SAMLResponse: samlResponse });
    expect(res.status).toBe(403);
  });
});

describe('SP metadata for the IdP', () => {
  it('when metadata is fetched, then it names the logout service, the OIOSAML 3 attributes (required marked), the organisation and a contact', async () => {
    const res = await request(t.app).get('/saml/metadata').expect(200);
    const doc = new DOMParser().parseFromString(res.text, 'text/xml');
    const md = 'urn:oasis:names:tc:SAML:2.0:metadata';
    const slo = doc.getElementsByTagNameNS(md, 'SingleLogoutService')[0]!;
    expect(slo.getAttribute('Binding')).toBe('urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect');
    expect(slo.getAttribute('Location')).toBe('http://localhost:3000/saml/slo');
    const requested = Array.from(doc.getElementsByTagNameNS(md, 'RequestedAttribute')).map((a) => [
      a.getAttribute('Name'),
      a.getAttribute('isRequired'),
    ]);
    expect(requested).toContainEqual(['https://data.gov.dk/model/core/eid/privilegesIntermediate', 'true']);
    expect(requested).toContainEqual([
      'https://data.gov.dk/model/core/eid/professional/uuid/persistent',
      'true',
    ]);
    expect(requested).toContainEqual(['https://data.gov.dk/model/core/eid/email', 'false']);
    expect(doc.getElementsByTagNameNS(md, 'OrganizationName')[0]?.textContent).toBe('Parat');
    expect(doc.getElementsByTagNameNS(md, 'ContactPerson')[0]?.getAttribute('contactType')).toBe('technical');
  });

  it('when a separate encryption key pair is configured, then metadata offers it for encryption and assertions encrypted to it are read', async () => {
    const enc = await generateKeyPair('parat-enc');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-enc-'));
    fs.writeFileSync(path.join(dir, 'key.pem'), enc.key);
    fs.writeFileSync(path.join(dir, 'cert.pem'), enc.cert);
    const idpFile = path.join(dir, 'idp.xml');
    fs.writeFileSync(idpFile, metadata(IDP, [idpKeys.cert], false));
    const sep = await createTestApp({
      db: t.db,
      env: {
        SAML_IDP_METADATA: idpFile,
        SAML_SP_ENC_KEY: path.join(dir, 'key.pem'),
        SAML_SP_ENC_CERT: path.join(dir, 'cert.pem'),
      },
    });
    const md = await request(sep.app).get('/saml/metadata').expect(200);
    expect(md.text).toContain(
      `<md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(enc.cert)}`,
    );
    expect(md.text).toContain(
      `<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(sep.deps.saml.sp.keys.cert)}`,
    );
    const agent = request.agent(sep.app);
    const toSigningCert = (await idpAnswer(agent, { deps: sep.deps, encCert: sep.deps.saml.sp.keys.cert }))
      .samlResponse;
    expect((await agent.post('/saml/acs').type('form').send({ SAMLResponse: toSigningCert })).status).toBe(
      403,
    );
    const toEncCert = (await idpAnswer(agent, { deps: sep.deps, encCert: enc.cert })).samlResponse;
    expect((await agent.post('/saml/acs').type('form').send({ SAMLResponse: toEncCert })).status).toBe(303);
  });
});

describe('IdP metadata that changes', () => {
  /** A metadata URL on this machine whose document the test can change. */
  async function metadataServer() {
    let body = '';
    let status = 200;
    const server = http.createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/samlmetadata+xml' });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    return {
      url: `http://127.0.0.1:${port}/metadata`,
      set: (xml: string, code = 200) => {
        body = xml;
        status = code;
      },
      close: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('when the IdP adds a new signing key to its metadata, then after the next read both keys are trusted with no restart', async () => {
    const server = await metadataServer();
    const newKeys = await generateKeyPair('kommune-idp-2027');
    server.set(metadata(IDP, [idpKeys.cert], true));
    const source = await loadIdpSource({
      location: server.url,
      refreshMinutes: 60,
      logger: createLogger('silent'),
    });
    try {
      expect(source.current().signingCerts).toEqual([certBody(idpKeys.cert)]);
      server.set(metadata(IDP, [idpKeys.cert, newKeys.cert], true));
      expect(await source.refresh()).toBe(true);
      expect(source.current().signingCerts).toEqual([certBody(idpKeys.cert), certBody(newKeys.cert)]);
      // A login signed with the new key goes through an app reading this source.
      const app = createApp({ ...t.deps, saml: { ...t.deps.saml, idp: source } });
      const agent = request.agent(app);
      const { samlResponse } = await idpAnswer(agent, { signer: newKeys });
      expect((await agent.post('/saml/acs').type('form').send({ SAMLResponse: samlResponse })).status).toBe(
        303,
      );
    } finally {
      source.stop();
      await server.close();
    }
  });

  it('when a later read fails or does not parse, then the last good metadata stays in force', async () => {
    const server = await metadataServer();
    server.set(metadata(IDP, [idpKeys.cert], true));
    const source = await loadIdpSource({
      location: server.url,
      refreshMinutes: 60,
      logger: createLogger('silent'),
    });
    try {
      server.set('<md:EntityDescriptor', 200);
      expect(await source.refresh()).toBe(false);
      server.set('', 500);
      expect(await source.refresh()).toBe(false);
      expect(source.current().entityId).toBe(IDP);
      expect(source.current().sloUrl).toBe(IDP_SLO);
    } finally {
      source.stop();
      await server.close();
    }
  });

  it('when the metadata URL cannot be read at start, then the start fails naming SAML_IDP_METADATA', async () => {
    const server = await metadataServer();
    const url = server.url;
    await server.close();
    await expect(
      loadIdpSource({ location: url, refreshMinutes: 60, logger: createLogger('silent') }),
    ).rejects.toThrow(/^SAML_IDP_METADATA \(http:\/\/127\.0\.0\.1:\d+\/metadata\) kunne ikke læses/);
    await expect(
      loadIdpSource({
        location: 'http://idp.example.dk/metadata',
        refreshMinutes: 60,
        logger: createLogger('silent'),
      }),
    ).rejects.toThrow(/https/);
  });

  it('when metadata says validUntil, then it is read', async () => {
    const server = await metadataServer();
    server.set(metadata(IDP, [idpKeys.cert], false, ' validUntil="2027-01-01T00:00:00Z"'));
    const source = await loadIdpSource({
      location: server.url,
      refreshMinutes: 60,
      logger: createLogger('silent'),
    });
    try {
      expect(source.current().validUntil?.toISOString()).toBe('2027-01-01T00:00:00.000Z');
    } finally {
      source.stop();
      await server.close();
    }
  });
});
