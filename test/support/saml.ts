import zlib from 'node:zlib';
import type { Agent, Response } from 'supertest';
import { buildBpp } from '../../src/auth/saml/bpp.js';
import {
  buildAssertionXml,
  encryptAssertion,
  personaAttributes,
  signAssertion,
  wrapResponse,
  type TokenInput,
} from '../../src/auth/saml/dev-idp/token.js';
import type { Container } from '../../src/container.js';

/** Reads a hidden input's value out of an HTML page. */
export function hiddenValue(html: string, name: string): string {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!m?.[1] && m?.[1] !== '') throw new Error(`no input ${name} in page`);
  return m[1].replace(/&#34;/g, '"').replace(/&amp;/g, '&');
}

/** The CSRF token of the first form on a page. */
export const csrfFrom = (html: string): string => hiddenValue(html, '_csrf');

/** GET /saml/login and return the AuthnRequest's ID and the redirect to the IdP. */
export async function startLogin(
  agent: Agent,
  next?: string,
): Promise<{ requestId: string; location: string }> {
  const res = await agent
    .get('/saml/login' + (next ? `?naeste=${encodeURIComponent(next)}` : ''))
    .expect(302);
  const location = res.headers.location as string;
  const url = new URL(location);
  const xml = zlib
    .inflateRawSync(Buffer.from(url.searchParams.get('SAMLRequest')!, 'base64'))
    .toString('utf8');
  const requestId = xml.match(/ID="([^"]+)"/)![1]!;
  return { requestId, location };
}

export type Persona = {
  municipality?: number;
  roles: readonly string[];
  firstName?: string;
  lastName?: string;
  email?: string;
};

/** The full round trip: /saml/login → development IdP persona page → POST /saml/acs. */
export async function loginThroughDevIdp(agent: Agent, persona: Persona, next?: string): Promise<Response> {
  const { location } = await startLogin(agent, next);
  const url = new URL(location);
  const page = await agent.get(url.pathname + url.search).expect(200);
  const form = {
    _csrf: csrfFrom(page.text),
    requestId: hiddenValue(page.text, 'requestId'),
    relayState: hiddenValue(page.text, 'relayState'),
    municipality: persona.municipality ? String(persona.municipality) : '',
    roles: persona.roles,
    firstName: persona.firstName ?? 'Test',
    lastName: persona.lastName ?? 'Person',
    email: persona.email ?? 'test.person@example.dk',
  };
  const posted = await agent.post('/dev-idp/sso').type('form').send(form).expect(200);
  const samlResponse = hiddenValue(posted.text, 'SAMLResponse');
  const body: Record<string, string> = { SAMLResponse: samlResponse };
  if (posted.text.includes('name="RelayState"')) body.RelayState = hiddenValue(posted.text, 'RelayState');
  return agent.post('/saml/acs').type('form').send(body);
}

/** Token pieces for hand-made (and deliberately broken) responses in tests. */
export function tokenInput(
  deps: Container,
  requestId: string,
  overrides: Partial<TokenInput> & { cvr?: string; roles?: string[] } = {},
): TokenInput {
  const cvr = overrides.cvr ?? '19751000';
  const roles = overrides.roles ?? ['projektleder'];
  const base = deps.config.saml.roleBase;
  return {
    idpEntityId: deps.saml.idp.current().entityId,
    spEntityId: deps.saml.sp.entityId,
    acsUrl: deps.saml.sp.acsUrl,
    inResponseTo: requestId,
    nameId: 'urn:uuid:11111111-2222-3333-4444-555555555555',
    attributes: personaAttributes({
      uuid: 'urn:uuid:11111111-2222-3333-4444-555555555555',
      firstName: 'Mette',
      lastName: 'Hansen',
      email: 'mette.hansen@aarhus.example.dk',
      cvr,
      orgName: 'Aarhus Kommune',
      bppBase64: buildBpp([{ cvr, privileges: roles.map((r) => `${base}/${r}/1`) }]),
    }),
    ...overrides,
  };
}

export const idpKeys = (deps: Container) => deps.saml.devIdp!.keys;

/** Signed assertion XML (not yet encrypted or wrapped). */
export const signedAssertion = (deps: Container, t: TokenInput) =>
  signAssertion(buildAssertionXml(t), idpKeys(deps).key, idpKeys(deps).cert);

/** Wraps assertion XML (encrypting it unless told not to) in a Response and base64-encodes it. */
export async function responseOf(
  deps: Container,
  t: TokenInput,
  assertionXml: string,
  encrypt = true,
): Promise<string> {
  const part = encrypt ? await encryptAssertion(assertionXml, deps.saml.sp.encKeys.cert) : assertionXml;
  return Buffer.from(wrapResponse(part, t), 'utf8').toString('base64');
}
