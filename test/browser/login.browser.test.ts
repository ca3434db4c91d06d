import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, chromiumSkipReason, expectAccessible, loginAs, startBrowserEnv, type BrowserEnv } from '../support/browser.js';

describe.skipIf(chromiumMissing)('browser: login and start pages', () => {
  let env: BrowserEnv;
  beforeAll(async () => {
    env = await startBrowserEnv();
  });
  afterAll(async () => env?.close());

  it('when the project leader of Aarhus logs in through the development IdP, then she lands on her municipality page, accessible', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'Projektleder, Aarhus Kommune');
    expect(new URL(page.url()).pathname).toBe('/kommune');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Aarhus Kommune');
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Tilgængelighedserklæring' }).click();
    await expectAccessible(page);
    await page.getByRole('link', { name: 'Log ud' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Du er logget ud');
    await expectAccessible(page);
    await page.context().close();
  });

  it('when KOMBIT logs in, then the national overview is shown, accessible', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'KOMBIT-konsulent');
    expect(new URL(page.url()).pathname).toBe('/national');
    await expectAccessible(page);
    await page.goto(env.baseUrl + '/findes-ikke');
    await expectAccessible(page);
    await page.context().close();
  });

  it('when a caseworker uses only the keyboard, then the skip link moves focus to the content', async () => {
    const page = await (await env.browser.newContext()).newPage();
    await loginAs(page, env.baseUrl, 'Sagsbehandler og superbruger, København');
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => document.activeElement?.textContent);
    expect(focused).toBe('Spring til indhold');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('indhold');
    await expectAccessible(page);
    await page.context().close();
  });
});

if (chromiumMissing) {
  describe('browser suite', () => {
    it.skip(chromiumSkipReason, () => {});
  });
}
