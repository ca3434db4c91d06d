import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, chromiumSkipReason, expectAccessible, loginAs, startBrowserEnv, type BrowserEnv } from '../support/browser.js';
import { seedDemoData } from '../../src/demo/demo.seed.js';

describe.skipIf(chromiumMissing)('browser: surveys and dashboards on demo data', () => {
  let env: BrowserEnv;
  beforeAll(async () => {
    env = await startBrowserEnv();
    await seedDemoData(env.t.deps);
  });
  afterAll(async () => env?.close());

  it('when a caseworker answers the open survey with the keyboard only, then every page is accessible and the answer is stored once', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'Sagsbehandler og superbruger, København');
    await page.goto(env.baseUrl + '/mine-opgaver');
    await expectAccessible(page);
    await page.getByRole('link', { name: /2\/3 – statusundersøgelse/ }).click();
    await page.waitForURL(/\/side\/1$/);
    await expectAccessible(page);
    // Submitting an empty page shows the Danish error summary, accessibly.
    await page.getByRole('button', { name: 'Næste' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Svar på alle udsagn');
    await expectAccessible(page);
    for (let p = 1; p <= 5; p++) {
      const groups = page.locator('fieldset.item');
      const count = await groups.count();
      for (let i = 0; i < count; i++) {
        // Focus the first radio of the item and move with the arrow keys, as a keyboard user does.
        await groups.nth(i).getByRole('radio').first().focus();
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowRight');
        await page.keyboard.press('ArrowRight');
      }
      await page.getByRole('button', { name: 'Næste' }).focus();
      await page.keyboard.press('Enter');
      await page.waitForURL(new RegExp(`/side/${p + 1}$`));
    }
    await expectAccessible(page);
    await page.getByLabel(/Har du kommentarer/).fill('Godt forberedt.');
    await page.getByRole('button', { name: 'Indsend' }).click();
    await page.waitForURL(/\/tak$/);
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Tak for dit svar');
    await expectAccessible(page);
    const rows = await env.t.db('survey_responses').where({ comment: 'Godt forberedt.' });
    expect(rows).toHaveLength(1);
    expect(JSON.parse(rows[0].answers).opm1).toBe(4);
    await page.context().close();
  });

  it('when the project leader of Aarhus looks at her pages, then overview, participants, results and dashboard are accessible', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'Projektleder, Aarhus Kommune');
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Administrér deltagere' }).click();
    await page.waitForURL(/\/kommune\/deltagere$/);
    await expectAccessible(page);
    await page.goto(env.baseUrl + '/kommune');
    await page.getByRole('link', { name: /Se resultater/ }).first().click();
    await page.waitForURL(/\/kommune\/resultater\/\d+$/);
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.waitForURL(/\/kommune\/dashboard$/);
    // Chart.js draws from the table: the canvas is shown once the script has run.
    await expect.poll(() => page.locator('canvas[data-chart-for]').first().isVisible()).toBe(true);
    await expectAccessible(page);
    await page.context().close();
  });

  it('when KOMBIT looks at the national overview and drills down, then the pages are accessible', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'KOMBIT-konsulent');
    await expectAccessible(page);
    await page.getByLabel('Bølge').selectOption('5');
    await page.getByRole('button', { name: 'Vis' }).click();
    await page.waitForURL(/bolge=5/);
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Aarhus' }).click();
    await page.waitForURL(/\/national\/kommuner\/751$/);
    await expectAccessible(page);
    await page.goto(env.baseUrl + '/national/kommuner/751/dashboard');
    await expectAccessible(page);
    await page.context().close();
  });
});

if (chromiumMissing) {
  describe('browser: surveys and dashboards', () => {
    it.skip(chromiumSkipReason, () => {});
  });
}
