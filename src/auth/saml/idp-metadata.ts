import fs from 'node:fs';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export type IdpSettings = { entityId: string; ssoUrl: string; sloUrl: string | null; signingCerts: string[] };

/** Reads entityID, SSO Redirect URL and signing certificates from an IdP's metadata XML. */
export function parseIdpMetadata(xml: string, source = 'IdP-metadata'): IdpSettings {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error(`${source}: DTD og entiteter er ikke tilladt`);
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const all = (parent: Document | Element, ns: string, name: string) =>
    Array.from(parent.getElementsByTagNameNS(ns, name)) as unknown as Element[];
  const entity = all(doc, MD, 'EntityDescriptor')[0];
  const entityId = entity?.getAttribute('entityID');
  if (!entity || !entityId) throw new Error(`${source}: EntityDescriptor med entityID mangler`);
  const idp = all(entity, MD, 'IDPSSODescriptor')[0];
  if (!idp) throw new Error(`${source}: IDPSSODescriptor mangler`);
  const sso = all(idp, MD, 'SingleSignOnService').find((e) => e.getAttribute('Binding') === REDIRECT);
  if (!sso?.getAttribute('Location')) throw new Error(`${source}: SingleSignOnService med HTTP-Redirect mangler`);
  const slo = all(idp, MD, 'SingleLogoutService').find((e) => e.getAttribute('Binding') === REDIRECT);
  const signingCerts = all(idp, MD, 'KeyDescriptor')
    .filter((k) => !k.getAttribute('use') || k.getAttribute('use') === 'signing')
    .flatMap((k) => all(k, DS, 'X509Certificate'))
    .map((c) => (c.textContent ?? '').replace(/\s+/g, ''))
    .filter(Boolean);
  if (!signingCerts.length) throw new Error(`${source}: intet signeringscertifikat (KeyDescriptor use="signing")`);
  return { entityId, ssoUrl: sso.getAttribute('Location')!, sloUrl: slo?.getAttribute('Location') ?? null, signingCerts };
}

export function readIdpMetadataFile(path: string): IdpSettings {
  return parseIdpMetadata(fs.readFileSync(path, 'utf8'), path);
}
