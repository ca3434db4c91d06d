import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { content } from '../elearning/support.js';
import { chromiumMissing, chromiumSkipReason, expectAccessible, loginAs, startBrowserEnv, type BrowserEnv } from '../support/browser.js';

describe.skipIf(chromiumMissing)('browser: e-learning', () => {
  let env: BrowserEnv;
  beforeAll(async () => {
    env = await startBrowserEnv();
  });
  afterAll(async () => env?.close());

  it('when a caseworker and superuser does an exercise step by keyboard alone, then feedback and success show, every page accessible', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'Sagsbehandler og superbruger, København');

    await page.goto(env.baseUrl + '/e-laering');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('E-læring om KSD');
    expect(await page.getByRole('link', { name: 'Guide og støt dine kolleger' }).count()).toBeGreaterThan(0);
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Hands-on træning' }).first().click();
    await page.waitForURL(/\/e-laering\/moduler\/hands-on$/);
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Anette behandler Pouls sygedagpengesag' }).click();
    await page.waitForURL(/\/e-laering\/oevelser\/anette-poul$/);
    await expectAccessible(page);

    await page.getByRole('link', { name: 'Start øvelsen' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/trin\/1$/);
    await expectAccessible(page);

    // Tab into the radio group, arrow to a wrong action, submit with Enter.
    await page.getByRole('radio').first().focus();
    await page.keyboard.press('ArrowDown');
    expect(await page.getByRole('radio', { name: /Opret en ny sag til Poul/ }).isChecked()).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Sagen findes allerede');
    await expectAccessible(page);

    // The KSD shortcut picks the right action; Enter performs it.
    await page.keyboard.press('Alt+O');
    expect(await page.getByRole('radio', { name: /Åbn opgaven direkte fra opgavelisten/ }).isChecked()).toBe(true);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Rigtigt.');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Næste trin');
    await expectAccessible(page);

    await page.keyboard.press('Enter');
    await page.waitForURL(/\/trin\/2$/);
    await expectAccessible(page);
    await page.context().close();
  });

  it('when a learner fails the test, revisits the suggested module, passes and prints the certificate, then every page is accessible', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'Sagsbehandler og superbruger, København');
    await page.goto(env.baseUrl + '/e-laering/test');
    await expectAccessible(page);
    await page.getByRole('button', { name: /Start (testen|et nyt forsøg)/ }).click();
    await page.waitForURL(/\/e-laering\/test\/forsoeg\/\d+$/);
    expect(await page.locator('fieldset.question').count()).toBe(20);
    await expectAccessible(page);
    await page.getByRole('radio').first().check();
    await page.getByRole('button', { name: 'Gem svar og fortsæt senere' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Dine svar er gemt');
    await page.getByRole('button', { name: 'Aflever testen' }).click();
    await page.waitForURL(/\/resultat$/);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Resultat af testen');
    await expectAccessible(page);
    // One answer of twenty: failed. The result names a module to revisit; the learner follows it.
    expect(await page.getByText('Du har ikke bestået testen').count()).toBeGreaterThan(0);
    const revisit = page.locator('main table a[href^="/e-laering/moduler/"]').first();
    const moduleHref = await revisit.getAttribute('href');
    await revisit.click();
    await page.waitForURL((url) => url.pathname === moduleHref);
    await expectAccessible(page);

    // A new attempt, answered correctly (the key read from the server's record, as an examiner would know it).
    await page.goto(env.baseUrl + '/e-laering/test');
    await page.getByRole('button', { name: /Start (testen|et nyt forsøg)/ }).click();
    await page.waitForURL(/\/e-laering\/test\/forsoeg\/\d+$/);
    const attemptId = Number(new URL(page.url()).pathname.split('/').pop());
    const items = await env.t.db('quiz_attempt_items').where({ attempt_id: attemptId }).orderBy('position');
    for (const item of items) {
      const q = content.question(item.question_id)!;
      for (const o of q.options.filter((x) => x.correct)) await page.locator(`#q${item.position}-${o.id}`).check();
    }
    await page.getByRole('button', { name: 'Aflever testen' }).click();
    await page.waitForURL(/\/resultat$/);
    expect(await page.getByText('Du har bestået testen.').count()).toBeGreaterThan(0);
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Udskriv kursusbevis' }).click();
    await page.waitForURL(/\/e-laering\/certifikat$/);
    await expectAccessible(page);
    // The print stylesheet hides navigation and buttons on paper.
    await page.emulateMedia({ media: 'print' });
    expect(await page.locator('.site-header nav').isVisible()).toBe(false);
    await page.emulateMedia({ media: 'screen' });
    const code = await env.t.db('certificates').orderBy('id', 'desc').first('code');
    await page.goto(env.baseUrl + `/certifikat/verificer/${code.code}`);
    await expectAccessible(page);

    await page.goto(env.baseUrl + '/evaluering/e-laering');
    await expectAccessible(page);
    await page.goto(env.baseUrl + '/certifikat/verificer');
    await expectAccessible(page);
    await page.context().close();
  });

  it('when the project leader opens the course page, then it is accessible', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'Projektleder, Aarhus Kommune');
    await page.goto(env.baseUrl + '/kommune/kurser');
    await expectAccessible(page);
    await page.getByLabel('Titel').fill('KSD-kursus');
    await page.getByLabel('Sted').fill('Rådhuset');
    await page.getByLabel('Dato').fill('2026-12-01');
    await page.getByRole('button', { name: 'Opret kursus' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Kurset er oprettet');
    await expectAccessible(page);
    await page.context().close();
  });
});

if (chromiumMissing) {
  describe('browser suite', () => {
    it.skip(chromiumSkipReason, () => {});
  });
}
