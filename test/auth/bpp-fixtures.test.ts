import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { encryptAssertion, signAssertion } from '../../src/auth/saml/dev-idp/token.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { idpKeys, startLogin } from '../support/saml.js';

/**
 * Interoperability: privilege lists written by hand from the published shapes (see fixtures.json for
 * each file's source), in an assertion written by hand in the OIOSAML 3 shape, signed and encrypted,
 * through the real ACS. Nothing here is made by Parat's own BPP or token builders.
 */
const dir = path.join(import.meta.dirname, 'fixtures');
type Fixture = {
  file: string;
  source: string;
  cvr: string;
  expect?: {
    location: string;
    roles: string[];
    municipality: number | null;
    constraints: Array<{ name: string; value: string }>;
  };
  refused?: string;
};
const fixtures = JSON.parse(fs.readFileSync(path.join(dir, 'bpp', 'fixtures.json'), 'utf8')) as Fixture[];
const template = fs.readFileSync(path.join(dir, 'assertion-oiosaml3.xml'), 'utf8');

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const id = () => '_' + crypto.randomBytes(16).toString('hex');
/** Base64 folded at 76 characters, as MIME-minded IdPs write it. */
const folded = (xml: string) =>
  Buffer.from(xml, 'utf8')
    .toString('base64')
    .replace(/(.{76})/g, '$1\n');

async function kombitShapedResponse(requestId: string, fixture: Fixture, nameId: string): Promise<string> {
  const now = new Date();
  const values: Record<string, string> = {
    ASSERTION_ID: id(),
    NOW: now.toISOString(),
    NOT_BEFORE: new Date(now.getTime() - 5_000).toISOString(),
    NOT_ON_OR_AFTER: new Date(now.getTime() + 5 * 60_000).toISOString(),
    ISSUER: t.deps.saml.idp.current().entityId,
    NAME_ID: nameId,
    IN_RESPONSE_TO: requestId,
    RECIPIENT: t.deps.saml.sp.acsUrl,
    AUDIENCE: t.deps.saml.sp.entityId,
    SESSION_INDEX: id(),
    CVR: fixture.cvr,
    ORG_NAME: 'Organisation ' + fixture.cvr,
    EMAIL: `${fixture.file.replace(/\W/g, '')}@kommune.example.dk`,
    FIRST_NAME: 'Fie',
    LAST_NAME: 'Fixtur',
    BPP_BASE64: folded(fs.readFileSync(path.join(dir, 'bpp', fixture.file), 'utf8')),
  };
  const assertion = template.replace(/\{\{(\w+)\}\}/g, (_m, key: string) => values[key]!);
  const signed = signAssertion(assertion, idpKeys(t.deps).key, idpKeys(t.deps).cert);
  const encrypted = await encryptAssertion(signed, t.deps.saml.sp.encKeys.cert);
  const response =
    `<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" Destination="${values.RECIPIENT}" ID="${id()}" ` +
    `InResponseTo="${requestId}" IssueInstant="${values.NOW}" Version="2.0">` +
    `<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">${values.ISSUER}</saml2:Issuer>` +
    `<saml2p:Status><saml2p:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></saml2p:Status>` +
    `${encrypted}</saml2p:Response>`;
  return Buffer.from(response, 'utf8').toString('base64');
}

describe('OIO-BPP as written in the wild, through the signed and encrypted ACS path', () => {
  it.each(fixtures.map((f) => [f.file, f] as const))(
    'when the token carries %s, then the outcome is the one its source implies',
    async (_name, fixture) => {
      const agent = request.agent(t.app);
      const { requestId } = await startLogin(agent);
      const nameId = `urn:uuid:${crypto.randomUUID()}`;
      const res = await agent
        .post('/saml/acs')
        .type('form')
        .send({ SAMLResponse: await kombitShapedResponse(requestId, fixture, nameId) });
      if (fixture.refused) {
        expect(res.status).toBe(403);
        expect(res.text).toContain(fixture.refused);
        const audit = await t
          .db('audit_log')
          .where({ action: 'login-refused' })
          .orderBy('id', 'desc')
          .first();
        expect(audit?.subject).toMatch(/^(no-role|bpp: )/);
        return;
      }
      const expected = fixture.expect!;
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe(expected.location);
      const page = await agent.get(expected.location).expect(200);
      expect(page.text).toContain('Fie Fixtur');
      const user = await t.db('users').where({ persistent_uuid: nameId }).first();
      expect(user.municipality_code).toBe(expected.municipality);
      expect((await t.db('user_roles').where({ user_id: user.id }).pluck('role')).sort()).toEqual(
        [...expected.roles].sort(),
      );
      const sid = decodeURIComponent(String(res.headers['set-cookie']).match(/parat\.sid=s%3A([^.;]+)/)![1]!);
      const stored = await t.db('sessions').where({ sid }).first();
      const sess = typeof stored.sess === 'string' ? JSON.parse(stored.sess) : stored.sess;
      expect(sess.user.constraints).toEqual(expected.constraints);
    },
  );
});
