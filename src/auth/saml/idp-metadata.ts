import fs from 'node:fs';
import { DOMParser, type Document, type Element } from '@xmldom/xmldom';
import type { Logger } from '../../shared/logger.js';
import { safeError } from '../../shared/logger.js';

const MD = 'urn:oasis:names:tc:SAML:2.0:metadata';
const DS = 'http://www.w3.org/2000/09/xmldsig#';
const REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export type IdpSettings = {
  entityId: string;
  ssoUrl: string;
  sloUrl: string | null;
  /** Every signing certificate the IdP publishes; all are trusted at once, so a key rollover needs no restart. */
  signingCerts: string[];
  /** The metadata's own validUntil, when it has one. */
  validUntil: Date | null;
};

/** Reads entityID, SSO/SLO Redirect URLs, signing certificates and validUntil from an IdP's metadata XML. */
export function parseIdpMetadata(xml: string, source = 'IdP-metadata'): IdpSettings {
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new Error(`${source}: DTD og entiteter er ikke tilladt`);
  const errors: string[] = [];
  const doc = new DOMParser({
    onError: (level, msg) => {
      if (level !== 'warning') errors.push(msg);
    },
  }).parseFromString(xml, 'text/xml');
  if (errors.length) throw new Error(`${source}: ikke gyldig XML`);
  const all = (parent: Document | Element, ns: string, name: string) =>
    Array.from(parent.getElementsByTagNameNS(ns, name)) as unknown as Element[];
  const entity = all(doc, MD, 'EntityDescriptor')[0];
  const entityId = entity?.getAttribute('entityID');
  if (!entity || !entityId) throw new Error(`${source}: EntityDescriptor med entityID mangler`);
  const idp = all(entity, MD, 'IDPSSODescriptor')[0];
  if (!idp) throw new Error(`${source}: IDPSSODescriptor mangler`);
  const sso = all(idp, MD, 'SingleSignOnService').find((e) => e.getAttribute('Binding') === REDIRECT);
  if (!sso?.getAttribute('Location'))
    throw new Error(`${source}: SingleSignOnService med HTTP-Redirect mangler`);
  const slo = all(idp, MD, 'SingleLogoutService').find((e) => e.getAttribute('Binding') === REDIRECT);
  const signingCerts = all(idp, MD, 'KeyDescriptor')
    .filter((k) => !k.getAttribute('use') || k.getAttribute('use') === 'signing')
    .flatMap((k) => all(k, DS, 'X509Certificate'))
    .map((c) => (c.textContent ?? '').replace(/\s+/g, ''))
    .filter(Boolean);
  if (!signingCerts.length)
    throw new Error(`${source}: intet signeringscertifikat (KeyDescriptor use="signing")`);
  const validUntilText = (
    doc.documentElement?.getAttribute('validUntil') ||
    entity.getAttribute('validUntil') ||
    ''
  ).trim();
  const validUntil = validUntilText ? new Date(validUntilText) : null;
  if (validUntil && Number.isNaN(validUntil.getTime()))
    throw new Error(`${source}: validUntil er ikke et tidspunkt`);
  return {
    entityId,
    ssoUrl: sso.getAttribute('Location')!,
    sloUrl: slo?.getAttribute('Location') ?? null,
    signingCerts: [...new Set(signingCerts)],
    validUntil,
  };
}

/** Whether SAML_IDP_METADATA names a URL (https; plain http only to this machine) rather than a file. */
export function isMetadataUrl(value: string): boolean {
  return /^https?:\/\//i.test(value);
}

function checkUrl(value: string): void {
  const url = new URL(value);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !loopback) throw new Error('skal være en https://-URL');
}

async function readMetadata(location: string, timeoutMs: number): Promise<string> {
  if (!isMetadataUrl(location)) return fs.readFileSync(location, 'utf8');
  checkUrl(location);
  const res = await fetch(location, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (!res.ok) throw new Error(`svarede HTTP ${res.status}`);
  const text = await res.text();
  if (text.length > 5_000_000) throw new Error('er for stor');
  return text;
}

/** The IdP settings in force; a metadata URL is re-read on a timer and the last good document is kept. */
export type IdpSource = {
  current(): IdpSettings;
  /** Reads the metadata again now; resolves to whether it was taken. */
  refresh(): Promise<boolean>;
  stop(): void;
};

/** A fixed IdP (the development IdP, or tests). */
export function staticIdpSource(settings: IdpSettings): IdpSource {
  return { current: () => settings, refresh: async () => true, stop: () => undefined };
}

/**
 * Reads SAML_IDP_METADATA (a file or a URL). A start that cannot read it fails with a message naming
 * the variable; afterwards a URL is read again every `refreshMinutes` (sooner when validUntil comes
 * first), and a document that cannot be fetched or parsed keeps the last good one and logs an error.
 */
export async function loadIdpSource(opts: {
  location: string;
  refreshMinutes: number;
  logger: Logger;
  now?: () => number;
  fetchTimeoutMs?: number;
}): Promise<IdpSource> {
  const now = opts.now ?? Date.now;
  const timeoutMs = opts.fetchTimeoutMs ?? 15_000;
  let settings: IdpSettings;
  try {
    settings = parseIdpMetadata(await readMetadata(opts.location, timeoutMs), 'SAML_IDP_METADATA');
  } catch (err) {
    const message = err instanceof Error ? err.message.replace(/^SAML_IDP_METADATA: /, '') : String(err);
    throw new Error(`SAML_IDP_METADATA (${opts.location}) kunne ikke læses: ${message}`, { cause: err });
  }
  if (settings.validUntil && settings.validUntil.getTime() < now()) {
    opts.logger.warn(
      { validUntil: settings.validUntil.toISOString() },
      'IdP-metadata er udløbet (validUntil); den bruges, til en ny kan hentes',
    );
  }
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const refresh = async (): Promise<boolean> => {
    try {
      const next = parseIdpMetadata(await readMetadata(opts.location, timeoutMs), 'SAML_IDP_METADATA');
      settings = next;
      opts.logger.info(
        { entityId: next.entityId, certificates: next.signingCerts.length },
        'IdP-metadata læst igen',
      );
      return true;
    } catch (err) {
      opts.logger.error(
        { err: safeError(err) },
        'IdP-metadata kunne ikke læses igen; den sidste gode bruges fortsat',
      );
      return false;
    }
  };
  const schedule = () => {
    if (stopped || !isMetadataUrl(opts.location) || opts.refreshMinutes <= 0) return;
    let delay = opts.refreshMinutes * 60_000;
    const until = settings.validUntil ? settings.validUntil.getTime() - now() : Infinity;
    if (until > 0 && until < delay) delay = Math.max(until, 10_000);
    timer = setTimeout(() => void refresh().finally(schedule), delay);
    timer.unref();
  };
  schedule();
  return {
    current: () => settings,
    refresh,
    stop: () => {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
