/**
 * HTTP helpers for `npm run bench`: a small cookie-keeping client on node:http, and an external
 * SAML IdP (its own keys and metadata) that logs users in to a production-mode Parat.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import { buildBpp } from '../src/auth/saml/bpp.js';
import { certBody, type KeyPair } from '../src/auth/saml/keys.js';
import { buildSignedEncryptedResponse, personaAttributes } from '../src/auth/saml/dev-idp/token.js';

export type Reply = { status: number; headers: http.IncomingHttpHeaders; body: string };
export type Form = Record<string, string | string[]>;

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

/** Closes the kept-alive connections, so a server being stopped need not wait for them. */
export const closeConnections = (): void => agent.destroy();

export function encodeForm(form: Form): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x);
  return p.toString();
}

/** One browser: keeps the session cookie; localAddress picks the client's source address on loopback. */
export class Client {
  cookie: string | undefined;
  constructor(
    readonly port: number,
    readonly localAddress?: string,
  ) {}

  get(path: string): Promise<Reply> {
    return this.send('GET', path);
  }

  post(path: string, form: Form): Promise<Reply> {
    return this.send('POST', path, encodeForm(form));
  }

  send(method: string, path: string, body?: string): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (this.cookie) headers.cookie = this.cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: '127.0.0.1', port: this.port, method, path, headers, agent, localAddress: this.localAddress },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const set = res.headers['set-cookie']?.find((c) => c.startsWith('parat.sid='));
            if (set) this.cookie = set.split(';')[0];
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Fails loudly unless the reply has the expected status. */
  async expect(status: number, method: 'GET' | 'POST', path: string, form?: Form): Promise<Reply> {
    const res = method === 'GET' ? await this.get(path) : await this.post(path, form ?? {});
    if (res.status !== status)
      throw new Error(`${method} ${path}: expected ${status}, got ${res.status}: ${res.body.slice(0, 300)}`);
    return res;
  }
}

/** The value of a hidden input (the first form's CSRF token by default). */
export function hidden(html: string, name = '_csrf'): string {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  if (!m) throw new Error(`no hidden input ${name} in page`);
  return m[1]!.replace(/&#34;/g, '"').replace(/&amp;/g, '&');
}

export type Persona = {
  roles: string[];
  cvr: string;
  orgName: string;
  firstName: string;
  lastName: string;
  email: string;
};

/** An IdP outside Parat, configured in Parat through SAML_IDP_METADATA exactly as KOMBIT's would be. */
export class BenchIdp {
  constructor(
    readonly entityId: string,
    readonly keys: KeyPair,
    readonly sp: { entityId: string; acsUrl: string; cert: string },
    readonly roleBase: string,
  ) {}

  metadataXml(ssoUrl: string): string {
    return (
      `<?xml version="1.0" encoding="UTF-8"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="${this.entityId}">` +
      `<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" WantAuthnRequestsSigned="true">` +
      `<md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>${certBody(this.keys.cert)}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>` +
      `<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="${ssoUrl}"/>` +
      `</md:IDPSSODescriptor></md:EntityDescriptor>`
    );
  }

  /** /saml/login → (this IdP) → signed, encrypted response posted to /saml/acs. */
  async login(client: Client, p: Persona): Promise<void> {
    const start = await client.expect(302, 'GET', '/saml/login');
    const samlRequest = new URL(String(start.headers.location)).searchParams.get('SAMLRequest');
    if (!samlRequest) throw new Error('no SAMLRequest in the redirect');
    const xml = zlib.inflateRawSync(Buffer.from(samlRequest, 'base64')).toString('utf8');
    const requestId = xml.match(/ID="([^"]+)"/)?.[1];
    if (!requestId) throw new Error('no ID in the AuthnRequest');
    const uuid = `urn:uuid:${crypto.randomUUID()}`;
    const token = await buildSignedEncryptedResponse(
      {
        idpEntityId: this.entityId,
        spEntityId: this.sp.entityId,
        acsUrl: this.sp.acsUrl,
        inResponseTo: requestId,
        nameId: uuid,
        attributes: personaAttributes({
          uuid,
          firstName: p.firstName,
          lastName: p.lastName,
          email: p.email,
          cvr: p.cvr,
          orgName: p.orgName,
          bppBase64: buildBpp([{ cvr: p.cvr, privileges: p.roles.map((r) => `${this.roleBase}/${r}/1`) }]),
        }),
      },
      this.keys,
      this.sp.cert,
    );
    await client.expect(303, 'POST', '/saml/acs', { SAMLResponse: token });
  }
}
