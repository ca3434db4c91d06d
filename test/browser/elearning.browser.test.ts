import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

  it('when the final test is started and handed in, then the test, result, evaluation and verification pages are accessible', async () => {
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
