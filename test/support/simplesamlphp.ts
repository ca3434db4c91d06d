/**
 * SimpleSAMLphp (the Debian package, 1.19.x) as a real third-party SAML 2.0 IdP on loopback, for end-to-end tests.
 *
 * startSimpleSamlPhp() writes a runtime directory (config, authsources, metadata, a fresh IdP key pair, PHP session
 * files, logs), copies the PHP templates from ./simplesamlphp/ into it and runs `php -S 127.0.0.1:<port>` with a
 * document root holding one symlink, `simplesaml` → /usr/share/simplesamlphp/www. PHP's built-in server resolves
 * /simplesaml/module.php/<module>/<page> through the symlink and fills PATH_INFO itself, so no router script is needed.
 * SimpleSAMLphp finds the configuration through the SIMPLESAMLPHP_CONFIG_DIR environment variable; nothing under
 * /etc/simplesamlphp is read or changed. The templates read every per-instance value from <runtime>/harness.json.
 * php runs under simplesamlphp/php-server.sh, which stops it and removes the runtime directory when this process
 * goes away without calling stop().
 *
 * What the IdP does for the configured SP (see simplesamlphp/saml20-sp-remote.php):
 * - requires a signed AuthnRequest (HTTP-Redirect binding, checked against the SP certificate),
 * - answers over HTTP-POST with a Response that is signed (RSA-SHA256, SHA-256 digest) and carries a signed,
 *   encrypted assertion (EncryptedData aes128-cbc, EncryptedKey rsa-oaep-mgf1p: fixed in SimpleSAMLphp 1.19 when
 *   the key comes from a certificate),
 * - sends attributes with NameFormat urn:oasis:names:tc:SAML:2.0:attrname-format:uri,
 * - sets a persistent NameID whose value is the user's PERSISTENT_UUID_ATTRIBUTE value,
 * - signs LogoutRequest/LogoutResponse and checks the signature of the SP's logout messages.
 *
 * Logout entry points at the IdP:
 * - SP-initiated: the SP's LogoutRequest goes to `${baseUrl}/saml2/idp/SingleLogoutService.php` (HTTP-Redirect); the
 *   IdP ends its session and redirects to the SP's SingleLogoutService with a signed LogoutResponse.
 * - IdP-initiated: `${baseUrl}/saml2/idp/SingleLogoutService.php?ReturnTo=<url>` (or the equivalent
 *   `${baseUrl}/saml2/idp/initSLO.php?RelayState=<url>`) logs out every SP of the current IdP session: each SP gets a
 *   signed LogoutRequest at its SingleLogoutService (HTTP-Redirect), and once its LogoutResponse comes back to the IdP
 *   the browser is sent to <url>. <url> must be on the IdP itself or on the host:port of the SP's ACS/SLO URL
 *   ('trusted.url.domains'). See idpInitiatedLogoutUrl() on the started instance.
 */
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from 'selfsigned';
import { freePort } from './server-process.js';

/** Where the Debian package installs SimpleSAMLphp (SIMPLESAMLPHP_HOME overrides it). */
const sspHome = (): string => process.env.SIMPLESAMLPHP_HOME ?? '/usr/share/simplesamlphp';
const templatesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'simplesamlphp');

/** The attribute whose value becomes the persistent NameID. */
export const PERSISTENT_UUID_ATTRIBUTE = 'https://data.gov.dk/model/core/eid/professional/uuid/persistent';
export const NAMEID_PERSISTENT = 'urn:oasis:names:tc:SAML:2.0:nameid-format:persistent';
const BINDING_REDIRECT = 'urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect';

export type SspUser = { username: string; password: string; attributes: Record<string, string[]> };
/**
 * The SP the IdP serves. certPem signs its AuthnRequests and logout messages and, unless encCertPem is given, is also
 * the certificate assertions are encrypted to.
 */
export type SspSp = {
  entityId: string;
  acsUrl: string;
  sloUrl: string;
  certPem: string;
  encCertPem?: string;
};

export type SimpleSamlPhpIdp = {
  /** e.g. http://127.0.0.1:PORT/simplesaml */
  baseUrl: string;
  /** The IdP's entity id (its metadata URL). */
  entityId: string;
  /** URL serving the IdP's SAML 2.0 metadata XML. */
  metadataUrl: string;
  /** The metadata XML, fetched once at start. */
  metadataXml: string;
  /** SingleSignOnService, HTTP-Redirect binding. */
  ssoUrl: string;
  /** SingleLogoutService, HTTP-Redirect binding. */
  sloUrl: string;
  /** The IdP's signing certificate (PEM). */
  certPem: string;
  /** Logs out every SP of the IdP session, then sends the browser to returnTo. */
  idpInitiatedLogoutUrl(returnTo: string): string;
  /** The runtime directory (removed by stop()). */
  dir: string;
  /** php -S output plus SimpleSAMLphp's own log, for failure messages. */
  logs(): string;
  /** Kills php and removes the runtime directory. */
  stop(): Promise<void>;
};

/** The files of ./simplesamlphp/: SimpleSAMLphp configuration and metadata templates and the php -S wrapper. */
const TEMPLATE_FILES = [
  'config.php',
  'authsources.php',
  'saml20-idp-hosted.php',
  'saml20-sp-remote.php',
  'php-server.sh',
];

let availability: string | null | undefined;

/** null when usable, else a Danish-or-English reason it is not (php or simplesamlphp missing). */
export function simpleSamlPhpUnavailable(): string | null {
  if (availability !== undefined) return availability;
  availability = checkAvailability();
  return availability;
}

function checkAvailability(): string | null {
  const hint = 'run scripts/install-simplesamlphp.sh (as root)';
  const php = spawnSync('php', ['-r', 'echo PHP_VERSION, "\\n", implode(",", get_loaded_extensions());'], {
    encoding: 'utf8',
  });
  if (php.error || php.status !== 0) return `php (CLI) is not installed or does not run: ${hint}`;
  const loaded = new Set((php.stdout.split('\n')[1] ?? '').split(',').map((e) => e.trim().toLowerCase()));
  const missing = ['dom', 'openssl', 'mbstring', 'xml', 'session', 'json'].filter((e) => !loaded.has(e));
  if (missing.length > 0) return `php lacks the extension(s) ${missing.join(', ')}: ${hint}`;
  if (!fs.existsSync(path.join(sspHome(), 'www', '_include.php'))) {
    return `SimpleSAMLphp is not installed under ${sspHome()}: ${hint}`;
  }
  if (spawnSync('bash', ['-c', 'exit 0']).status !== 0) return 'bash is not available';
  for (const f of TEMPLATE_FILES) {
    if (!fs.existsSync(path.join(templatesDir, f))) return `template ${f} is missing in ${templatesDir}`;
  }
  return null;
}

/** Starts SimpleSAMLphp as an IdP for one SP with the given users; resolves once its metadata answers 200. */
export async function startSimpleSamlPhp(opts: {
  sp: SspSp;
  users: SspUser[];
  port?: number;
  readyTimeoutMs?: number;
}): Promise<SimpleSamlPhpIdp> {
  const reason = simpleSamlPhpUnavailable();
  if (reason) throw new Error(`SimpleSAMLphp cannot run: ${reason}`);
  for (const u of opts.users) {
    if (u.username.includes(':'))
      throw new Error(`SimpleSAMLphp usernames cannot contain ':' (${u.username})`);
  }
  const keys = await generate([{ name: 'commonName', value: 'SimpleSAMLphp test IdP' }], {
    keySize: 2048,
    algorithm: 'sha256',
    notAfterDate: new Date(Date.now() + 365 * 24 * 3600 * 1000),
  });
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await startOnce({ ...opts, port, keys: { key: keys.private, cert: keys.cert } });
    } catch (err) {
      // Someone else bound the free port before php did: try another one.
      if (opts.port !== undefined || attempt >= 3 || !(err instanceof PortTaken)) throw err;
    }
  }
}

class PortTaken extends Error {}

async function startOnce(opts: {
  sp: SspSp;
  users: SspUser[];
  port: number;
  readyTimeoutMs?: number;
  keys: { key: string; cert: string };
}): Promise<SimpleSamlPhpIdp> {
  if (await somebodyListens(opts.port)) throw new PortTaken(`port ${opts.port} is taken`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parat-ssp-'));
  const baseUrl = `http://127.0.0.1:${opts.port}/simplesaml`;
  const entityId = `${baseUrl}/saml2/idp/metadata.php`;
  const metadataUrl = entityId;
  const phpLog = path.join(dir, 'log', 'php.log');
  const sspLog = path.join(dir, 'log', 'simplesamlphp.log');

  for (const sub of ['config', 'metadata', 'cert', 'log', 'data', 'tmp', 'sessions', 'docroot'])
    fs.mkdirSync(path.join(dir, sub));
  fs.copyFileSync(path.join(templatesDir, 'config.php'), path.join(dir, 'config', 'config.php'));
  fs.copyFileSync(path.join(templatesDir, 'authsources.php'), path.join(dir, 'config', 'authsources.php'));
  fs.copyFileSync(
    path.join(templatesDir, 'saml20-idp-hosted.php'),
    path.join(dir, 'metadata', 'saml20-idp-hosted.php'),
  );
  fs.copyFileSync(
    path.join(templatesDir, 'saml20-sp-remote.php'),
    path.join(dir, 'metadata', 'saml20-sp-remote.php'),
  );
  fs.writeFileSync(path.join(dir, 'cert', 'idp.key'), opts.keys.key, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'cert', 'idp.crt'), opts.keys.cert);
  fs.symlinkSync(path.join(sspHome(), 'www'), path.join(dir, 'docroot', 'simplesaml'));

  const trusted = new Set<string>();
  for (const u of [opts.sp.acsUrl, opts.sp.sloUrl, opts.sp.entityId]) {
    if (URL.canParse(u)) trusted.add(new URL(u).host);
  }
  const harness = {
    runtimeDir: dir,
    baseUrl,
    idpEntityId: entityId,
    secretSalt: crypto.randomBytes(24).toString('hex'),
    adminPassword: crypto.randomBytes(12).toString('hex'),
    trustedUrlDomains: [...trusted],
    nameIdAttribute: PERSISTENT_UUID_ATTRIBUTE,
    users: opts.users,
    sp: {
      entityId: opts.sp.entityId,
      acsUrl: opts.sp.acsUrl,
      sloUrl: opts.sp.sloUrl,
      signingCert: pemBody(opts.sp.certPem),
      encryptionCert: pemBody(opts.sp.encCertPem ?? opts.sp.certPem),
    },
  };
  fs.writeFileSync(path.join(dir, 'harness.json'), JSON.stringify(harness, null, 2));

  // php-server.sh runs php -S and stops it (and removes `dir`) once its stdin pipe closes, so an IdP never outlives
  // this process, even when the process is killed without running stop().
  const out = fs.openSync(phpLog, 'a');
  const child = spawn(
    'bash',
    [path.join(templatesDir, 'php-server.sh'), `127.0.0.1:${opts.port}`, path.join(dir, 'docroot'), dir],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? dir,
        TZ: 'UTC',
        SIMPLESAMLPHP_CONFIG_DIR: path.join(dir, 'config'),
      },
      stdio: ['pipe', out, out],
    },
  );
  fs.closeSync(out);
  // A forgotten stop() must not keep the test process alive; its exit closes the pipe and ends php.
  child.unref();
  (child.stdin as unknown as net.Socket | null)?.unref();
  child.stdin?.on('error', () => undefined);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      exited = { code: null, signal: null };
      fs.appendFileSync(phpLog, `spawn failed: ${err.message}\n`);
      resolve();
    });
  });

  const logs = (): string =>
    [readTail(phpLog, 40), readTail(sspLog, 40)]
      .filter((s) => s !== '')
      .join('\n--- simplesamlphp.log ---\n');
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      child.stdin?.end();
      const term = setTimeout(() => child.kill('SIGTERM'), 3000);
      const kill = setTimeout(() => child.kill('SIGKILL'), 6000);
      await exitPromise;
      clearTimeout(term);
      clearTimeout(kill);
    } else {
      child.stdin?.destroy();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15_000);
  const ownCert = pemBody(opts.keys.cert);
  let metadataXml: string | null = null;
  let lastProblem = 'no answer yet';
  while (metadataXml === null) {
    if (exited) {
      const log = logs();
      await stop();
      if (/Address already in use/i.test(log)) throw new PortTaken(`port ${opts.port} is taken`);
      throw new Error(
        `php -S for SimpleSAMLphp exited (${JSON.stringify(exited)}) before it answered:\n${log}`,
      );
    }
    if (Date.now() > deadline) {
      const log = logs();
      await stop();
      throw new Error(
        `SimpleSAMLphp did not serve ${metadataUrl} within the time limit (${lastProblem}):\n${log}`,
      );
    }
    try {
      const res = await fetch(metadataUrl, { signal: AbortSignal.timeout(3000) });
      const body = await res.text();
      if (res.status === 200 && body.includes('EntityDescriptor')) {
        // Another server on the same port would answer with metadata that lacks this instance's certificate.
        if (!body.replace(/\s+/g, '').includes(ownCert)) {
          await stop();
          throw new PortTaken(`port ${opts.port} is served by another IdP`);
        }
        metadataXml = body;
      } else lastProblem = `HTTP ${res.status}: ${simpleSamlPhpPageSummary(body)}`;
    } catch (err) {
      if (err instanceof PortTaken) throw err;
      lastProblem = describeError(err);
    }
    if (metadataXml === null) await new Promise((r) => setTimeout(r, 100));
  }

  return {
    baseUrl,
    entityId,
    metadataUrl,
    metadataXml,
    ssoUrl: `${baseUrl}/saml2/idp/SSOService.php`,
    sloUrl: `${baseUrl}/saml2/idp/SingleLogoutService.php`,
    certPem: opts.keys.cert,
    idpInitiatedLogoutUrl: (returnTo: string) =>
      `${baseUrl}/saml2/idp/SingleLogoutService.php?ReturnTo=${encodeURIComponent(returnTo)}`,
    dir,
    logs,
    stop,
  };
}

/** The Location of the first service element of the given kind and binding in SAML metadata XML. */
export function metadataLocation(
  metadataXml: string,
  service: 'SingleSignOnService' | 'SingleLogoutService',
  binding = BINDING_REDIRECT,
): string {
  for (const m of metadataXml.matchAll(new RegExp(`<(?:\\w+:)?${service}\\b([^>]*)>`, 'g'))) {
    const attrs = parseAttributes(m[1] ?? '');
    if (attrs.binding === binding && attrs.location) return attrs.location;
  }
  throw new Error(`no ${service} with binding ${binding} in metadata`);
}

/** The base64 body of a PEM block. */
const pemBody = (pem: string): string =>
  pem.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function somebodyListens(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** An error message with its cause (fetch's "fetch failed" hides ECONNREFUSED and the like in `cause`). */
function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

function readTail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Driving the IdP's HTML without a browser
// ---------------------------------------------------------------------------------------------------------------

type Cookie = { name: string; value: string; path: string; expires: number | null };

export type BrowserlessClient = {
  get(url: string): Promise<Response>;
  postForm(url: string, fields: Record<string, string>): Promise<Response>;
  /** The Cookie header this client would send to the host (host or host:port; cookies ignore the port, as in browsers). */
  cookies(host: string): string;
};

/**
 * A tiny cookie-keeping fetch client for driving the IdP's HTML forms: get(url), postForm(url, fields), with
 * redirect:'manual' and per-host cookies. Like a browser it keys cookies by host name, not port, and honours Path,
 * Max-Age and Expires.
 */
export function browserlessClient(): BrowserlessClient {
  const jar = new Map<string, Map<string, Cookie>>();

  const hostOf = (hostOrUrl: string): string =>
    new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(hostOrUrl) ? hostOrUrl : `http://${hostOrUrl}`).hostname;

  const header = (url: URL): string => {
    const now = Date.now();
    const cookies = jar.get(url.hostname);
    if (!cookies) return '';
    const parts: string[] = [];
    for (const [key, c] of cookies) {
      if (c.expires !== null && c.expires <= now) {
        cookies.delete(key);
        continue;
      }
      if (url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
        parts.push(`${c.name}=${c.value}`);
    }
    return parts.join('; ');
  };

  const store = (url: URL, res: Response): void => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = '', ...attrParts] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: Cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        path: defaultPath(url),
        expires: null,
      };
      for (const a of attrParts) {
        const [k = '', ...v] = a.split('=');
        const key = k.trim().toLowerCase();
        const val = v.join('=').trim();
        if (key === 'path' && val.startsWith('/')) cookie.path = val;
        else if (key === 'max-age' && /^-?\d+$/.test(val)) cookie.expires = Date.now() + Number(val) * 1000;
        else if (key === 'expires' && cookie.expires === null && !Number.isNaN(Date.parse(val)))
          cookie.expires = Date.parse(val);
      }
      let cookies = jar.get(url.hostname);
      if (!cookies) jar.set(url.hostname, (cookies = new Map()));
      const key = `${cookie.name};${cookie.path}`;
      if (cookie.expires !== null && cookie.expires <= Date.now()) cookies.delete(key);
      else cookies.set(key, cookie);
    }
  };

  const send = async (url: string, init: RequestInit): Promise<Response> => {
    const u = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = header(u);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(u, { ...init, headers, redirect: 'manual' });
    store(u, res);
    return res;
  };

  return {
    get: (url) => send(url, { method: 'GET' }),
    postForm: (url, fields) =>
      send(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
    cookies: (host) => cookieList(jar.get(hostOf(host))),
  };
}

const cookieList = (cookies: Map<string, Cookie> | undefined): string =>
  [...(cookies?.values() ?? [])]
    .filter((c) => c.expires === null || c.expires > Date.now())
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');

/** RFC 6265 default-path: the request path up to (not including) its last '/'. */
function defaultPath(url: URL): string {
  const p = url.pathname;
  if (!p.startsWith('/') || p.lastIndexOf('/') === 0) return '/';
  return p.slice(0, p.lastIndexOf('/'));
}

/** Follows 3xx redirects with GET (as browsers do after a POST) until a non-redirect answer or until stopAt(url) says stop. */
export async function followRedirects(
  client: BrowserlessClient,
  first: Response,
  firstUrl: string,
  opts: { stopAt?: (url: string) => boolean; max?: number } = {},
): Promise<{ url: string; response: Response; stoppedAt?: string }> {
  let res = first;
  let url = firstUrl;
  for (let hops = 0; ; hops++) {
    const location = res.headers.get('location');
    if (res.status < 300 || res.status >= 400 || !location) return { url, response: res };
    if (hops >= (opts.max ?? 20)) throw new Error(`too many redirects (last: ${url})`);
    await res.body?.cancel();
    const next = new URL(location, url).toString();
    if (opts.stopAt?.(next)) return { url, response: res, stoppedAt: next };
    url = next;
    res = await client.get(url);
  }
}

export type HtmlForm = { action: string; method: string; fields: Record<string, string> };

/** Every <form> of an HTML page with its action (absolute), method and successful inputs (name → decoded value). */
export function readForms(html: string, pageUrl: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form\s*>/gi)) {
    const attrs = parseAttributes(m[1] ?? '');
    const fields: Record<string, string> = {};
    for (const input of (m[2] ?? '').matchAll(/<input\b([^>]*)>/gi)) {
      const a = parseAttributes(input[1] ?? '');
      const type = (a.type ?? 'text').toLowerCase();
      if (!a.name || 'disabled' in a) continue;
      if (['submit', 'button', 'image', 'reset', 'file'].includes(type)) continue;
      if ((type === 'checkbox' || type === 'radio') && !('checked' in a)) continue;
      fields[a.name] = a.value ?? (type === 'checkbox' || type === 'radio' ? 'on' : '');
    }
    for (const ta of (m[2] ?? '').matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea\s*>/gi)) {
      const a = parseAttributes(ta[1] ?? '');
      if (a.name && !('disabled' in a)) fields[a.name] = decodeEntities(ta[2] ?? '');
    }
    forms.push({
      action: new URL(attrs.action ?? '', pageUrl).toString(),
      method: (attrs.method ?? 'get').toLowerCase(),
      fields,
    });
  }
  return forms;
}

/** Parses the first <form> of an HTML page: action (absolute, resolved against pageUrl) and its inputs (name → value, HTML entities decoded). */
export function readForm(html: string, pageUrl: string): { action: string; fields: Record<string, string> } {
  const form = readForms(html, pageUrl)[0];
  if (!form) throw new Error(`no <form> on ${pageUrl}: ${simpleSamlPhpPageSummary(html)}`);
  return { action: form.action, fields: form.fields };
}

/** Attribute name (lower case) → decoded value; attributes without a value map to ''. */
function parseAttributes(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
    const name = (m[1] ?? '').toLowerCase();
    if (!(name in out)) out[name] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return out;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

/** Decodes numeric and the common named HTML character references. */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isFinite(code) && code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? all;
  });
}

/**
 * A one-line summary of a SimpleSAMLphp page for messages and assertions: its title plus the "Caused by:" lines of
 * an error page (the exception chain SimpleSAMLphp prints with 'showerrors'), else the start of the visible text.
 */
export function simpleSamlPhpPageSummary(html: string): string {
  const title = textOf(html.match(/<title>([\s\S]*?)<\/title>/i)?.[1] ?? '');
  const causes = [...decodeEntities(html).matchAll(/Caused by: ([^\n<]+)/g)].map((m) => (m[1] ?? '').trim());
  if (causes.length > 0) return [title, ...causes].filter((s) => s !== '').join(' | ');
  return textOf(html).slice(0, 300);
}

/** The visible text of an HTML page (tags stripped, whitespace collapsed), for error messages. */
function textOf(html: string): string {
  return decodeEntities(html.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * Follows the redirects from the SP's authorize URL to SimpleSAMLphp, fills in the username/password form (skipped
 * when the IdP session is still alive) and returns the auto-POST form that would carry the SAMLResponse (and
 * RelayState) to the SP's ACS, without posting it.
 */
export async function loginAtSimpleSamlPhp(
  client: BrowserlessClient,
  authorizeUrl: string,
  username: string,
  password: string,
): Promise<{ acsUrl: string; fields: Record<string, string> }> {
  let { url, response } = await followRedirects(client, await client.get(authorizeUrl), authorizeUrl);
  let html = await response.text();
  let loginPosted = false;
  for (;;) {
    const forms = readForms(html, url);
    const samlForm = forms.find((f) => 'SAMLResponse' in f.fields);
    if (samlForm) return { acsUrl: samlForm.action, fields: samlForm.fields };
    const loginForm = forms.find((f) => 'AuthState' in f.fields && /name\s*=\s*["']?password\b/i.test(html));
    if (!loginForm || loginPosted) {
      const problem =
        loginPosted && loginForm
          ? 'the IdP refused the username/password'
          : `unexpected page (HTTP ${response.status})`;
      throw new Error(`SimpleSAMLphp login failed at ${url}: ${problem}: ${simpleSamlPhpPageSummary(html)}`);
    }
    loginPosted = true;
    const posted = await client.postForm(loginForm.action, { ...loginForm.fields, username, password });
    ({ url, response } = await followRedirects(client, posted, loginForm.action));
    html = await response.text();
  }
}
