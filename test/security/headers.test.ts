import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import type { Response } from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { loginThroughDevIdp } from '../support/saml.js';
import { MAIL_HTML_CSP } from '../../src/mail/mail.routes.js';
import { outboxRepository } from '../../src/mail/outbox.repository.js';

/** The Set-Cookie of the session, split into its attributes (lower-cased names). */
function sessionCookie(res: Response): Map<string, string> | null {
  const raw = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .find((c) => c.startsWith('parat.sid='));
  if (!raw) return null;
  return new Map(
    raw
      .split(';')
      .slice(1)
      .map((part) => {
        const [k, ...v] = part.trim().split('=');
        return [k!.toLowerCase(), v.join('=')] as [string, string];
      }),
  );
}

/** The CSP header as directive → sources. */
function csp(res: Response): Map<string, string[]> {
  const header = String(res.headers['content-security-policy'] ?? '');
  return new Map(
    header
      .split(';')
      .map((d) => d.trim())
      .filter(Boolean)
      .map((d) => {
        const [name, ...sources] = d.split(/\s+/);
        return [name!, sources] as [string, string[]];
      }),
  );
}

let plain: TestApp;
let https: TestApp;
beforeAll(async () => {
  plain = await createTestApp();
  https = await createTestApp({ env: { PUBLIC_URL: 'https://parat.example.dk' } });
});
afterAll(async () => {
  await plain.close();
  await https.close();
});

/** A page through the TLS-terminating proxy of a production-like setup. */
const viaProxy = (path: string) =>
  request(https.app).get(path).set('X-Forwarded-Proto', 'https').set('X-Forwarded-For', '198.51.100.4');

describe('session cookie', () => {
  it('when a user logs in, then the session cookie is HttpOnly, SameSite=Lax, Path=/ and not Secure on plain http (development)', async () => {
    const res = await loginThroughDevIdp(request.agent(plain.app), {
      municipality: 751,
      roles: ['projektleder'],
      email: 'pl@aarhus.example.dk',
    });
    expect(res.status).toBe(303);
    const c = sessionCookie(res)!;
    expect(c).not.toBeNull();
    expect(c.has('httponly')).toBe(true);
    expect(c.get('samesite')).toBe('Lax');
    expect(c.get('path')).toBe('/');
    expect(c.has('secure')).toBe(false);
    expect(c.has('domain')).toBe(false);
    expect(new Date(c.get('expires')!).getTime() - Date.now()).toBeLessThanOrEqual(8 * 3600_000 + 60_000);
  });

  it('when PUBLIC_URL is https (production-like), then the session cookie is also Secure', async () => {
    const start = await viaProxy('/saml/login').expect(302);
    const idp = new URL(String(start.headers.location));
    const page = await viaProxy(idp.pathname + idp.search).expect(200);
    const c = sessionCookie(page)!;
    expect(c).not.toBeNull();
    expect(c.has('secure')).toBe(true);
    expect(c.has('httponly')).toBe(true);
    expect(c.get('samesite')).toBe('Lax');
    expect(c.get('path')).toBe('/');
  });

  it('when static files or the health check are fetched, even in a logged-in session, then no cookie is set', async () => {
    const agent = request.agent(plain.app);
    await loginThroughDevIdp(agent, {
      municipality: 751,
      roles: ['projektleder'],
      email: 'pl2@aarhus.example.dk',
    });
    // The same session on a page does get its rolling cookie, so the check below could fail.
    expect(sessionCookie(await agent.get('/kommune').expect(200))).not.toBeNull();
    for (const path of [
      '/public/css/parat.css',
      '/public/js/charts.js',
      '/public/vendor/chart.umd.min.js',
      '/healthz',
    ]) {
      const anonymous = await request(plain.app).get(path);
      const logged = await agent.get(path);
      expect([path, anonymous.status, logged.status]).toEqual([path, 200, 200]);
      expect([path, anonymous.headers['set-cookie'], logged.headers['set-cookie']]).toEqual([
        path,
        undefined,
        undefined,
      ]);
    }
  });
});

describe('security headers', () => {
  const pages = ['/', '/tilgaengelighed', '/certifikat/verificer', '/findes-ikke', '/saml/login'];

  it('when pages, error pages and redirects are served, then the CSP allows no inline code, no plugins, no framing and no foreign forms', async () => {
    for (const path of pages) {
      const res = await request(plain.app).get(path);
      const p = csp(res);
      expect([path, p.get('default-src')]).toEqual([path, ["'self'"]]);
      expect([path, p.get('script-src')]).toEqual([path, ["'self'"]]);
      expect([path, p.get('style-src')]).toEqual([path, ["'self'"]]);
      expect([path, p.get('script-src-attr')]).toEqual([path, ["'none'"]]);
      expect([path, p.get('object-src')]).toEqual([path, ["'none'"]]);
      expect([path, p.get('frame-ancestors')]).toEqual([path, ["'none'"]]);
      expect([path, p.get('form-action')]).toEqual([path, ["'self'"]]);
      expect([path, p.get('base-uri')]).toEqual([path, ["'self'"]]);
      expect([path, p.get('img-src')]).toEqual([path, ["'self'", 'data:']]);
      expect(String(res.headers['content-security-policy'])).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
      expect(p.has('upgrade-insecure-requests')).toBe(false);
    }
  });

  it("when any page is served, then helmet's other headers are there and nothing names the framework", async () => {
    for (const path of pages) {
      const res = await request(plain.app).get(path);
      expect([path, res.headers['x-content-type-options']]).toEqual([path, 'nosniff']);
      expect([path, res.headers['x-frame-options']]).toEqual([path, 'DENY']);
      expect([path, res.headers['referrer-policy']]).toEqual([path, 'no-referrer']);
      expect([path, res.headers['cross-origin-opener-policy']]).toEqual([path, 'same-origin']);
      expect([path, res.headers['cross-origin-resource-policy']]).toEqual([path, 'same-origin']);
      expect([path, res.headers['x-powered-by'], res.headers['strict-transport-security']]).toEqual([
        path,
        undefined,
        undefined,
      ]);
    }
  });

  it('when PUBLIC_URL is https, then HSTS is sent and the CSP upgrades insecure requests', async () => {
    const res = await viaProxy('/').expect(200);
    expect(String(res.headers['strict-transport-security'])).toMatch(/^max-age=\d{7,}; includeSubDomains$/);
    expect(csp(res).has('upgrade-insecure-requests')).toBe(true);
  });

  it('when a mail body is shown in the development mailbox, then it is sandboxed and may not run script', async () => {
    const id = (await outboxRepository.insert(
      plain.db,
      {
        idempotencyKey: 'hdr-1',
        kind: 'reminder',
        municipalityCode: 751,
        to: ['x@aarhus.example.dk'],
        subject: 'Påmindelse',
        html: '<p style="color:red">Husk</p>',
        text: 'Husk',
        containsLink: false,
        messageId: '<hdr-1@parat>',
      },
      'held',
      new Date(),
    ))!;
    const res = await request(plain.app).get(`/dev/postkasse/${id}/html`).expect(200);
    expect(res.headers['content-security-policy']).toBe(MAIL_HTML_CSP);
    const p = csp(res);
    expect(p.get('default-src')).toEqual(["'none'"]);
    expect(p.has('sandbox')).toBe(true);
    expect(p.has('script-src')).toBe(false);
  });
});
