import { SignedXml } from 'xml-crypto';
import xmlenc from 'xml-encryption';
import { ATTR, ATTR_NAME_FORMAT_URI } from '../attributes.js';
import { certBody } from '../keys.js';
import { newSamlId } from '../sp.js';

const SAML = 'urn:oasis:names:tc:SAML:2.0:assertion';
const SAMLP = 'urn:oasis:names:tc:SAML:2.0:protocol';

export type TokenInput = {
  idpEntityId: string;
  spEntityId: string;
  acsUrl: string;
  inResponseTo: string;
  nameId: string;
  attributes: Record<string, string>;
  now?: Date;
  validForMs?: number;
};

export const escapeXml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The Assertion XML as KOMBIT's Context Handler shapes it (OIOSAML 3, NameFormat uri). */
export function buildAssertionXml(t: TokenInput): string {
  const now = t.now ?? new Date();
  const notBefore = new Date(now.getTime() - 5_000).toISOString();
  const notOnOrAfter = new Date(now.getTime() + (t.validForMs ?? 5 * 60_000)).toISOString();
  const attrs = Object.entries(t.attributes)
    .map(
      ([name, value]) =>
        `<saml:Attribute Name="${escapeXml(name)}" NameFormat="${ATTR_NAME_FORMAT_URI}">` +
        `<saml:AttributeValue>${escapeXml(value)}</saml:AttributeValue></saml:Attribute>`,
    )
    .join('');
  return (
    `<saml:Assertion xmlns:saml="${SAML}" ID="${newSamlId()}" Version="2.0" IssueInstant="${now.toISOString()}">` +
    `<saml:Issuer>${escapeXml(t.idpEntityId)}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">${escapeXml(t.nameId)}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
    `<saml:SubjectConfirmationData InResponseTo="${escapeXml(t.inResponseTo)}" NotOnOrAfter="${notOnOrAfter}" Recipient="${escapeXml(t.acsUrl)}"/>` +
    `</saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${notBefore}" NotOnOrAfter="${notOnOrAfter}">` +
    `<saml:AudienceRestriction><saml:Audience>${escapeXml(t.spEntityId)}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${now.toISOString()}" SessionIndex="${newSamlId()}">` +
    `<saml:AuthnContext><saml:AuthnContextClassRef>https://data.gov.dk/concept/core/nsis/Substantial</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attrs}</saml:AttributeStatement>` +
    `</saml:Assertion>`
  );
}

/** Signs an Assertion (enveloped, RSA-SHA256, exclusive c14n), the signature placed after Issuer. */
export function signAssertion(assertionXml: string, key: string, cert: string): string {
  const sig = new SignedXml({
    privateKey: key,
    publicCert: cert,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
    canonicalizationAlgorithm: 'http://www.w3.org/2001/10/xml-exc-c14n#',
  });
  sig.addReference({
    xpath: "/*[local-name(.)='Assertion']",
    digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256',
    transforms: [
      'http://www.w3.org/2000/09/xmldsig#enveloped-signature',
      'http://www.w3.org/2001/10/xml-exc-c14n#',
    ],
  });
  sig.getKeyInfoContent = () => `<X509Data><X509Certificate>${certBody(cert)}</X509Certificate></X509Data>`;
  sig.computeSignature(assertionXml, {
    prefix: 'ds',
    location: { reference: "/*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: 'after' },
  });
  return sig.getSignedXml();
}

/** Encrypts an Assertion to the SP's certificate (AES-256-GCM, RSA-OAEP). */
export async function encryptAssertion(assertionXml: string, spCert: string): Promise<string> {
  const encrypted = await new Promise<string>((resolve, reject) =>
    xmlenc.encrypt(
      assertionXml,
      {
        rsa_pub: spCert,
        pem: spCert,
        encryptionAlgorithm: 'http://www.w3.org/2009/xmlenc11#aes256-gcm',
        keyEncryptionAlgorithm: 'http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p',
        disallowEncryptionWithInsecureAlgorithm: true,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    ),
  );
  return `<saml:EncryptedAssertion xmlns:saml="${SAML}">${encrypted}</saml:EncryptedAssertion>`;
}

/** Wraps an (encrypted or plain) assertion in an unsigned samlp:Response. */
export function wrapResponse(
  assertionPart: string,
  t: Pick<TokenInput, 'idpEntityId' | 'acsUrl' | 'inResponseTo' | 'now'>,
): string {
  const now = t.now ?? new Date();
  return (
    `<samlp:Response xmlns:samlp="${SAMLP}" xmlns:saml="${SAML}" ID="${newSamlId()}" Version="2.0" IssueInstant="${now.toISOString()}" ` +
    `Destination="${escapeXml(t.acsUrl)}" InResponseTo="${escapeXml(t.inResponseTo)}">` +
    `<saml:Issuer>${escapeXml(t.idpEntityId)}</saml:Issuer>` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
    assertionPart +
    `</samlp:Response>`
  );
}

/** A complete KOMBIT-shaped token: assertion signed, then encrypted, in a Response; base64. */
export async function buildSignedEncryptedResponse(
  t: TokenInput,
  idp: { key: string; cert: string },
  spCert: string,
): Promise<string> {
  const signed = signAssertion(buildAssertionXml(t), idp.key, idp.cert);
  const xml = wrapResponse(await encryptAssertion(signed, spCert), t);
  return Buffer.from(xml, 'utf8').toString('base64');
}

/** The OIOSAML 3 attribute set for a persona. */
export function personaAttributes(p: {
  uuid: string;
  firstName: string;
  lastName: string;
  email: string;
  cvr: string;
  orgName: string;
  bppBase64: string;
}): Record<string, string> {
  return {
    [ATTR.specVersion]: 'OIO-SAML-3.0',
    [ATTR.kombitSpecVer]: '2.0',
    [ATTR.loa]: 'Substantial',
    [ATTR.cvr]: p.cvr,
    [ATTR.orgName]: p.orgName,
    [ATTR.privileges]: p.bppBase64,
    [ATTR.email]: p.email,
    [ATTR.uuid]: p.uuid,
    [ATTR.firstName]: p.firstName,
    [ATTR.lastName]: p.lastName,
    [ATTR.fullName]: `${p.firstName} ${p.lastName}`.trim(),
  };
}
