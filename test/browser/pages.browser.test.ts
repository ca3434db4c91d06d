import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessibilityViolations,
  chromiumMissing,
  chromiumSkipReason,
  expectAccessible,
  loginAs,
  startBrowserEnv,
  type BrowserEnv,
} from '../support/browser.js';

/** Login, keyboard basics and single pages outside the four journeys (see journeys.browser.test.ts). */
describe.skipIf(chromiumMissing)('browser: login, keyboard and single pages', () => {
  let env: BrowserEnv;
  beforeAll(async () => {
    env = await startBrowserEnv();
  });
  afterAll(async () => env?.close());

  const newPage = async () => (await env.browser.newContext()).newPage();

  it('when a page breaks WCAG rules, then the accessibility check names each violation', async () => {
    const page = await newPage();
    await page.setContent(
      '<html><body><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></body></html>',
    );
    const rules = (await accessibilityViolations(page)).map((v) => v.split(':')[0]);
    expect(rules.sort()).toEqual(['document-title', 'html-has-lang', 'image-alt', 'label']);
    await expect(expectAccessible(page)).rejects.toThrow('axe violations on about:blank');
    await page.context().close();
  });

  it('when the project leader of Aarhus logs in through the development IdP, then she lands on her municipality page, accessible', async () => {
    const page = await newPage();
    await loginAs(page, env.baseUrl, 'Projektleder, Aarhus Kommune');
    expect(new URL(page.url()).pathname).toBe('/kommune');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Aarhus Kommune');
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Tilgængelighedserklæring' }).click();
    await page.waitForURL(/\/tilgaengelighed$/);
    await expectAccessible(page);
    // An old "Log ud" link asks first; the page is accessible and fits a 320 px phone.
    await page.goto(`${env.baseUrl}/saml/logout`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Log ud');
    await expectAccessible(page);
    await page.setViewportSize({ width: 320, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.getByRole('main').getByRole('button', { name: 'Log ud' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Du er logget ud');
    await expectAccessible(page);
    await page.context().close();
  });

  it('when KOMBIT logs in, then the national overview is shown, and a mistyped address gives an accessible error page', async () => {
    const page = await newPage();
    await loginAs(page, env.baseUrl, 'KOMBIT-konsulent');
    expect(new URL(page.url()).pathname).toBe('/national');
    await expectAccessible(page);
    const res = await page.goto(env.baseUrl + '/findes-ikke');
    expect(res?.status()).toBe(404);
    await expectAccessible(page);
    await page.context().close();
  });

  it('when a caseworker uses only the keyboard, then the skip link moves focus to the content', async () => {
    const page = await newPage();
    await loginAs(page, env.baseUrl, 'Sagsbehandler og superbruger, København');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Spring til indhold');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('indhold');
    await expectAccessible(page);
    await page.context().close();
  });

  it('when a caseworker and superuser does an exercise step by keyboard alone, then feedback and success show, every page accessible', async () => {
    const page = await newPage();
    await loginAs(page, env.baseUrl, 'Sagsbehandler og superbruger, København');
    await page.getByRole('navigation', { name: 'Hovedmenu' }).getByRole('link', { name: 'E-læring' }).click();
    await page.waitForURL(/\/e-laering$/);
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
    expect(await page.getByRole('radio', { name: /Åbn opgaven direkte fra opgavelisten/ }).isChecked()).toBe(
      true,
    );
    await page.keyboard.press('Enter');
    await expect.poll(() => page.getByRole('status').textContent()).toContain('Rigtigt.');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Næste trin');
    await expectAccessible(page);

    await page.keyboard.press('Enter');
    await page.waitForURL(/\/trin\/2$/);
    await expectAccessible(page);
    await page.context().close();
  });

  it('when the project leader creates a classroom course, then the course page confirms it, accessible', async () => {
    const page = await newPage();
    await loginAs(page, env.baseUrl, 'Projektleder, Aarhus Kommune');
    await page.getByRole('link', { name: 'Tilstedeværelseskurser og evalueringskoder' }).click();
    await page.waitForURL(/\/kommune\/kurser$/);
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
  describe('browser: login, keyboard and single pages', () => {
    it.skip(chromiumSkipReason, () => {});
  });
}
