import fs from 'node:fs';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { expect } from 'vitest';
import { createTestApp, type TestApp } from './app.js';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumMissing = !fs.existsSync(CHROMIUM);
export const chromiumSkipReason = `skipped: Debian's Chromium is not installed at ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`;

export type BrowserEnv = { t: TestApp; server: Server; baseUrl: string; browser: Browser; context: BrowserContext; close: () => Promise<void> };

/** Serves createApp() on a free port with PUBLIC_URL pointing at it, and starts headless Chromium. */
export async function startBrowserEnv(): Promise<BrowserEnv> {
  const holder = net.createServer().listen(0, '127.0.0.1');
  await new Promise<void>((r) => holder.once('listening', () => r()));
  const port = (holder.address() as AddressInfo).port;
  await new Promise<void>((r) => holder.close(() => r()));
  const t = await createTestApp({ env: { PUBLIC_URL: `http://127.0.0.1:${port}`, PORT: String(port) } });
  const server = t.app.listen(port, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
  const context = await browser.newContext();
  return {
    t,
    server,
    baseUrl: `http://127.0.0.1:${port}`,
    browser,
    context,
    close: async () => {
      await context.close();
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
      await t.close();
    },
  };
}

/** Runs axe-core on the page: zero WCAG 2.1 A/AA violations allowed. */
export async function expectAccessible(page: Page): Promise<void> {
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const summary = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary, `axe violations on ${page.url()}`).toEqual([]);
}

/** Logs in through the development IdP persona page, by clicking as a person would. */
export async function loginAs(page: Page, baseUrl: string, preset: string): Promise<void> {
  await page.goto(baseUrl + '/');
  await expectAccessible(page);
  await page.getByRole('link', { name: 'Log ind med din kommunes login' }).click();
  await page.waitForURL(/\/dev-idp\/sso/);
  await expectAccessible(page);
  await page.getByRole('button', { name: `Log ind som ${preset}` }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/dev-idp') && !url.pathname.startsWith('/saml'));
}
