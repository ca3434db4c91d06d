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
  // Written without blocking the event loop (what is pending is flushed when the process exits normally).
  return pino(
    { level, redact: { paths: redactPaths, censor: '[skjult]' } },
    pino.destination({ dest: 1, sync: false }),
  );
}

/** An error as it may be logged: database errors quote their SQL values, so addresses and tokens are masked. */
export function safeError(err: unknown): { name: string; code?: string; message: string; stack?: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  const mask = (s: string | undefined) =>
    s?.replace(/[^\s'"(),<>]+@[^\s'"(),<>]+/g, '[skjult]').replace(/\/l\/[A-Za-z0-9_-]{20,}/g, '/l/[skjult]');
  return {
    name: e.name,
    code: (e as { code?: string }).code,
    message: mask(e.message) ?? '',
    stack: mask(e.stack),
  };
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
