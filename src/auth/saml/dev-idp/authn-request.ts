import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { DOMParser } from '@xmldom/xmldom';
import { ValidationError } from '../../../shared/errors.js';

/** The query's parameters as sent (still URL-encoded): the signature covers them byte for byte. */
function rawParams(rawQuery: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of rawQuery.split('&')) {
    const [k, v = ''] = part.split('=');
    if (k) params.set(k, v);
  }
  return params;
}

/** Checks the SP's RSA-SHA256 signature over SAMLRequest, RelayState and SigAlg. */
function verifySignature(params: Map<string, string>, spCert: string): void {
  const sigAlg = params.get('SigAlg');
  const signature = params.get('Signature');
  if (!params.get('SAMLRequest') || !sigAlg || !signature)
    throw new ValidationError('AuthnRequest er ikke signeret.');
  if (decodeURIComponent(sigAlg) !== 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256') {
    throw new ValidationError('AuthnRequest skal signeres med RSA-SHA256.');
  }
  const signed = ['SAMLRequest', 'RelayState', 'SigAlg']
    .filter((k) => params.has(k))
    .map((k) => `${k}=${params.get(k)}`)
    .join('&');
  const ok = crypto.verify(
    'RSA-SHA256',
    Buffer.from(signed),
    spCert,
    Buffer.from(decodeURIComponent(signature), 'base64'),
  );
  if (!ok) throw new ValidationError('Signaturen på AuthnRequest er ugyldig.');
}

/** Reads the AuthnRequest of an HTTP-Redirect and checks the SP's RSA-SHA256 signature on it. */
export function readRedirectRequest(
  rawQuery: string,
  spCert: string,
): { id: string; issuer: string; acs: string | null } {
  const params = rawParams(rawQuery);
  verifySignature(params, spCert);
  const samlRequest = params.get('SAMLRequest')!;
  const xml = zlib.inflateRawSync(Buffer.from(decodeURIComponent(samlRequest), 'base64')).toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new ValidationError('AuthnRequest må ikke indeholde DTD.');
  const doc = new DOMParser().parseFromString(xml, 'text/xml');
  const root = doc.documentElement;
  const id = root?.getAttribute('ID');
  const issuer =
    root?.getElementsByTagNameNS('urn:oasis:names:tc:SAML:2.0:assertion', 'Issuer')[0]?.textContent ?? '';
  if (!root || root.localName !== 'AuthnRequest' || !id) throw new ValidationError('Ugyldig AuthnRequest.');
  return { id, issuer, acs: root.getAttribute('AssertionConsumerServiceURL') };
}
