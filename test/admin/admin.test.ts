import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app.js';
import { loggedIn, tokenOf } from '../surveys/support.js';
import { responseOf, signedAssertion, startLogin, tokenInput } from '../support/saml.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => t.close());

const admin = { roles: ['administrator'], email: 'admin@kombit.example.dk' };

describe('administrator: CVR numbers and audit log', () => {
  it('when the administrator sets a real CVR, then logins scoped to it land in that municipality and the old demo CVR no longer works', async () => {
    const agent = await loggedIn(t, admin);
    const csrf = await tokenOf(agent, '/admin/kommuner');
    await agent
      .post('/admin/kommuner/751/cvr')
      .type('form')
      .send({ _csrf: csrf, cvr: '55133018' })
      .expect(303);
    expect((await t.db('municipalities').where({ code: 751 }).first()).cvr).toBe('55133018');

    const user = request.agent(t.app);
    const { requestId } = await startLogin(user);
    const input = tokenInput(t.deps, requestId, { cvr: '55133018' });
    const ok = await user
      .post('/saml/acs')
      .type('form')
      .send({ SAMLResponse: await responseOf(t.deps, input, signedAssertion(t.deps, input)) });
    expect(ok.status).toBe(303);
    expect((await user.get('/kommune').expect(200)).text).toContain('Aarhus Kommune');

    const old = request.agent(t.app);
    const second = await startLogin(old);
    const oldInput = tokenInput(t.deps, second.requestId, { cvr: '19751000' });
    const refused = await old
      .post('/saml/acs')
      .type('form')
      .send({ SAMLResponse: await responseOf(t.deps, oldInput, signedAssertion(t.deps, oldInput)) });
    expect(refused.status).toBe(403);

    const log = await agent.get('/admin/audit?handling=municipality.cvr').expect(200);
    expect(log.text).toContain('kommune:751');
    expect(log.text).toContain('55133018');
  });

  it("when a CVR is malformed, taken by another municipality or KOMBIT's own, then it is refused with a Danish 422", async () => {
    const agent = await loggedIn(t, admin);
    const csrf = await tokenOf(agent, '/admin/kommuner');
    const bad = await agent.post('/admin/kommuner/101/cvr').type('form').send({ _csrf: csrf, cvr: '12ab' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('CVR-nummeret skal være 8 cifre');
    const taken = await agent
      .post('/admin/kommuner/101/cvr')
      .type('form')
      .send({ _csrf: csrf, cvr: '19147000' });
    expect(taken.status).toBe(422);
    expect(taken.text).toContain('Bruges allerede af Frederiksberg');
    const kombit = await agent
      .post('/admin/kommuner/101/cvr')
      .type('form')
      .send({ _csrf: csrf, cvr: '19435075' });
    expect(kombit.status).toBe(422);
    expect((await t.db('municipalities').where({ code: 101 }).first()).cvr).toBe('19101000');
  });

  it('when anyone but an administrator opens the admin pages, then access is refused', async () => {
    const kombit = await loggedIn(t, { roles: ['kombit'], email: 'k@kombit.example.dk' });
    for (const path of ['/admin/kommuner', '/admin/audit']) expect((await kombit.get(path)).status).toBe(403);
    expect((await request(t.app).get('/admin/audit')).status).toBe(303);
  });
});
