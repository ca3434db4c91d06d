import { describe, expect, it } from 'vitest';
import { BppError, buildBpp, parseBpp } from '../../src/auth/saml/bpp.js';
import { parseIdpMetadata } from '../../src/auth/saml/idp-metadata.js';

describe('OIO-BPP parser', () => {
  it('when the list uses the itst.dk namespace, then groups and privileges are read', () => {
    const groups = parseBpp(
      buildBpp([{ cvr: '19751000', privileges: ['http://x/roles/usersystemrole/projektleder/1'] }]),
    );
    expect(groups).toEqual([
      { cvr: '19751000', privileges: ['http://x/roles/usersystemrole/projektleder/1'], constraints: [] },
    ]);
  });

  it('when the list uses the digst.dk namespace, then it is read the same way', () => {
    const groups = parseBpp(
      buildBpp(
        [{ cvr: '19101000', privileges: ['a', 'b'] }],
        'http://digst.dk/oiosaml/basic_privilege_profile',
      ),
    );
    expect(groups).toEqual([{ cvr: '19101000', privileges: ['a', 'b'], constraints: [] }]);
  });

  it('when the scope is written in another case, then it still matches', () => {
    const xml =
      '<bpp:PrivilegeList xmlns:bpp="http://itst.dk/oiosaml/basic_privilege_profile">' +
      '<bpp:PrivilegeGroup Scope="URN:DK:GOV:SAML:CVRNUMBERIDENTIFIER:19751000"><bpp:Privilege>p</bpp:Privilege>' +
      '<bpp:Constraint Name="urn:dk:kombit:KLE">27.*</bpp:Constraint></bpp:PrivilegeGroup></bpp:PrivilegeList>';
    expect(parseBpp(Buffer.from(xml).toString('base64'))).toEqual([
      { cvr: '19751000', privileges: ['p'], constraints: [{ name: 'urn:dk:kombit:KLE', value: '27.*' }] },
    ]);
  });

  it('when the development IdP builds a list, then its groups and privileges are unqualified, as production sends them', () => {
    const xml = Buffer.from(buildBpp([{ cvr: '19751000', privileges: ['p'] }]), 'base64').toString('utf8');
    expect(xml).toContain('<PrivilegeGroup Scope=');
    expect(xml).toContain('<Privilege>p</Privilege>');
    expect(xml).not.toMatch(/<bpp:Privilege(Group)?[ >]/);
  });

  it("when children are in a namespace that is not the profile's, then they are not read as privileges", () => {
    const xml =
      '<bpp:PrivilegeList xmlns:bpp="http://itst.dk/oiosaml/basic_privilege_profile" xmlns:o="urn:other">' +
      '<PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:19751000"><o:Privilege>x</o:Privilege><Privilege>p</Privilege></PrivilegeGroup>' +
      '<o:PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:19101000"><Privilege>q</Privilege></o:PrivilegeGroup></bpp:PrivilegeList>';
    expect(parseBpp(xml)).toEqual([{ cvr: '19751000', privileges: ['p'], constraints: [] }]);
  });

  it('when the XML has a DOCTYPE or an entity, then it is refused before parsing', () => {
    const xml =
      '<!DOCTYPE a [<!ENTITY x "y">]><bpp:PrivilegeList xmlns:bpp="http://itst.dk/oiosaml/basic_privilege_profile"/>';
    expect(() => parseBpp(Buffer.from(xml).toString('base64'))).toThrow(BppError);
  });

  it('when the root is not a PrivilegeList in a known namespace, then it is refused', () => {
    expect(() => parseBpp(Buffer.from('<PrivilegeList xmlns="urn:other"/>').toString('base64'))).toThrow(
      BppError,
    );
    expect(() => parseBpp(Buffer.from('not xml at all <').toString('base64'))).toThrow(BppError);
  });
});

describe('IdP metadata', () => {
  const md = `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://saml.adgangsstyring.example.dk">
    <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
      <md:KeyDescriptor use="encryption"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>ENC</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>SI
      GN</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp/post"/>
      <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp/redirect"/>
    </md:IDPSSODescriptor></md:EntityDescriptor>`;

  it('when metadata is read, then entityID, the Redirect SSO URL and only the signing certificate are taken', () => {
    expect(parseIdpMetadata(md)).toEqual({
      entityId: 'https://saml.adgangsstyring.example.dk',
      ssoUrl: 'https://idp/redirect',
      sloUrl: null,
      signingCerts: ['SIGN'],
      validUntil: null,
    });
  });

  it('when metadata lacks a Redirect SSO service, then the error names what is missing', () => {
    expect(() => parseIdpMetadata(md.replace('HTTP-Redirect', 'SOAP'), 'idp.xml')).toThrow(
      /idp.xml: SingleSignOnService med HTTP-Redirect mangler/,
    );
  });
});
