import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { csrfFrom, loginThroughDevIdp, startLogin } from '../support/saml.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

describe('web base', () => {
  it('when the front page is opened, then it is Danish with a skip link, landmarks and the accessibility statement link', async () => {
    const res = await request(t.app).get('/').expect(200);
    expect(res.text).toContain('<html lang="da">');
    expect(res.text).toContain('href="#indhold"');
    expect(res.text).toMatch(/<main id="indhold"/);
    expect(res.text).toContain('<footer');
    expect(res.text).toContain('href="/tilgaengelighed"');
    expect(res.text).toContain('Log ind');
  });

  it('when any page is served, then the CSP forbids inline script and the request id is returned', async () => {
    const res = await request(t.app).get('/');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('when a page does not exist, then a Danish 404 page is shown', async () => {
    const res = await request(t.app).get('/findes-ikke').expect(404);
    expect(res.text).toContain('Siden findes ikke');
  });

  it('when a protected page is opened without login, then the browser goes to the login page and back after', async () => {
    const res = await request(t.app).get('/kommune').expect(303);
    expect(res.headers.location).toBe('/?naeste=%2Fkommune');
  });

  it('when /healthz is called, then it checks the database', async () => {
    const res = await request(t.app).get('/healthz').expect(200);
    expect(res.body).toEqual({ status: 'ok', database: 'ok' });
  });

  it('when a POST has no valid CSRF token, then it is refused with 403 and nothing happens', async () => {
    const agent = request.agent(t.app);
    const { location } = await startLogin(agent);
    const url = new URL(location);
    const page = await agent.get(url.pathname + url.search).expect(200);
    const form = {
      requestId: 'x',
      roles: 'projektleder',
      municipality: '751',
      firstName: 'A',
      lastName: 'B',
      email: 'a@b.dk',
    };
    const missing = await agent.post('/dev-idp/sso').type('form').send(form);
    expect(missing.status).toBe(403);
    expect(missing.text).toContain('Formularen er udløbet eller ugyldig');
    const wrong = await agent
      .post('/dev-idp/sso')
      .type('form')
      .send({ ...form, _csrf: 'forkert' });
    expect(wrong.status).toBe(403);
    const right = await agent
      .post('/dev-idp/sso')
      .type('form')
      .send({ ...form, _csrf: csrfFrom(page.text) });
    expect(right.status).toBe(200);
  });

  it('when the persona form is bad, then a Danish 422 names the field', async () => {
    const agent = request.agent(t.app);
    const { location } = await startLogin(agent);
    const url = new URL(location);
    const page = await agent.get(url.pathname + url.search).expect(200);
    const res = await agent
      .post('/dev-idp/sso')
      .type('form')
      .send({
        _csrf: csrfFrom(page.text),
        requestId: 'x',
        roles: 'projektleder',
        municipality: '751',
        firstName: 'A',
        lastName: 'B',
        email: 'ikke-en-mail',
      });
    expect(res.status).toBe(422);
    expect(res.text).toContain('Skriv en gyldig e-mailadresse');
  });

  it('when logged in, then every page shows who is logged in, with role, municipality and a log-out link', async () => {
    const agent = request.agent(t.app);
    await loginThroughDevIdp(agent, {
      municipality: 461,
      roles: ['leder-ydelsescenter'],
      firstName: 'Lars',
      lastName: 'Leder',
      email: 'l@o.dk',
    });
    const res = await agent.get('/tilgaengelighed').expect(200);
    expect(res.text).toContain('Lars Leder');
    expect(res.text).toContain('Leder af ydelsescentret');
    expect(res.text).toContain('Odense Kommune');
    expect(res.text).toMatch(
      /<form method="post" action="\/saml\/logout"[^>]*>\s*<input type="hidden" name="_csrf" value="[^"]+">/,
    );
  });
});
