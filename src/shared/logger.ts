import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths never written to the log: secrets, SAML payloads, addresses. */
export const redactPaths = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'SAMLResponse',
  'SAMLRequest',
  'email',
  '*.email',
  'token',
  '*.token',
  'password',
];

/** Builds the process logger; one per process. */
export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: redactPaths, censor: '[skjult]' } });
}

/** Strips query values and personal-link tokens from a URL before it is logged. */
export function sanitizeUrl(url: string): string {
  const [pathPart = '', query] = url.split('?', 2);
  const safePath = pathPart.replace(/\/(l|link|certifikat\/verificer)\/[^/]+/g, '/$1/[skjult]');
  if (!query) return safePath;
  const keys = query
    .split('&')
    .map((kv) => kv.split('=')[0])
    .filter(Boolean);
  return `${safePath}?${keys.map((k) => `${k}=[skjult]`).join('&')}`;
}
