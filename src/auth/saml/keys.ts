import fs from 'node:fs';
import path from 'node:path';
import { generate } from 'selfsigned';

export type KeyPair = { key: string; cert: string };

/** Creates a self-signed RSA-2048 / SHA-256 key pair for SAML signing and encryption. */
export async function generateKeyPair(commonName: string): Promise<KeyPair> {
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 5 * 365 * 24 * 3600 * 1000),
  });
  return { key: pems.private, cert: pems.cert };
}

/** Reads a key pair from PEM files, or (development) generates and keeps it under var/. */
export async function loadOrCreateKeyPair(opts: {
  keyPath: string | undefined;
  certPath: string | undefined;
  varDir: string;
  name: string;
  allowGenerate: boolean;
}): Promise<KeyPair> {
  if (opts.keyPath && opts.certPath) {
    return { key: fs.readFileSync(opts.keyPath, 'utf8'), cert: fs.readFileSync(opts.certPath, 'utf8') };
  }
  if (!opts.allowGenerate) throw new Error(`Nøgle og certifikat for ${opts.name} mangler`);
  const keyPath = path.join(opts.varDir, `${opts.name}-key.pem`);
  const certPath = path.join(opts.varDir, `${opts.name}-cert.pem`);
  if (fs.existsSync(keyPath) && fs.existsSync(certPath)) {
    return { key: fs.readFileSync(keyPath, 'utf8'), cert: fs.readFileSync(certPath, 'utf8') };
  }
  const pair = await generateKeyPair(`Parat ${opts.name}`);
  fs.mkdirSync(opts.varDir, { recursive: true });
  fs.writeFileSync(keyPath, pair.key, { mode: 0o600 });
  fs.writeFileSync(certPath, pair.cert);
  return pair;
}

/** The base64 body of a PEM certificate, as metadata and KeyInfo carry it. */
export function certBody(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
}
