import { ATTR, ATTR_NAME_FORMAT_URI } from './attributes.js';
import { certBody } from './keys.js';
import type { SpSettings } from './sp.js';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The OIOSAML 3 attributes Parat reads, and whether a login can do without each. */
export const REQUESTED_ATTRIBUTES: ReadonlyArray<{ name: string; required: boolean }> = [
  { name: ATTR.specVersion, required: true },
  { name: ATTR.privileges, required: true },
  { name: ATTR.uuid, required: true },
  { name: ATTR.cvr, required: true },
  { name: ATTR.loa, required: false },
  { name: ATTR.kombitSpecVer, required: false },
  { name: ATTR.orgName, required: false },
  { name: ATTR.email, required: false },
  { name: ATTR.firstName, required: false },
  { name: ATTR.lastName, required: false },
  { name: ATTR.fullName, required: false },
];

const keyDescriptor = (use: 'signing' | 'encryption', pem: string) =>
  `<md:KeyDescriptor use="${use}"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>${certBody(pem)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>`;

/** The SP metadata to upload to KOMBIT's administration module (OIOSAML 3 shape). */
export function spMetadataXml(sp: SpSettings): string {
  const redirect = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';
  const post = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST';
  const requested = REQUESTED_ATTRIBUTES.map(
    (a) =>
      `\n      <md:RequestedAttribute Name="${esc(a.name)}" NameFormat="${ATTR_NAME_FORMAT_URI}" isRequired="${a.required}"/>`,
  ).join('');
  const contact =
    `<md:ContactPerson contactType="technical"><md:Company>${esc(sp.contact.company)}</md:Company>` +
    (sp.contact.name ? `<md:GivenName>${esc(sp.contact.name)}</md:GivenName>` : '') +
    (sp.contact.email ? `<md:EmailAddress>mailto:${esc(sp.contact.email)}</md:EmailAddress>` : '') +
    '</md:ContactPerson>';
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="${esc(sp.entityId)}">\n` +
    `  <md:SPSSODescriptor AuthnRequestsSigned="true" WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n` +
    `    ${keyDescriptor('signing', sp.keys.cert)}\n` +
    `    ${keyDescriptor('encryption', sp.encKeys.cert)}\n` +
    `    <md:SingleLogoutService Binding="${redirect}" Location="${esc(sp.sloUrl)}"/>\n` +
    `    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>\n` +
    `    <md:AssertionConsumerService Binding="${post}" Location="${esc(sp.acsUrl)}" index="0" isDefault="true"/>\n` +
    `    <md:AttributeConsumingService index="0" isDefault="true">\n` +
    `      <md:ServiceName xml:lang="da">${esc(sp.organization.displayName)}</md:ServiceName>${requested}\n` +
    `    </md:AttributeConsumingService>\n` +
    `  </md:SPSSODescriptor>\n` +
    `  <md:Organization><md:OrganizationName xml:lang="da">${esc(sp.organization.name)}</md:OrganizationName>` +
    `<md:OrganizationDisplayName xml:lang="da">${esc(sp.organization.displayName)}</md:OrganizationDisplayName>` +
    `<md:OrganizationURL xml:lang="da">${esc(sp.organization.url)}</md:OrganizationURL></md:Organization>\n` +
    `  ${contact}\n` +
    `</md:EntityDescriptor>\n`
  );
}
